"""Stays from location signalling: consecutive events in one cell become a stay, after ping-pong
handovers (A→B→A with a short visit to neighbouring cell B) are folded back into A. Then the dwell of
every stay inside each configured time window, per local day: the one table every circle reads."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    DateType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from lifecircle.circles.taxonomy import Segment
from lifecircle.core.month_keys import month_of, shift_month

STAYS_SCHEMA = StructType([
    StructField("month", StringType(), False),
    StructField("subscriber_id", StringType(), False),
    StructField("cell_id", StringType(), False),
    StructField("start_time", TimestampType(), False),
    StructField("end_time", TimestampType(), False),
    StructField("duration_s", LongType(), False),
    StructField("n_events", IntegerType(), False),
])
DWELL_SCHEMA = StructType([
    StructField("subscriber_id", StringType(), False),
    StructField("cell_id", StringType(), False),
    StructField("day", DateType(), False),
    StructField("window", StringType(), False),
    StructField("seconds", LongType(), False),
])


def neighbour_pairs(cells: DataFrame) -> DataFrame:
    """silver.cells (cell_id, neighbours = space-separated ids) → symmetric (cell_a, cell_b) pairs."""
    one_way = (
        cells.select("cell_id", F.explode(F.split(F.trim(F.coalesce(F.col("neighbours"), F.lit(""))), r"\s+"))
                     .alias("nb"))
        .where(F.col("nb") != "")
    )
    both = one_way.select(F.col("cell_id").alias("cell_a"), F.col("nb").alias("cell_b")).unionByName(
        one_way.select(F.col("nb").alias("cell_a"), F.col("cell_id").alias("cell_b")))
    return both.where(F.col("cell_a") != F.col("cell_b")).distinct()


def detect_stays(signalling: DataFrame, pairs: DataFrame, pingpong_window_s: int, max_gap_s: int) -> DataFrame:
    """Signalling (subscriber_id, event_time, cell_id) of one or more months → stays (STAYS_SCHEMA) with ping-pong
    smoothing, each month on its own (a stay never crosses into the next month: that month starts afresh).

    A run of events in one cell (no two more than max_gap_s apart) is a segment. A segment in cell B
    that neighbours the previous segment's cell A becomes A when it is a ping-pong: A→B→A with A back
    within pingpong_window_s of B's first event, or a blip that starts within pingpong_window_s of A's
    last event and is itself over within it. A stay lasts from its first event to the next stay's first
    event, at most max_gap_s after its last event (a silent phone is not assumed to stay put forever)
    and never past the end of its month.
    """
    by_sub = Window.partitionBy("subscriber_id", "month")
    ev = signalling.select("subscriber_id", month_of("event_time").alias("month"), "event_time", "cell_id")
    w = by_sub.orderBy("event_time", "cell_id")
    same = (F.lag("cell_id").over(w) == F.col("cell_id")) & (
        F.unix_timestamp("event_time") - F.unix_timestamp(F.lag("event_time").over(w)) <= max_gap_s)
    ev = ev.withColumn("_chg", F.when(same, 0).otherwise(1))
    ev = ev.withColumn("_seg", F.sum("_chg").over(w.rowsBetween(Window.unboundedPreceding, 0)))
    seg = ev.groupBy("subscriber_id", "month", "_seg").agg(
        F.first("cell_id").alias("cell_id"), F.min("event_time").alias("t0"), F.max("event_time").alias("t1"),
        F.count(F.lit(1)).cast("int").alias("n"),
    )
    ws = by_sub.orderBy("_seg")
    seg = (
        seg.withColumn("_prev", F.lag("cell_id").over(ws))
        .withColumn("_prev_t1", F.lag("t1").over(ws))
        .withColumn("_prev_t0", F.lag("t0").over(ws))
        .withColumn("_prev2", F.lag("cell_id", 2).over(ws))
        .withColumn("_prev2_t1", F.lag("t1", 2).over(ws))
        .withColumn("_next", F.lead("cell_id").over(ws))
        .withColumn("_next_t0", F.lead("t0").over(ws))
    )
    nb = F.broadcast(pairs.select(F.col("cell_a").alias("_prev"), F.col("cell_b").alias("cell_id"),
                                  F.lit(True).alias("_is_nb")))
    seg = seg.join(nb, ["_prev", "cell_id"], "left")
    secs = F.unix_timestamp
    quick = F.lit(pingpong_window_s)
    # A→B→A: the visit to B (its first event to A's return) is short
    # (A still current: B starts within max_gap_s of A's last event, else A's stay had already ended)
    back = ((F.col("_prev") == F.col("_next")) & (secs("_next_t0") - secs("t0") <= quick)
            & (secs("t0") - secs("_prev_t1") <= max_gap_s))
    # A→B blip: B comes right after A and is over as quickly (a handover flicker, then silence);
    # not the return leg of a quick B→A→B, which the rule above already settles (there A was the blip).
    # A B→A→B over hours is A's stay with two flickers to B: each flicker is a blip.
    return_leg = (F.col("_prev2").eqNullSafe(F.col("cell_id")) & (secs("_prev_t0") - secs("_prev2_t1") <= quick)
                  & (secs("t0") - secs("_prev_t0") <= quick))
    blip = ~return_leg & (secs("t0") - secs("_prev_t1") <= quick) & (secs("t1") - secs("t0") <= quick) & (
        F.col("_next").isNull() | (F.col("_next") != F.col("cell_id")) | (secs("_next_t0") - secs("t1") > max_gap_s))
    bounce = F.col("_is_nb").isNotNull() & (back | blip)
    seg = seg.select("subscriber_id", "month", "_seg", "t0", "t1", "n",
                     F.when(bounce, F.col("_prev")).otherwise(F.col("cell_id")).alias("_cell"))
    merge = (F.lag("_cell").over(ws) == F.col("_cell")) & (secs("t0") - secs(F.lag("t1").over(ws)) <= max_gap_s)
    seg = seg.withColumn("_chg", F.when(merge, 0).otherwise(1))
    seg = seg.withColumn("_stay", F.sum("_chg").over(ws.rowsBetween(Window.unboundedPreceding, 0)))
    stay = seg.groupBy("subscriber_id", "month", "_stay").agg(
        F.first("_cell").alias("cell_id"), F.min("t0").alias("start_time"), F.max("t1").alias("_last"),
        F.sum("n").cast("int").alias("n_events"),
    )
    wt = by_sub.orderBy("_stay")
    cap = F.timestamp_seconds(F.unix_timestamp("_last") + F.lit(max_gap_s))
    end = F.least(F.coalesce(F.lead("start_time").over(wt), cap), cap)
    end = F.least(end, F.to_date(shift_month("month", 1), "yyyy-MM").cast("timestamp"))  # the month's end, local
    stay = stay.withColumn("end_time", end).withColumn(
        "end_time", F.greatest(F.col("end_time"), F.col("start_time")))
    return stay.select(
        "month", "subscriber_id", "cell_id", "start_time", "end_time",
        (F.unix_timestamp("end_time") - F.unix_timestamp("start_time")).cast("long").alias("duration_s"),
        "n_events",
    )


def segments_frame(spark: SparkSession, segments: Sequence[Segment]) -> DataFrame:
    """The configured window segments as a small frame (window, days, from_s, to_s) to broadcast."""
    schema = "window string, days string, from_s long, to_s long"
    return spark.createDataFrame([(s.window, s.days, s.from_s, s.to_s) for s in segments], schema)


def day_kind_matches(day: F.Column, days: F.Column) -> F.Column:
    """True where `day` (a date) is of kind `days` (all / weekday / weekend; Saturday and Sunday are weekend)."""
    weekend = F.dayofweek(day).isin(1, 7)
    return (days == "all") | ((days == "weekend") & weekend) | ((days == "weekday") & ~weekend)


def dwell_by_window(stays: DataFrame, segments: DataFrame) -> DataFrame:
    """Stays → seconds per (subscriber_id, cell_id, local day, window) (DWELL_SCHEMA), overlap only."""
    s, e = F.unix_timestamp("start_time"), F.unix_timestamp("end_time")
    per_day = stays.where(F.col("duration_s") > 0).select(
        "subscriber_id", "cell_id", s.alias("_s"), e.alias("_e"),
        F.explode(F.sequence(F.to_date("start_time"),
                             F.to_date(F.timestamp_seconds(e - F.lit(1))))).alias("day"),
    )
    d0 = F.unix_timestamp(F.col("day").cast("timestamp"))
    joined = per_day.join(F.broadcast(segments), day_kind_matches(F.col("day"), F.col("days")))
    overlap = F.least(F.col("_e"), d0 + F.col("to_s")) - F.greatest(F.col("_s"), d0 + F.col("from_s"))
    return (
        joined.select("subscriber_id", "cell_id", "day", "window", overlap.alias("seconds"))
        .where(F.col("seconds") > 0)
        .groupBy("subscriber_id", "cell_id", "day", "window")
        .agg(F.sum("seconds").cast("long").alias("seconds"))
    )
