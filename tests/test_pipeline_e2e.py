"""The whole pipeline on the generated tiny province: every job succeeds and writes its tables, and the
results agree with planted truth where a cheap check exists. In `make test`, beside the notebook test that
shares the pipeline run; the privacy audit over every table is `slow` (make test-all)."""

from __future__ import annotations

import pytest

from lifecircle.core.delta_io import table_exists
from lifecircle.registry import all_jobs, table
from tests.fixtures.pipeline import LATEST_MONTHS

# the uplift model is fitted only when the control group has enough responders (not on ~300 subscribers)
WRITTEN_ONLY_WITH_ENOUGH_DATA = {"gold.campaign_uplift"}


def test_every_job_ran_and_wrote_its_tables(spark, tiny_pipeline):
    assert all(rc == 0 for _, _, rc in tiny_pipeline.runs)
    ran = {name for name, _, _ in tiny_pipeline.runs}
    for spec in all_jobs():
        if spec.name not in ran:
            continue
        for out in spec.outputs:
            if out in WRITTEN_ONLY_WITH_ENOUGH_DATA:
                continue
            assert table_exists(spark, table(out).path(tiny_pipeline.cfg)), f"{spec.name} did not write {out}"


def test_panorama_has_one_row_per_subscriber_and_no_raw_numbers(spark, tiny_pipeline):
    last = tiny_pipeline.months[-1]
    pano = spark.read.format("delta").load(table("gold.panorama").path(tiny_pipeline.cfg)).where(f"month = '{last}'")
    n = pano.count()
    assert n > 100
    assert pano.select("subscriber_id").distinct().count() == n
    # pseudonyms only: 20 hex digits, never an 11-digit number
    assert pano.where("subscriber_id NOT RLIKE '^[0-9a-f]{20}$'").count() == 0


def test_churn_scores_cover_the_month_and_rank_grade_and_version_agree(spark, tiny_pipeline):
    """Every panorama subscriber not already churned gets one score, ranks follow the probabilities, grades the
    deciles, and the version is the registered champion. Whether the scores rank future churners higher cannot
    be told on ~300 subscribers (a handful of churners a month: out-of-time AUC ~0.55 either way); it is tested
    on the real BigML and IBM Telco data (tests/models/test_churn_cli.py) and reported by the demo."""
    from mlflow import MlflowClient
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from lifecircle.core.tracking import configure_mlflow

    cfg = tiny_pipeline.cfg
    scores = spark.read.format("delta").load(table("gold.churn_scores").path(cfg))
    pano = spark.read.format("delta").load(table("gold.panorama").path(cfg))
    sub = spark.read.format("delta").load(table("silver.subscriber").path(cfg))
    scored_months = sorted(r["month"] for r in scores.select("month").distinct().collect())
    assert scored_months == list(tiny_pipeline.months[-LATEST_MONTHS:])
    for month in scored_months:
        s = scores.where(F.col("month") == month)
        gone = sub.where((F.col("month") == month) & F.col("churned")).select("subscriber_id")
        expected = pano.where(F.col("month") == month).join(gone, "subscriber_id", "left_anti")
        n = s.count()
        assert n > 100 and s.select("subscriber_id").distinct().count() == n
        assert s.join(expected, "subscriber_id", "full_outer").count() == n == expected.count()
        by_rank = Window.orderBy("rank")
        bad = s.where((F.col("churn_probability") < 0) | (F.col("churn_probability") > 1)
                      | (F.col("rank") < 1) | (F.col("rank") > n) | ~F.col("decile").between(1, 10)) \
            .unionByName(s.withColumn("p", F.lag("churn_probability").over(by_rank))
                         .where(F.col("p") < F.col("churn_probability")).drop("p"))
        assert bad.count() == 0, bad.limit(5).collect()
        assert {r["risk_grade"] for r in s.where(F.col("decile") == 1).select("risk_grade").distinct().collect()} \
            == {"A"}
    configure_mlflow(cfg, cfg.get("churn.experiment"))
    champion = MlflowClient().get_model_version_by_alias(cfg.get("churn.model_name"), "champion").version
    assert {r["model_version"] for r in scores.select("model_version").distinct().collect()} == {str(champion)}


@pytest.mark.slow
def test_privacy_audit_scanned_every_silver_and_gold_table_and_found_no_clear_identifier(spark, tiny_pipeline):
    from lifecircle.registry import all_tables
    from tests.fixtures.pipeline import run_privacy_audit

    run_privacy_audit(spark, tiny_pipeline)
    last = tiny_pipeline.months[-1]
    audit = spark.read.format("delta").load(table("meta.privacy_audit").path(tiny_pipeline.cfg)) \
        .where(f"month = '{last}'").collect()
    written = {t.name for t in all_tables() if t.layer in ("silver", "gold")
               and table_exists(spark, t.path(tiny_pipeline.cfg))}
    assert {r["table"] for r in audit} == written
    assert [r["table"] for r in audit if r["leaked_values"] > 0] == []
    assert sum(r["scanned_columns"] for r in audit) > 100
