"""Tables and jobs of lifecircle.models (gathered by lifecircle.registry)."""

from __future__ import annotations

from pyspark.sql import types as T

from lifecircle.core.pipeline import DemoPlan, JobSpec, latest_months
from lifecircle.core.tables import TableSpec
from lifecircle.models.alerts import ALERTS_SCHEMA

CHURN_SCORES_SCHEMA = T.StructType([
    T.StructField("subscriber_id", T.StringType(), False),
    T.StructField("month", T.StringType(), False),
    T.StructField("churn_probability", T.DoubleType(), True),
    T.StructField("rank", T.IntegerType(), False),
    T.StructField("decile", T.IntegerType(), True),
    T.StructField("risk_grade", T.StringType(), True),
    T.StructField("top_reasons", T.ArrayType(T.StringType()), True),
    T.StructField("reason_details", T.ArrayType(T.StructType([
        T.StructField("family", T.StringType()), T.StructField("feature", T.StringType()),
        T.StructField("score", T.DoubleType())])), True),
    T.StructField("model_version", T.StringType(), False),
])

TABLES: list[TableSpec] = [
    TableSpec(
        "gold.churn_scores", "churn probability, rank, decile, risk grade and top reasons per subscriber and month",
        "score_churn", partition_by=("month",), schema=CHURN_SCORES_SCHEMA, keys=("month", "subscriber_id"),
        columns_doc={
            "churn_probability": "champion model's probability of churn in month+1+gap",
            "rank": "1 = riskiest subscriber of the month",
            "decile": "1 = riskiest 10% of the month (equal-sized)",
            "risk_grade": "A/B/C/D from the decile (churn.risk_grades)",
            "top_reasons": "reason families (seed 000), strongest first; see docs/churn.md",
            "reason_details": "top features with their family and contribution",
            "model_version": "registered model version that scored",
        },
    ),
    TableSpec(
        "gold.alerts", "early-warning alerts: one row per subscriber, month and triggered rule, graded",
        "churn_alerts", partition_by=("month",), schema=ALERTS_SCHEMA, keys=("month", "subscriber_id", "rule"),
        columns_doc={"rule": "rule name in churn.alerts.rules", "level": "the highest level that holds",
                     "level_rank": "3 high, 2 medium, 1 low", "family": "reason family of the rule"},
    ),
]


def _min_history(plan: DemoPlan) -> int:
    return 4  # 3 months of panorama history behind the validation month, plus its label month


def train_demo(plan: DemoPlan) -> list[list[str]]:
    """Train once, on the latest month: it has the longest history and a known out-of-time label."""
    return [["--month", plan.months[-1]]] if len(plan.months) >= _min_history(plan) else []


def score_demo(plan: DemoPlan) -> list[list[str]]:
    """Score the latest months (the champion exists once train_churn has run)."""
    return latest_months(plan) if train_demo(plan) else []


JOBS: list[JobSpec] = [
    JobSpec("train_churn", 50, "monthly", "train, validate out-of-time, register and promote the churn model",
            inputs=("gold.panorama", "silver.subscriber"), outputs=(), period="month", demo_args=train_demo),
    JobSpec("score_churn", 55, "monthly", "score subscribers with the champion churn model, with reasons",
            inputs=("gold.panorama", "silver.subscriber"), outputs=("gold.churn_scores",), period="month",
            demo_args=score_demo, after=("train_churn",)),  # scores with the champion that training registers
    JobSpec("churn_alerts", 56, "monthly", "early-warning rules with graded levels",
            inputs=("gold.panorama",), outputs=("gold.alerts",), period="month", demo_args=latest_months),
]
