"""The panorama path of churn prediction: which months train and validate, the labelled examples
(features of `gold.panorama` at month T, label = churned in T+1+gap from `silver.subscriber`), and the
scores table's columns.

Month plan for `train_churn --month M` (gap g): the validation month is V = M-1-g, whose label month
V+1+g = M is the latest known; training uses the `train_months` feature months V-n..V-1 (labels in
months ≤ M-1). No example reads a panorama partition after its own month T.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.core.periods import add_months
from lifecircle.models.features import LABEL


def label_month(month: str, gap: int) -> str:
    """The month whose churn the features of `month` predict."""
    return add_months(month, 1 + gap)


def month_plan(month: str, gap: int, train_months: int) -> tuple[list[str], str]:
    """(training feature months oldest first, validation feature month) for a training run at `month`."""
    valid = add_months(month, -(1 + gap))
    return [add_months(valid, -k) for k in range(train_months, 0, -1)], valid


def examples(panorama: DataFrame, subscriber: DataFrame, month: str, gap: int) -> DataFrame:
    """Panorama rows of `month` T (only that partition) in; plus `label` (1.0 = churned in T+1+gap) out.

    Subscribers who already churned in T..T+gap are left out (they cannot be retained any more), and so are
    those absent from the label month's subscriber partition (label unknown)."""
    target = label_month(month, gap)
    feats = panorama.where(F.col("month") == month)
    gone = (subscriber.where((F.col("month") >= month) & (F.col("month") < target) & F.col("churned"))
            .select("subscriber_id").distinct())
    labels = (subscriber.where(F.col("month") == target)
              .select("subscriber_id", F.col("churned").cast("double").alias(LABEL)))
    return feats.join(gone, "subscriber_id", "left_anti").join(labels, "subscriber_id", "inner")


def training_examples(panorama: DataFrame, subscriber: DataFrame, months: list[str], gap: int) -> DataFrame:
    """The union of `examples` over several feature months."""
    frames = [examples(panorama, subscriber, m, gap) for m in months]
    out = frames[0]
    for f in frames[1:]:
        out = out.unionByName(f, allowMissingColumns=True)
    return out


def scoring_population(panorama: DataFrame, subscriber: DataFrame | None, month: str) -> DataFrame:
    """Panorama rows of `month`, minus subscribers already churned in that month (nothing left to retain)."""
    rows = panorama.where(F.col("month") == month)
    if subscriber is None:
        return rows
    gone = subscriber.where((F.col("month") == month) & F.col("churned")).select("subscriber_id")
    return rows.join(gone, "subscriber_id", "left_anti")
