"""Monthly usage for a month (or a range of months in one pass, `--months`): aggregate each silver fact of M once
into gold.usage_monthly (fees, voice, SMS, data, VAS orders, VAS holdings from every order/unsubscribe event up to
M's end, service contacts, the bill-decline streak carried from M-1). The panorama and its 3-month features read it
instead of rescanning CDRs. M carries M-1's streak, so single months run in order; a range carries it through its
months itself."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.core.periods import add_months, month_bounds
from lifecircle.features.panorama import month_filter, monthly_usage, subscriber_universe, vas_holdings
from lifecircle.runtime import MONTHS_ARG, JobContext, job


def _usage_partition(ctx: JobContext, month: str):
    """gold.usage_monthly rows of one month, or None when that month was never computed."""
    if not ctx.exists("gold.usage_monthly"):
        return None
    rows = ctx.read("gold.usage_monthly").where(F.col("month") == month)
    return rows if rows.limit(1).count() > 0 else None


@job("usage_monthly", description=__doc__, args=[MONTHS_ARG], needs="month")
def main(ctx: JobContext) -> None:
    months = ctx.months
    params = ctx.cfg.section("features")
    universe = subscriber_universe(ctx.read("silver.subscriber").where(F.col("month").isin(*months)), months)
    vas_all = ctx.read("silver.vas_orders")
    before = add_months(months[0], -1)
    prev = _usage_partition(ctx, before)
    if prev is None:  # the first month computed: the bill streak starts at 0
        ctx.log.info("no gold.usage_monthly for %s: the bill-decline streak starts in %s", before, months[0])
    # holdings from every VAS event before the first month (a small table), not from M-1's rows: a subscriber whose
    # profile row is missing in one month keeps what they hold, and a range equals one run per month
    start, _ = month_bounds(months[0])
    prior_held = vas_holdings(vas_all.where(F.col("date") < F.lit(start)), None)
    usage = monthly_usage(
        universe,
        billing=ctx.read("silver.billing").where(F.col("month").isin(*months)),
        voice=month_filter(ctx.read("silver.voice_cdr"), months),
        sms=month_filter(ctx.read("silver.sms"), months),
        data=month_filter(ctx.read("silver.data_usage"), months),
        vas=month_filter(vas_all, months),
        service=month_filter(ctx.read("silver.service_contacts"), months),
        month=months,
        prev_usage=prev,
        prior_held=prior_held,
        decline=float(params.get("bill_decline_threshold", 0.15)),
    )
    ctx.write("gold.usage_monthly", usage, where={"month": months})


if __name__ == "__main__":
    raise SystemExit(main())
