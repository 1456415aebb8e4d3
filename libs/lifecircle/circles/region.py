"""Region circle: home and work cell from dwell in their windows (enough distinct days or unlocatable),
their 5-level region path (cell → store → district → marketing centre → county branch) and home moves."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lifecircle.circles.taxonomy import LocationRule, Taxonomy
from lifecircle.core.month_keys import shift_key

LEVELS = ("store_id", "district", "marketing_center", "county_branch")


def locate(dwell: DataFrame, cells: DataFrame, rule: LocationRule, min_days: int | None = None) -> DataFrame:
    """Dwell → (subscriber_id, cell_id, seconds, days, first_day, last_day, share): the best cell per subscriber.

    Only cells with at least `min_days` distinct days of ≥ min_minutes_per_day in the rule's windows
    qualify; among them the longest dwell wins (ties: smallest cell id). `share` is its part of all
    the subscriber's dwell in those windows (the confidence).
    """
    need = rule.min_days if min_days is None else min_days
    kinds = F.broadcast(cells.select("cell_id", "place_type"))
    d = dwell.where(F.col("window").isin(*rule.windows)).join(kinds, "cell_id", "left")
    if rule.exclude_place_types:
        d = d.where(~F.coalesce(F.col("place_type").isin(*rule.exclude_place_types), F.lit(False)))
    daily = d.groupBy("subscriber_id", "cell_id", "day").agg(F.sum("seconds").alias("seconds"))
    good_day = F.col("seconds") >= rule.min_minutes_per_day * 60
    per_cell = daily.groupBy("subscriber_id", "cell_id").agg(
        F.sum("seconds").alias("seconds"),
        F.count(F.when(good_day, 1)).cast("int").alias("days"),
        F.min(F.when(good_day, F.col("day"))).alias("first_day"),
        F.max(F.when(good_day, F.col("day"))).alias("last_day"),
    )
    by_sub = Window.partitionBy("subscriber_id")
    per_cell = per_cell.withColumn("share", F.col("seconds") / F.sum("seconds").over(by_sub))
    ranked = per_cell.where(F.col("days") >= need).withColumn(
        "_rank", F.row_number().over(by_sub.orderBy(F.desc("seconds"), "cell_id")))
    return ranked.where(F.col("_rank") == 1).drop("_rank")


def region_profile(
    seen: DataFrame, dwell: DataFrame, cells: DataFrame, tax: Taxonomy, previous: DataFrame | None = None,
) -> DataFrame:
    """Subscribers seen (subscriber_id, days_seen, first_seen, last_seen) + dwell + cells → one row each: home/work cell and region path,
    locatable, recent_home_cell and home_moved (vs the month's earlier days or last month's recent home).

    Keys are subscriber-months (lifecircle.core.month_keys). Last month's recent home comes from this pass's
    own month before, or for the pass's first month from `previous` (subscriber_id keyed by the month it
    precedes, recent_home_cell)."""
    region = F.broadcast(cells.select("cell_id", *LEVELS, "place_type", "price_band"))
    out = seen.select("subscriber_id", "days_seen", "first_seen", "last_seen")
    for role, rule in (("home", tax.home), ("work", tax.work)):
        best = locate(dwell, cells, rule).join(region, "cell_id", "left")
        out = out.join(best.select(
            "subscriber_id", F.col("cell_id").alias(f"{role}_cell"),
            F.round("share", 3).alias(f"{role}_confidence"), F.col("days").alias(f"{role}_days"),
            F.col("first_day").alias(f"{role}_first_day"), F.col("last_day").alias(f"{role}_last_day"),
            *[F.col(c).alias(f"{role}_{c}") for c in LEVELS],
            *([F.col("place_type").alias("home_place_type"), F.col("price_band").alias("home_price_band")]
              if role == "home" else []),
        ), "subscriber_id", "left")
    # work is a separate place: a subscriber whose weekday daytime is at home has no work cell
    out = out.withColumn("_same", F.coalesce(F.col("work_cell") == F.col("home_cell"), F.lit(False)))
    for c in ("work_cell", "work_confidence", "work_days", "work_first_day", "work_last_day",
              *[f"work_{lv}" for lv in LEVELS]):
        out = out.withColumn(c, F.when(F.col("_same"), F.lit(None)).otherwise(F.col(c)))
    out = out.drop("_same")

    # the month's last move_recent_days days are "recent"
    cut = F.date_sub(F.date_add(F.last_day("day"), 1), tax.move_recent_days)
    early = locate(dwell.where(F.col("day") < cut), cells, tax.home, tax.move_min_days)
    recent = locate(dwell.where(F.col("day") >= cut), cells, tax.home, tax.move_min_days)
    out = out.join(early.select("subscriber_id", F.col("cell_id").alias("_early")), "subscriber_id", "left")
    out = out.join(recent.select("subscriber_id", F.col("cell_id").alias("recent_home_cell")),
                   "subscriber_id", "left")
    moved = (F.col("_early").isNotNull() & F.col("recent_home_cell").isNotNull()
             & (F.col("_early") != F.col("recent_home_cell")))
    before = recent.select(shift_key("subscriber_id", 1).alias("subscriber_id"), F.col("cell_id").alias("_prev"))
    if previous is not None:
        before = before.unionByName(previous.select("subscriber_id", F.col("recent_home_cell").alias("_prev")))
    out = out.join(before, "subscriber_id", "left")
    start_home = F.coalesce(F.col("_early"), F.col("home_cell"))
    moved = moved | (F.col("_prev").isNotNull() & start_home.isNotNull() & (F.col("_prev") != start_home))
    out = out.withColumn("home_moved", F.coalesce(moved, F.lit(False)))
    out = out.withColumn("locatable", F.col("home_cell").isNotNull())
    return out.drop("_early", "_prev")
