"""Champion/challenger: a worse challenger stays challenger, a better one becomes champion, with the reason."""

from __future__ import annotations

from mlflow import MlflowClient
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import functions as F

from lifecircle.core.tracking import log_spark_model, start_run
from lifecircle.models.mlflow_ops import (
    PROFILE_ARTIFACT,
    outdated_profile,
    register_and_promote,
    validation_auc,
)
from lifecircle.models.reasons import REASON_METHOD

NAME = "churn_promotion_test"


def _fit(df, col: str, flip: bool = False):
    train = df.withColumn("label", 1.0 - F.col("label")) if flip else df
    return Pipeline(stages=[VectorAssembler(inputCols=[col], outputCol="features"),
                            LogisticRegression(maxIter=20)]).fit(train)


def _log_and_promote(cfg, model, valid, profile=None):
    import mlflow

    auc = validation_auc(model, valid)
    with start_run(cfg, "train_churn", period="2026-10", experiment="promotion") as run:
        uri = log_spark_model(model, "model")
        if profile is not None:
            mlflow.log_dict(profile, PROFILE_ARTIFACT)
    return register_and_promote(NAME, uri, run.info.run_id, auc, valid, champion_check=outdated_profile)


def test_promotion_both_ways(spark, tmp_cfg):
    # `good` separates the classes, `weak` only partly; the validation month is the same for all three
    rows = [(float(i), float(i % 10 + (5 if i >= 10 else 0)), 1.0 if i >= 10 else 0.0) for i in range(20)]
    df = spark.createDataFrame(rows, "good double, weak double, label double")
    weak, worse, good = _fit(df, "weak"), _fit(df, "weak", flip=True), _fit(df, "good")

    current = {"method": REASON_METHOD}
    old = _log_and_promote(tmp_cfg, weak, df, profile={"numeric": {}})  # a profile of the older z-score method
    assert old.promoted and old.reason == "no champion yet"
    first = _log_and_promote(tmp_cfg, weak, df, profile=current)  # same AUC, but the champion cannot explain
    assert first.promoted and "older method" in first.reason

    second = _log_and_promote(tmp_cfg, worse, df, profile=current)
    assert not second.promoted
    assert second.champion_version == first.version and second.champion_metric > second.challenger_metric
    client = MlflowClient()
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == first.version
    assert str(client.get_model_version_by_alias(NAME, "challenger").version) == second.version
    tags = client.get_model_version(NAME, second.version).tags
    assert tags["promotion"] == "not_promoted" and "<=" in tags["promotion_reason"]

    third = _log_and_promote(tmp_cfg, good, df, profile=current)
    assert third.promoted and third.challenger_metric == 1.0 and ">" in third.reason
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == third.version
    run_tags = client.get_run(client.get_model_version(NAME, third.version).run_id).data.tags
    assert run_tags["promotion"] == "promoted"
