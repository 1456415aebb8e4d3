"""The life-circle pipeline as one pure function, and its two subscriber-level outputs: the pivoted
circle features for the panorama and subscribers per region level for the OLAP cubes."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType

from lifecircle.circles.region import LEVELS, region_profile
from lifecircle.circles.stays import dwell_by_window, segments_frame
from lifecircle.circles.tags import (
    activity_tags,
    event_tags,
    place_tags,
    region_tags,
    roaming_tags,
    stamp,
)
from lifecircle.circles.taxonomy import Taxonomy
from lifecircle.core.month_keys import keyed, month_of, shift_month, unkeyed
from lifecircle.core.spark import reuse

REGION_COUNTS_SCHEMA = StructType([
    StructField("month", StringType(), False),
    StructField("basis", StringType(), False),
    StructField("level", StringType(), False),
    StructField("region_id", StringType(), False),
    StructField("subscribers", LongType(), False),
])
REGION_COLUMNS = ("cell", *LEVELS)
TAG_CATEGORIES = ("demographic", "preference", "need", "behaviour")


@dataclass(frozen=True)
class CircleOutputs:
    """What the life-circle job writes: tags (gold.tags), features (gold.circle_features), region counts."""

    tags: DataFrame
    features: DataFrame
    region_counts: DataFrame


def seen_subscribers(signalling: DataFrame) -> DataFrame:
    """Signalling → (subscriber_id, days_seen, first_seen, last_seen): every subscriber the month saw."""
    days = signalling.select("subscriber_id", F.to_date("event_time").alias("day")).distinct()
    return days.groupBy("subscriber_id").agg(
        F.count(F.lit(1)).cast("int").alias("days_seen"), F.min("day").alias("first_seen"),
        F.max("day").alias("last_seen"),
    )


def pivot_features(profile: DataFrame, tags: DataFrame, tax: Taxonomy) -> DataFrame:
    """Region profile + tag rows, keyed by subscriber-month → one row per subscriber and month: region path, flags,
    value columns, counts."""
    aggs = []
    for flag, pairs in tax.flags().items():
        cond = F.lit(False)
        for category, tag in pairs:
            cond = cond | ((F.col("category") == category) & (F.col("tag") == tag))
        aggs.append(F.max(cond).alias(flag))
    value_columns = {"income_band": ("demographic", "income"), **tax.value_columns()}
    for name, (category, tag) in value_columns.items():
        cond = (F.col("category") == category) & (F.col("tag") == tag)
        aggs.append(F.max_by(F.when(cond, F.split("value", ":").getItem(0)),
                             F.when(cond, F.struct("evidence_count", "value"))).alias(name))
    not_region = F.col("category") != "region"
    aggs.append(F.count(F.when(not_region, 1)).cast("int").alias("n_tags"))
    for category in TAG_CATEGORIES:
        aggs.append(F.count(F.when(F.col("category") == category, 1)).cast("int").alias(f"n_{category}_tags"))
    per_sub = tags.groupBy("subscriber_id").agg(*aggs)
    region_cols = [f"{role}_{c}" for role in ("home", "work") for c in REGION_COLUMNS]
    out = profile.select(
        "subscriber_id", "locatable", *region_cols, "home_confidence", "work_confidence", "recent_home_cell",
        "home_moved", "days_seen",
    ).join(per_sub, "subscriber_id", "left")
    flag_cols = [F.coalesce(F.col(f), F.lit(False)).alias(f) for f in tax.flags()]
    count_cols = [F.coalesce(F.col(c), F.lit(0)).alias(c)
                  for c in ("n_tags", *[f"n_{c}_tags" for c in TAG_CATEGORIES])]
    return unkeyed(out.select(
        "subscriber_id", "locatable", *region_cols, "home_confidence",
        "work_confidence", "recent_home_cell", "home_moved", *flag_cols, *value_columns, *count_cols, "days_seen",
    ))


def region_counts(features: DataFrame) -> DataFrame:
    """Circle features → subscribers per (month, basis home|work, level cell..county_branch, region_id) for OLAP."""
    items = [
        F.struct(F.lit(role).alias("basis"), F.lit(level).alias("level"), F.col(f"{role}_{level}").alias("region_id"))
        for role in ("home", "work") for level in REGION_COLUMNS
    ]
    exploded = features.select("month", "subscriber_id", F.explode(F.array(*items)).alias("r")).select(
        "month", "subscriber_id", "r.*")
    return (
        exploded.where(F.col("region_id").isNotNull())
        .groupBy("month", "basis", "level", "region_id").agg(F.count(F.lit(1)).alias("subscribers"))
        .select("month", "basis", "level", "region_id", "subscribers")
    )


def life_circles(
    spark: SparkSession,
    stays: DataFrame,
    signalling: DataFrame,
    cells: DataFrame,
    events: DataFrame | None,
    voice_cdr: DataFrame | None,
    tax: Taxonomy,
    previous: DataFrame | None = None,
) -> CircleOutputs:
    """Stays + signalling + cells + events + voice CDR of one or more months (+ the month before's circle
    features: month, subscriber_id, recent_home_cell) → CircleOutputs, every month on its own.

    Every circle works per subscriber-month key (lifecircle.core.month_keys), so a range of months costs one
    pass. The dwell per (subscriber, cell, day, window) is computed once (`reuse`): region and every place
    circle read it.
    """
    stays = keyed(stays, "month")
    signalling = keyed(signalling, month_of("event_time"))
    if voice_cdr is not None:
        voice_cdr = keyed(voice_cdr, month_of("date"))
    if previous is not None:  # keyed by the month it precedes
        previous = keyed(previous, shift_month("month", 1)).select("subscriber_id", "recent_home_cell")
    dwell = reuse(dwell_by_window(stays, segments_frame(spark, tax.segments)))
    seen = seen_subscribers(signalling)
    profile = reuse(region_profile(seen, dwell, cells, tax, previous))
    parts = [
        region_tags(profile, tax),
        place_tags(spark, dwell, cells, tax),
        activity_tags(spark, signalling, tax),
        roaming_tags(spark, voice_cdr, tax),
    ]
    if events is not None:
        parts.append(event_tags(spark, stays, cells, events, tax))
    tags = parts[0]
    for p in parts[1:]:
        tags = tags.unionByName(p)
    tags = reuse(tags)
    features = pivot_features(profile, tags, tax)
    return CircleOutputs(stamp(tags, tax), features, region_counts(features))
