"""`lifecircle churn fit|score` on the real public churn data sets and on bad input."""

from __future__ import annotations

import json
from pathlib import Path

from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.sql import functions as F

from lifecircle.cli import main

# One candidate per data set keeps the tests short: logistic regression suits Telco (mostly linear,
# one-hot contracts), boosted trees suit BigML (interactions of plans and minutes).
LR = ["churn.candidates=[lr]", "churn.grid.lr.regParam=[0.001,0.01,0.03]", "churn.numeric_bins=10", "churn.refit=true"]
GBT = ["churn.candidates=[gbt]", "churn.grid.gbt.maxIter=[60]", "churn.grid.gbt.maxDepth=[5]", "churn.refit=true"]


def _conf(tmp_path: Path, model: list[str]) -> list[str]:
    sets = [*model, "churn.train_partitions=2", f"paths.data_root={tmp_path / 'data'}"]
    return ["--env", "test"] + [x for s in sets for x in ("--set", s)]


def _auc(df, label: str, positive: str) -> float:
    scored = df.withColumn("y", (F.trim(F.col(label)) == positive).cast("double"))
    ev = BinaryClassificationEvaluator(rawPredictionCol="churn_probability", labelCol="y")
    return ev.evaluate(scored)


def test_telco_holdout_auc(spark, shared_data, tmp_path, capsys):
    raw = spark.read.option("header", True).csv(str(shared_data / "telco_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"))
    train, test = raw.randomSplit([0.75, 0.25], seed=2024)
    train.write.parquet(str(tmp_path / "train"))
    test.write.parquet(str(tmp_path / "test"))
    conf = _conf(tmp_path, LR)
    assert main(["churn", "fit", "--input", str(tmp_path / "train"), "--id", "customerID", "--label", "Churn",
                 "--model-out", str(tmp_path / "model"), *conf]) == 0
    fit_report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["churn", "score", "--input", str(tmp_path / "test"), "--id", "customerID", "--keep", "Churn",
                 "--model", str(tmp_path / "model"), "--out", str(tmp_path / "scores"), *conf]) == 0
    scores = spark.read.parquet(str(tmp_path / "scores"))
    assert scores.columns == ["customerID", "Churn", "churn_probability", "top_reasons", "reason_details",
                              "rank", "decile"]
    auc = _auc(scores, "Churn", "Yes")
    print(f"telco holdout AUC {auc:.4f}; fit {fit_report}")
    assert auc >= 0.84
    # TotalCharges has blanks: parsed as a number, not a category
    meta = json.loads((tmp_path / "model" / "churn_model.json").read_text())
    assert "TotalCharges" in meta["features"]["numeric"]
    assert "Contract" in meta["features"]["categorical"]
    assert (tmp_path / "model" / "plots" / "roc.png").stat().st_size > 1000
    top = scores.where("decile = 1").agg(F.avg((F.col("Churn") == "Yes").cast("double"))).first()[0]
    assert top > 0.5  # the riskiest tenth churns far above the 26.5% base rate
    assert scores.where(F.size("top_reasons") == 0).count() < scores.count()


def test_bigml_fit_80_score_20(spark, shared_data, tmp_path, capsys):
    conf = _conf(tmp_path, GBT)
    data = shared_data / "bigml_churn"
    assert main(["churn", "fit", "--input", str(data / "churn-bigml-80.csv"), "--label", "Churn",
                 "--model-out", str(tmp_path / "model"), *conf]) == 0
    assert main(["churn", "score", "--input", str(data / "churn-bigml-20.csv"), "--keep", "Churn",
                 "--model", str(tmp_path / "model"), "--out", str(tmp_path / "scores"), *conf]) == 0
    scores = spark.read.parquet(str(tmp_path / "scores"))
    auc = _auc(scores, "Churn", "True")
    print(f"bigml 20% AUC {auc:.4f}")
    assert auc >= 0.90
    assert scores.count() == 667
