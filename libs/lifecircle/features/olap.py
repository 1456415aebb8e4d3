"""OLAP cubes over the panorama: GROUPING SETS of region level × brand × plan × segment, Top-N/Bottom-N
cells per metric, and month-over-month anomalies by z-score. Outputs are flat gold tables a BI tool reads.

Dimension values: 'ALL' where a grouping set rolls the dimension up, '(none)' where the subscriber has no value.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lifecircle.features.panorama import require_columns

ALL = "ALL"
NONE = "(none)"
# region level -> panorama column
REGION_LEVELS: dict[str, str] = {
    "county": "county",
    "county_branch": "region_county_branch",
    "marketing_center": "region_marketing_center",
    "district": "region_district",
    "store": "region_store_id",
}
# gold.segments column naming the segment: the first one present is used
SEGMENT_COLUMNS = ("segment_name", "strategic_name", "strategic_segment", "segment_id")
CUBE_DIMS = ("region_level", "region", "brand", "plan_id", "segment")
METRICS: dict[str, str] = {
    "subscribers": "subscribers",
    "active": "active",
    "zero_users": "zero_users",
    "churners": "churners",
    "churn_rate": "churners / subscribers",
    "revenue": "revenue",
    "arpu": "arpu",
    "mou": "mou",
    "data_mb": "data_mb",
    "on_net_share": "on_net_share",
    "complaints": "complaints",
    "complaints_per_1000": "1000.0 * complaints / subscribers",
}
METRIC_DOCS: dict[str, str] = {
    "month": "the month (partition)",
    "grouping_set": "the dimensions of this cell joined by 'x', e.g. county x brand; 'total' for the grand total",
    "region_level": "county / county_branch / marketing_center / district / store, or ALL",
    "region": "the region value at region_level (ALL when rolled up)",
    "brand": "brand (ALL when rolled up)",
    "plan_id": "plan (ALL when rolled up, (none) for no plan)",
    "segment": "segment name from gold.segments (ALL when rolled up or absent)",
    "subscribers": "panorama rows (subscribers of M incl. churners of M)",
    "active": "subscribers whose account is open at month end",
    "zero_users": "subscribers without voice, SMS or data in M",
    "churners": "subscribers with churned = true (silver.subscriber)",
    "churn_rate": "churners / subscribers",
    "revenue": "sum of ARPU, yuan",
    "arpu": "mean ARPU, yuan",
    "mou": "mean voice minutes per subscriber",
    "data_mb": "mean data MB per subscriber",
    "on_net_share": "on-net minutes / all voice minutes",
    "complaints": "complaints in M",
    "complaints_per_1000": "complaints per 1,000 subscribers",
}


def _grouping_sets(levels: Sequence[str], with_segment: bool) -> list[tuple[str, ...]]:
    others = ["brand", "plan_id"] + (["segment"] if with_segment else [])
    sets: list[tuple[str, ...]] = [()] + [(o,) for o in others]
    for lvl in levels:
        sets.append((lvl,))
        sets += [(lvl, o) for o in others]
    return sets


def build_cube(
    panorama: DataFrame, month: str, region_levels: Sequence[str] = ("county",), segments: DataFrame | None = None,
) -> DataFrame:
    """gold.panorama rows of M (+ gold.segments) → gold.olap_cube: one row per grouping-set cell with METRICS."""
    unknown = [lvl for lvl in region_levels if lvl not in REGION_LEVELS]
    if unknown:
        raise ValueError(f"unknown region level(s) {unknown}; known: {list(REGION_LEVELS)}")
    need = ["subscriber_id", "month", "brand", "plan_id", "is_active", "is_zero_user", "churned", "arpu",
            "voice_minutes", "voice_on_net_minutes", "data_mb", "svc_complaints",
            *[REGION_LEVELS[lvl] for lvl in region_levels]]
    require_columns(panorama, need, "gold.panorama")
    df = panorama.where(F.col("month") == month)
    if segments is not None:
        name = next((c for c in SEGMENT_COLUMNS if c in segments.columns), None)
        require_columns(segments, ["subscriber_id", "month", name or SEGMENT_COLUMNS[0]], "gold.segments")
        seg = segments.where(F.col("month") == month).select(
            "subscriber_id", F.col(name).cast("string").alias("segment")).dropDuplicates(["subscriber_id"])
        df = df.join(seg, "subscriber_id", "left")
    dims = [*region_levels, "brand", "plan_id", *(["segment"] if segments is not None else [])]
    df = df.select(
        *[F.coalesce(F.col(REGION_LEVELS.get(d, d)).cast("string"), F.lit(NONE)).alias(d) for d in dims],
        "is_active", "is_zero_user", "churned", "arpu", "voice_minutes", "voice_on_net_minutes", "data_mb",
        "svc_complaints",
    )
    sets = _grouping_sets(region_levels, segments is not None)
    agg = df.groupingSets([list(s) for s in sets], *dims).agg(
        F.grouping_id().alias("_gid"),
        F.count(F.lit(1)).alias("subscribers"),
        F.count_if(F.col("is_active")).alias("active"),
        F.count_if(F.col("is_zero_user")).alias("zero_users"),
        F.count_if(F.col("churned")).alias("churners"),
        F.sum("arpu").alias("revenue"),
        F.avg("arpu").alias("arpu"),
        F.avg(F.coalesce("voice_minutes", F.lit(0.0))).alias("mou"),
        F.avg(F.coalesce("data_mb", F.lit(0.0))).alias("data_mb"),
        (F.sum("voice_on_net_minutes") / F.nullif(F.sum("voice_minutes"), F.lit(0.0))).alias("on_net_share"),
        F.sum(F.coalesce("svc_complaints", F.lit(0))).cast("long").alias("complaints"),
    )
    # grouping_id: bit (n-1-i) is 1 when dims[i] is rolled up
    n = len(dims)
    label = F.lit(None).cast("string")
    level = F.lit(None).cast("string")
    for s in sets:
        gid = sum(1 << (n - 1 - i) for i, d in enumerate(dims) if d not in s)
        name = " x ".join(s) if s else "total"
        lvl = next((d for d in s if d in region_levels), ALL)
        label = F.when(F.col("_gid") == gid, F.lit(name)).otherwise(label)
        level = F.when(F.col("_gid") == gid, F.lit(lvl)).otherwise(level)
    region = F.coalesce(*[F.col(lvl) for lvl in region_levels], F.lit(ALL)) if region_levels else F.lit(ALL)
    out = agg.select(
        F.lit(month).alias("month"), label.alias("grouping_set"), level.alias("region_level"),
        region.alias("region"),
        F.coalesce("brand", F.lit(ALL)).alias("brand"), F.coalesce("plan_id", F.lit(ALL)).alias("plan_id"),
        (F.coalesce("segment", F.lit(ALL)) if "segment" in dims else F.lit(ALL)).alias("segment"),
        *[F.col(c) for c in ("subscribers", "active", "zero_users", "churners")],
        (F.col("churners") / F.col("subscribers")).alias("churn_rate"),
        "revenue", "arpu", "mou", "data_mb", "on_net_share", "complaints",
        (1000.0 * F.col("complaints") / F.col("subscribers")).alias("complaints_per_1000"),
    )
    return out


def _long(cube: DataFrame, metrics: Sequence[str]) -> DataFrame:
    ids = ["month", "grouping_set", *CUBE_DIMS]
    return cube.select(*ids, *[F.col(m).cast("double").alias(m) for m in metrics]).unpivot(
        ids, list(metrics), "metric", "value")


def top_n(cube: DataFrame, metrics: Sequence[str], n: int = 10, min_subscribers: int = 30) -> DataFrame:
    """gold.olap_cube rows → the n highest and n lowest cells per grouping set and metric (gold.olap_top_n)."""
    eligible = cube.where((F.col("subscribers") >= min_subscribers) & (F.col("grouping_set") != "total"))
    long = _long(eligible, metrics).where(F.col("value").isNotNull())
    part = Window.partitionBy("grouping_set", "metric")
    tie = [F.col(d) for d in CUBE_DIMS]
    ranked = (
        long.withColumn("top_rank", F.row_number().over(part.orderBy(F.col("value").desc(), *tie)))
        .withColumn("bottom_rank", F.row_number().over(part.orderBy(F.col("value").asc(), *tie)))
    )
    top = ranked.where(F.col("top_rank") <= n).withColumn("direction", F.lit("top")).withColumn(
        "rank", F.col("top_rank"))
    bottom = ranked.where(F.col("bottom_rank") <= n).withColumn("direction", F.lit("bottom")).withColumn(
        "rank", F.col("bottom_rank"))
    cols = ["month", "grouping_set", *CUBE_DIMS, "metric", "direction", "rank", "value"]
    return top.select(*cols).unionByName(bottom.select(*cols))


def anomalies(
    cube: DataFrame, previous: DataFrame | None, metrics: Sequence[str], z_threshold: float = 3.0,
    min_cells: int = 3, min_subscribers: int = 30,
) -> DataFrame:
    """Cube of M + cube of M-1 → cells whose month-over-month relative change has |z| >= z_threshold among
    the cells of the same grouping set and metric (gold.olap_anomalies); empty without a previous cube."""
    if previous is None:
        previous = cube.limit(0)
    keys = ["grouping_set", *CUBE_DIMS, "metric"]
    cur = _long(cube.where(F.col("subscribers") >= min_subscribers), metrics)
    prev = _long(previous, metrics).select(*keys, F.col("value").alias("prev_value"))
    df = cur.join(prev, keys, "inner").withColumn(
        "change", F.col("value") / F.nullif(F.col("prev_value"), F.lit(0.0)) - 1).where(F.col("change").isNotNull())
    part = Window.partitionBy("grouping_set", "metric")
    df = (
        df.withColumn("_mean", F.avg("change").over(part))
        .withColumn("_sd", F.stddev_samp("change").over(part))
        .withColumn("_cells", F.count(F.lit(1)).over(part))
        .withColumn("z_score", (F.col("change") - F.col("_mean")) / F.nullif(F.col("_sd"), F.lit(0.0)))
    )
    flagged = df.where((F.col("_cells") >= min_cells) & (F.abs(F.col("z_score")) >= z_threshold))
    return flagged.select(
        "month", *keys, "value", "prev_value", "change", "z_score",
        F.when(F.col("change") > 0, F.lit("up")).otherwise(F.lit("down")).alias("direction"),
    )
