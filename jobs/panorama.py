"""Customer panorama for a month (or a range of months in one pass, `--months`): profile, usage of M and of M-1
and M-2 (gold.usage_monthly, written by the usage_monthly job), handset, plan, life-circle and social columns
joined into gold.panorama. Each month is assembled on its own, so a range gives the rows of one run per month."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.core.errors import InputError
from lifecircle.core.periods import add_months
from lifecircle.features.panorama import assemble_panorama, latest_terminal, subscriber_universe
from lifecircle.runtime import MONTHS_ARG, JobContext, job


def optional(ctx: JobContext, name: str):
    """The table when it is declared in the registry and has been written, else None."""
    try:
        return ctx.read_optional(name)
    except KeyError:  # its domain has not declared it (yet)
        return None


@job("panorama", description=__doc__, args=[MONTHS_ARG], needs="month")
def main(ctx: JobContext) -> None:
    months = ctx.months
    params = ctx.cfg.section("features")
    if not ctx.exists("gold.usage_monthly"):
        raise InputError("gold.usage_monthly does not exist: run the usage_monthly job for these months first")
    usage_table = ctx.read("gold.usage_monthly")
    usage = usage_table.where(F.col("month").isin(*months))
    present = {r["month"] for r in usage.select("month").distinct().collect()}  # ok: one row per month
    if missing := [m for m in months if m not in present]:
        raise InputError(f"gold.usage_monthly has no rows for {', '.join(missing)}: run usage_monthly for them first")
    panorama = assemble_panorama(
        subscriber_universe(ctx.read("silver.subscriber").where(F.col("month").isin(*months)), months),
        usage,
        months,
        usage_history=usage_table.where(F.col("month").between(add_months(months[0], -2), add_months(months[-1], -1))),
        terminal=latest_terminal(ctx.read("silver.terminal"), ctx.read("silver.tac"), months),
        tariffs=ctx.read("silver.tariffs"),
        circles=optional(ctx, "gold.circle_features"),
        social=optional(ctx, "gold.social_features"),
        gap_rules=params.get("gap_fill", []),
    )
    ctx.write("gold.panorama", panorama, where={"month": months})


if __name__ == "__main__":
    raise SystemExit(main())
