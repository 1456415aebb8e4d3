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
from lifecircle.core.periods import month_bounds
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


def pivot_features(profile: DataFrame, tags: DataFrame, tax: Taxonomy, month: str) -> DataFrame:
    """Region profile + tag store rows → one row per subscriber: region path, flags, value columns, counts."""
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
    return out.select(
        F.lit(month).alias("month"), "subscriber_id", "locatable", *region_cols, "home_confidence",
        "work_confidence", "recent_home_cell", "home_moved", *flag_cols, *value_columns, *count_cols, "days_seen",
    )


def region_counts(features: DataFrame, month: str) -> DataFrame:
    """Circle features → subscribers per (basis home|work, level cell..county_branch, region_id) for OLAP."""
    items = [
        F.struct(F.lit(role).alias("basis"), F.lit(level).alias("level"), F.col(f"{role}_{level}").alias("region_id"))
        for role in ("home", "work") for level in REGION_COLUMNS
    ]
    exploded = features.select("subscriber_id", F.explode(F.array(*items)).alias("r")).select("subscriber_id", "r.*")
    return (
        exploded.where(F.col("region_id").isNotNull())
        .groupBy("basis", "level", "region_id").agg(F.count(F.lit(1)).alias("subscribers"))
        .select(F.lit(month).alias("month"), "basis", "level", "region_id", "subscribers")
    )


def life_circles(
    spark: SparkSession,
    stays: DataFrame,
    signalling: DataFrame,
    cells: DataFrame,
    events: DataFrame | None,
    voice_cdr: DataFrame | None,
    tax: Taxonomy,
    month: str,
    previous: DataFrame | None = None,
) -> CircleOutputs:
    """Stays + signalling + cells + events + voice CDR (+ last month's circle features) → CircleOutputs.

    The dwell per (subscriber, cell, day, window) is computed once (`reuse`): region and every place
    circle read it.
    """
    dwell = reuse(dwell_by_window(stays, segments_frame(spark, tax.segments)))
    seen = seen_subscribers(signalling)
    profile = reuse(region_profile(seen, dwell, cells, tax, month, previous))
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
    tags = reuse(stamp(tags, month, tax))
    features = pivot_features(profile, tags, tax, month)
    return CircleOutputs(tags, features, region_counts(features, month))


def month_end(month: str) -> str:
    """The first instant after `month` as local-time text ('2026-11-01 00:00:00'), where stays are cut."""
    return f"{month_bounds(month)[1].isoformat()} 00:00:00"
