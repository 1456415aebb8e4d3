"""Life circles for one month: signalling → stays (gold.stays) → region, demographic, preference and
behaviour tags (gold.tags), pivoted circle features (gold.circle_features) and region counts."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.circles.features import life_circles, month_end, region_counts
from lifecircle.circles.stays import detect_stays, neighbour_pairs
from lifecircle.circles.taxonomy import load_taxonomy
from lifecircle.core.errors import InputError
from lifecircle.core.periods import add_months
from lifecircle.features.panorama import month_filter
from lifecircle.runtime import JobContext, job


@job("life_circle", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    tax = load_taxonomy(ctx.cfg.section("tags"))
    month = ctx.month
    signalling = month_filter(ctx.read("silver.signalling"), month)
    cells = ctx.read("silver.cells")
    if signalling.limit(1).count() == 0:
        raise InputError(f"silver.signalling has no rows for {month}: run ingestion for that month first")
    stays = detect_stays(signalling, neighbour_pairs(cells), month, tax.pingpong_window_s, tax.max_gap_s,
                         month_end(month))
    ctx.write("gold.stays", stays, where={"month": month})
    stays = ctx.read("gold.stays").where(F.col("month") == month)  # computed once, read by every circle
    events = ctx.read_optional("silver.events")
    voice = ctx.read_optional("silver.voice_cdr")
    if voice is not None:
        voice = month_filter(voice, month).select("subscriber_id", "date", "call_type")
    previous = ctx.read_optional("gold.circle_features")
    if previous is not None:
        previous = previous.where(F.col("month") == add_months(month, -1))
    out = life_circles(ctx.spark, stays, signalling, cells, events, voice, tax, month, previous)
    ctx.write("gold.tags", out.tags, where={"month": month})
    ctx.write("gold.circle_features", out.features, where={"month": month})
    features = ctx.read("gold.circle_features").where(F.col("month") == month)
    ctx.write("gold.region_counts", region_counts(features, month), where={"month": month})


if __name__ == "__main__":
    raise SystemExit(main())
