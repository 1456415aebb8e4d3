"""The panorama path: month plan, examples without leakage, and the train/score/alerts jobs end to end."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from lifecircle.core.delta_io import read_delta, write_delta
from lifecircle.models.churn import examples, month_plan
from lifecircle.registry import table
from lifecircle.runtime import run_script
from tests.conftest import make_config
from tests.models.synthetic import panorama_and_subscriber


def test_month_plan():
    assert month_plan("2026-10", 1, 3) == (["2026-05", "2026-06", "2026-07"], "2026-08")
    assert month_plan("2026-10", 0, 2) == (["2026-07", "2026-08"], "2026-09")


def test_examples_labels_by_hand(spark):
    pano = spark.createDataFrame(
        [("a", "2026-06", 1.0), ("b", "2026-06", 2.0), ("c", "2026-06", 3.0), ("d", "2026-06", 4.0),
         ("a", "2026-07", 9.0)], "subscriber_id string, month string, f double")
    sub = spark.createDataFrame(
        [("2026-06", "a", False), ("2026-06", "b", False), ("2026-06", "c", False), ("2026-06", "d", True),
         ("2026-07", "a", False), ("2026-07", "b", False), ("2026-07", "c", True),
         ("2026-08", "a", True), ("2026-08", "b", False), ("2026-08", "c", False)],
        "month string, subscriber_id string, churned boolean")
    got = examples(pano, sub, "2026-06", gap=1).select("subscriber_id", "month", "f", "label")
    # c churned during the gap month and d in T itself: both out; labels come from 2026-08
    expected = spark.createDataFrame([("a", "2026-06", 1.0, 1.0), ("b", "2026-06", 2.0, 0.0)],
                                     "subscriber_id string, month string, f double, label double")
    assertDataFrameEqual(got, expected)


def test_no_feature_read_after_month_t(spark, tmp_path):
    """Features come only from panorama partition T: rewriting every later partition changes nothing, and
    the files the examples read from the panorama all lie in month=T."""
    pano, sub = panorama_and_subscriber(spark, n=40)
    path = str(tmp_path / "panorama")
    write_delta(pano, path, partition_by=("month",))
    stored = read_delta(spark, path)
    t = "2026-06"
    before = examples(stored, sub, t, gap=1)
    pano_files = [f for f in before.inputFiles() if "panorama" in f]
    assert pano_files and all("month=2026-06" in f for f in pano_files), pano_files
    poisoned = stored.withColumn("svc_complaints_3m",
                                 F.when(F.col("month") > t, F.lit(999)).otherwise(F.col("svc_complaints_3m")))
    after = examples(poisoned, sub, t, gap=1)
    assertDataFrameEqual(after, before)
    # and the leak would be caught: a feature taken from T+1 changes the examples
    leaky = stored.withColumn("month", F.when(F.col("month") == "2026-07", F.lit(t)).otherwise(F.col("month")))
    assert examples(leaky, sub, t, gap=1).count() != before.count()


@pytest.mark.slow
def test_jobs_end_to_end(spark, tmp_path):
    tmp_cfg = make_config(tmp_path / "data", "churn.candidates=[lr]", "churn.grid.lr.regParam=[0.01]",
                          "churn.train_partitions=2")
    pano, sub = panorama_and_subscriber(spark, n=300)
    write_delta(pano, table("gold.panorama").path(tmp_cfg), partition_by=("month",))
    write_delta(sub, table("silver.subscriber").path(tmp_cfg), partition_by=("month",))
    assert run_script("train_churn", ["--month", "2026-10"], spark=spark, cfg=tmp_cfg) == 0
    assert run_script("score_churn", ["--month", "2026-10"], spark=spark, cfg=tmp_cfg) == 0
    assert run_script("churn_alerts", ["--month", "2026-10"], spark=spark, cfg=tmp_cfg) == 0
    scores = read_delta(spark, table("gold.churn_scores").path(tmp_cfg))
    declared = table("gold.churn_scores").schema
    assert [(f.name, f.dataType.simpleString()) for f in scores.schema] == \
        [(f.name, f.dataType.simpleString()) for f in declared]
    row = scores.agg(F.count(F.lit(1)).alias("n"), F.min("rank").alias("r0"), F.max("rank").alias("r1"),
                     F.countDistinct("decile").alias("d"), F.countDistinct("model_version").alias("v")).first()
    # everyone in the October panorama except who churned in October itself (nothing left to retain)
    gone = sub.where("month = '2026-10' AND churned").select("subscriber_id")
    n = pano.where("month = '2026-10'").join(gone, "subscriber_id", "left_anti").count()
    assert 200 < n < 300
    assert (row["n"], row["r0"], row["r1"], row["d"], row["v"]) == (n, 1, n, 10, 1)
    top = scores.where("decile = 1").select(F.explode("top_reasons").alias("r")).groupBy("r").count()
    assert {r["r"] for r in top.collect()} <= {"complaints_faults", "bill_decline", "plan_mismatch"}
    grades = {r["risk_grade"] for r in scores.select("risk_grade").distinct().collect()}
    assert grades == {"A", "B", "C", "D"}
    alerts = read_delta(spark, table("gold.alerts").path(tmp_cfg))
    assert alerts.where("month = '2026-10'").count() > 0
    assert set(alerts.columns) >= {"subscriber_id", "month", "rule", "level", "level_rank"}
    # a job without its champion gives a one-line error
    other = make_config(tmp_path / "data", "churn.model_name=nope")
    assert run_script("score_churn", ["--month", "2026-10"], spark=spark, cfg=other) == 2
