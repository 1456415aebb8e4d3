"""Foundation smoke test: an MLlib model logged, registered, aliased `champion`, loaded back by alias, scored."""

from __future__ import annotations

import mlflow
import mlflow.spark
from mlflow import MlflowClient
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import VectorAssembler

from lifecircle.core.tracking import log_spark_model, start_run


def test_log_register_alias_load(spark, tmp_cfg):
    rows = [(float(i), 1.0 if i >= 5 else 0.0) for i in range(10)]
    df = spark.createDataFrame(rows, "x double, label double")
    model = Pipeline(stages=[VectorAssembler(inputCols=["x"], outputCol="features"),
                             LogisticRegression(maxIter=20)]).fit(df)
    with start_run(tmp_cfg, "smoke", period="2026-10") as run:
        uri = log_spark_model(model, "model")
    assert mlflow.get_tracking_uri().startswith("sqlite:///") and str(tmp_cfg.get("paths.mlflow")) in \
        mlflow.get_tracking_uri()
    mv = mlflow.register_model(uri, "smoke_model")
    client = MlflowClient()
    client.set_registered_model_alias("smoke_model", "champion", mv.version)
    assert client.get_model_version_by_alias("smoke_model", "champion").run_id == run.info.run_id
    loaded = mlflow.spark.load_model("models:/smoke_model@champion")
    got = loaded.transform(spark.createDataFrame([(0.0, 0.0), (9.0, 1.0)], "x double, label double"))
    assert [r["prediction"] for r in got.orderBy("x").collect()] == [0.0, 1.0]
