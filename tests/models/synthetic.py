"""A small synthetic panorama + subscriber feed where churn in T+2 is driven by month-T features."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lifecircle.core.periods import add_months

MONTHS = ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]


def _u(*cols) -> F.Column:
    return (F.abs(F.hash(*cols)) % 1000) / 1000.0


def panorama_and_subscriber(spark: SparkSession, n: int = 300, months: list[str] = MONTHS,
                            gap: int = 1) -> tuple[DataFrame, DataFrame]:
    """(panorama, subscriber): features x at month T drive churn in T+1+gap; plan 'p3' churns more."""
    ids = spark.range(n).select(F.format_string("s%04d", "id").alias("subscriber_id"))
    mdf = spark.createDataFrame([(m, add_months(m, -(1 + gap))) for m in months], "month string, feat_month string")
    base = ids.crossJoin(mdf)
    risk_at = _u("subscriber_id", "feat_month")
    churned = (risk_at > 0.75) & (_u("subscriber_id", "month", F.lit("noise")) < 0.85)
    subscriber = base.select("month", "subscriber_id", churned.alias("churned"))
    risk = _u("subscriber_id", "month")
    panorama = base.select(
        "subscriber_id", "month",
        F.floor(risk * 5).cast("int").alias("svc_complaints_3m"),
        (F.lit(0.2) - risk * 0.5).alias("arpu_change_m1"),
        F.when(risk > 0.9, 4).when(risk > 0.8, 3).otherwise(0).alias("bill_decline_streak"),
        F.floor(_u("subscriber_id", F.lit("f")) * 4).cast("int").alias("svc_fault_reports_3m"),
        F.concat(F.lit("p"), (F.floor(_u("subscriber_id", F.lit("plan")) * 3) + 1).cast("string")).alias("plan_id"),
        (_u("subscriber_id", F.lit("t")) * 60).alias("tenure_months"),
        F.lit(False).alias("churned"),
    )
    return panorama, subscriber
