"""Life circles for a month (or a range of months in one pass, `--months`): signalling → stays (gold.stays) →
region, demographic, preference and behaviour tags (gold.tags), pivoted circle features (gold.circle_features)
and region counts. Each month is computed on its own, so a range gives the tables of one run per month."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.circles.features import life_circles, region_counts
from lifecircle.circles.stays import detect_stays, neighbour_pairs
from lifecircle.circles.taxonomy import load_taxonomy
from lifecircle.core.errors import InputError
from lifecircle.core.periods import add_months
from lifecircle.features.panorama import month_filter
from lifecircle.runtime import MONTHS_ARG, JobContext, job


@job("life_circle", description=__doc__, args=[MONTHS_ARG], needs="month")
def main(ctx: JobContext) -> None:
    tax = load_taxonomy(ctx.cfg.section("tags"))
    months = ctx.months
    period = {"month": months}
    signalling = month_filter(ctx.read("silver.signalling"), months)
    cells = ctx.read("silver.cells")
    present = {r["month"] for r in signalling.select("month").distinct().collect()}  # ok: at most one row per month
    if missing := [m for m in months if m not in present]:
        raise InputError(f"silver.signalling has no rows for {', '.join(missing)}: run ingestion for them first")
    stays = detect_stays(signalling, neighbour_pairs(cells), tax.pingpong_window_s, tax.max_gap_s)
    ctx.write("gold.stays", stays, where=period)
    stays = ctx.read("gold.stays").where(F.col("month").isin(*months))  # computed once, read by every circle
    events = ctx.read_optional("silver.events")
    voice = ctx.read_optional("silver.voice_cdr")
    if voice is not None:
        voice = month_filter(voice, months).select("subscriber_id", "date", "call_type")
    previous = ctx.read_optional("gold.circle_features")
    if previous is not None:
        previous = previous.where(F.col("month") == add_months(months[0], -1))
    out = life_circles(ctx.spark, stays, signalling, cells, events, voice, tax, previous)
    ctx.write("gold.tags", out.tags, where=period)
    ctx.write("gold.circle_features", out.features, where=period)
    features = ctx.read("gold.circle_features").where(F.col("month").isin(*months))
    ctx.write("gold.region_counts", region_counts(features), where=period)


if __name__ == "__main__":
    raise SystemExit(main())
