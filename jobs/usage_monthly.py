"""Monthly usage for a month: aggregate each silver fact of M once into gold.usage_monthly (fees, voice, SMS, data,
VAS orders and holdings, service contacts, the bill-decline streak carried from M-1). The panorama and its
3-month features read it instead of rescanning CDRs. Months run in order: M carries M-1's holdings and streak."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.core.periods import add_months, month_bounds
from lifecircle.features.panorama import month_filter, monthly_usage, subscriber_universe, vas_holdings
from lifecircle.runtime import JobContext, job


def _usage_partition(ctx: JobContext, month: str):
    """gold.usage_monthly rows of one month, or None when that month was never computed."""
    if not ctx.exists("gold.usage_monthly"):
        return None
    rows = ctx.read("gold.usage_monthly").where(F.col("month") == month)
    return rows if rows.limit(1).count() > 0 else None


@job("usage_monthly", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    month = ctx.month
    params = ctx.cfg.section("features")
    universe = subscriber_universe(ctx.read("silver.subscriber").where(F.col("month") == month), month)
    vas_all = ctx.read("silver.vas_orders")
    prev = _usage_partition(ctx, add_months(month, -1))
    prior_held = None
    if prev is None:  # first month: holdings from every earlier VAS event; bill streak starts at 0
        ctx.log.info("no gold.usage_monthly for %s: history columns are null this month", add_months(month, -1))
        start, _ = month_bounds(month)
        prior_held = vas_holdings(vas_all.where(F.col("date") < F.lit(start)), None)
    usage = monthly_usage(
        universe,
        billing=ctx.read("silver.billing").where(F.col("month") == month),
        voice=month_filter(ctx.read("silver.voice_cdr"), month),
        sms=month_filter(ctx.read("silver.sms"), month),
        data=month_filter(ctx.read("silver.data_usage"), month),
        vas=month_filter(vas_all, month),
        service=month_filter(ctx.read("silver.service_contacts"), month),
        month=month,
        prev_usage=prev,
        prior_held=prior_held,
        decline=float(params.get("bill_decline_threshold", 0.15)),
    )
    ctx.write("gold.usage_monthly", usage, where={"month": month})


if __name__ == "__main__":
    raise SystemExit(main())
