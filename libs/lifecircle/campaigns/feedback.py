"""Channel feedback → contact history: parse the result files (contacted, reached, accepted, declined with
reason, call back later; `converted` for a response seen outside a channel), quarantine bad rows with a
reason code, and reconcile against the campaign's list."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from lifecircle.campaigns.definition import Campaign

FEEDBACK_COLUMNS = ("subscriber_id", "strategy_id", "channel", "contact_time", "outcome", "decline_reason")
RAW_SCHEMA = StructType([StructField(c, StringType(), True) for c in FEEDBACK_COLUMNS]
                        + [StructField("_corrupt_record", StringType(), True)])
OUTCOMES = ("contacted", "reached", "accepted", "declined", "call_back_later", "converted")
QUARANTINE_REASONS = {
    "malformed_line": "not parseable as a CSV record of the feedback columns",
    "bad_timestamp": "contact_time missing or not a timestamp",
    "unknown_outcome": f"outcome not one of {', '.join(OUTCOMES)}",
    "unknown_channel": "channel not one of the campaign's channels (or 'none' for converted)",
    "not_in_list": "subscriber not in the campaign's list",
    "missing_decline_reason": "declined without a reason",
    "duplicate_record": "an exact repeat of an earlier row",
}


def _reason(campaign: Campaign, listed: Column) -> Column:
    ts = F.try_to_timestamp(F.col("contact_time"))
    channels = [*campaign.capacities, "none"]
    return (F.when(F.col("_corrupt_record").isNotNull() | F.col("subscriber_id").isNull(), F.lit("malformed_line"))
            .when(ts.isNull(), F.lit("bad_timestamp"))
            .when(~F.col("outcome").isin(*OUTCOMES) | F.col("outcome").isNull(), F.lit("unknown_outcome"))
            .when(~F.col("channel").isin(*channels) | F.col("channel").isNull(), F.lit("unknown_channel"))
            .when(~listed, F.lit("not_in_list"))
            .when((F.col("outcome") == "declined") & (F.coalesce(F.trim("decline_reason"), F.lit("")) == ""),
                  F.lit("missing_decline_reason"))
            .when(F.col("_dup") > 1, F.lit("duplicate_record")))


def parse_feedback(raw: DataFrame, campaign: Campaign, targets: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Raw feedback rows (RAW_SCHEMA + source_file) and the campaign's targets (subscriber_id) →
    (contact-history rows, quarantine rows with reason codes)."""
    from pyspark.sql import Window

    listed_ids = targets.select("subscriber_id").distinct().withColumn("_listed", F.lit(True))
    w = Window.partitionBy(*FEEDBACK_COLUMNS).orderBy("source_file")
    df = (raw.join(listed_ids, "subscriber_id", "left")
          .withColumn("_dup", F.row_number().over(w)))
    df = df.withColumn("_reason", _reason(campaign, F.coalesce(F.col("_listed"), F.lit(False))))
    good = df.where(F.col("_reason").isNull()).select(
        F.lit(campaign.id).alias("campaign_id"), "subscriber_id",
        F.when(F.trim("strategy_id") != "", F.col("strategy_id")).alias("strategy_id"), "channel",
        F.to_date(F.to_timestamp("contact_time")).alias("contact_date"),
        F.to_timestamp("contact_time").alias("contact_time"), "outcome",
        F.when(F.trim("decline_reason") != "", F.col("decline_reason")).alias("decline_reason"), "source_file")
    raw_text = F.coalesce(F.col("_corrupt_record"), F.concat_ws(",", *[F.coalesce(F.col(c), F.lit(""))
                                                                         for c in FEEDBACK_COLUMNS]))
    bad = df.where(F.col("_reason").isNotNull()).select(
        F.lit(campaign.id).alias("campaign_id"), "source_file", F.lit(None).cast("int").alias("line"),
        F.col("_reason").alias("reason"), raw_text.alias("raw"))
    return good, bad


def reconciliation(targets: DataFrame, history: DataFrame) -> DataFrame:
    """Per channel: listed (treated) subscribers, those with any feedback, and counts per outcome."""
    listed = targets.where(F.col("channel").isNotNull()).groupBy("channel").agg(F.count("*").alias("listed"))
    per = history.groupBy("channel").agg(
        F.countDistinct("subscriber_id").alias("with_feedback"),
        *[F.sum((F.col("outcome") == o).cast("int")).alias(o) for o in OUTCOMES])
    return listed.join(per, "channel", "full")
