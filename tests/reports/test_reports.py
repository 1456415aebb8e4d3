"""The monthly HTML report (small hand-made gold tables), and the analyst notebooks and the monthly report on the
whole tiny pipeline (run once per test session, shared with tests/test_pipeline_e2e.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pyspark.sql import types as T

from lifecircle.reports.html import (
    NOT_AVAILABLE,
    lift_table,
    monthly_report_html,
    monthly_sections,
    realised_outcome,
)

M = "2026-10"
SCORES = T.StructType([T.StructField("subscriber_id", T.StringType()), T.StructField("month", T.StringType()),
                       T.StructField("churn_probability", T.DoubleType()), T.StructField("decile", T.IntegerType()),
                       T.StructField("risk_grade", T.StringType())])
SUBSCRIBER = T.StructType([T.StructField("month", T.StringType()), T.StructField("subscriber_id", T.StringType()),
                           T.StructField("churned", T.BooleanType())])


@pytest.fixture(scope="module")
def gold(spark):
    scores = spark.createDataFrame([("s1", M, 0.9, 1, "A"), ("s2", M, 0.8, 1, "A"), ("s3", M, 0.3, 2, "B"),
                                    ("s4", M, 0.1, 2, "B"), ("s9", "2026-09", 0.5, 1, "A")], SCORES)
    subscriber = spark.createDataFrame([("2026-11", "s1", True), ("2026-11", "s2", True),
                                        ("2026-11", "s3", True), ("2026-11", "s4", False),
                                        ("2026-10", "s4", True)], SUBSCRIBER)
    panorama = spark.createDataFrame([("s1", M, "north"), ("s2", M, "north"), ("s3", M, "south"), ("s4", M, None)],
                                     "subscriber_id string, month string, county string")
    segments = spark.createDataFrame([("s1", M, "B1-V1", "heavy"), ("s2", M, "B1-V1", "heavy"),
                                      ("s3", M, "B2-V1", "light"), ("s4", M, "B2-V1", "light")],
                                     "subscriber_id string, month string, strategic_segment string, "
                                     "strategic_name string")
    plan_fit = spark.createDataFrame([("s1", M, "step_down", 12.5, False), ("s2", M, "step_down", 7.5, True),
                                      ("s3", M, "none", 0.0, False)],
                                     "subscriber_id string, month string, rule string, saving double, "
                                     "recheck_next_month boolean")
    return {"gold.churn_scores": scores, "silver.subscriber": subscriber, "gold.panorama": panorama,
            "gold.segments": segments, "gold.plan_fit": plan_fit}


def test_lift_table_uses_the_realised_churn_of_the_known_months(gold):
    outcome, known = realised_outcome(gold["silver.subscriber"], M, gap=1)
    assert known == ["2026-11"]  # 2026-12 is not in silver.subscriber yet
    rows = [r.asDict() for r in lift_table(gold["gold.churn_scores"].where(f"month = '{M}'"), outcome).collect()]
    assert rows == [
        {"decile": 1, "subscribers": 2, "mean_probability": 0.85, "churners": 2, "churn_rate": 1.0, "lift": 1.333,
         "cumulative_gain": 0.6667},
        {"decile": 2, "subscribers": 2, "mean_probability": 0.2, "churners": 1, "churn_rate": 0.5, "lift": 0.667,
         "cumulative_gain": 1.0},
    ]


def test_no_outcome_yet_gives_no_lift(gold):
    outcome, known = realised_outcome(gold["silver.subscriber"], "2026-11", gap=1)
    assert (outcome, known) == (None, [])


def test_report_has_sections_charts_and_not_available_paragraphs(gold):
    page = monthly_report_html(M, {**gold, "gold.campaign_evaluation": None, "gold.retention_plan": None})
    assert page.startswith("<!doctype html>")
    for title in ("Churn score distribution", "Lift and gains per decile", "Plan-fit savings by rule",
                  "By region (county)", "By strategic segment"):
        assert title in page
    assert page.count("data:image/png;base64,") >= 5  # histogram, region, segment, lift, plan fit
    assert f"Campaign results: {NOT_AVAILABLE}" in page
    assert f"Retention plan quadrants: {NOT_AVAILABLE}" in page
    assert f"Segment profiles: {NOT_AVAILABLE}" in page
    assert "Realised churn in 2026-11" in page
    assert "<td>step_down</td><td>2</td><td>20</td><td>10</td><td>1</td>" in page


def test_a_table_of_the_wrong_shape_gives_not_available_not_an_error(spark, gold):
    bad = spark.createDataFrame([(M, "x")], "month string, something string")
    sections = {s.title: s for s in monthly_sections(M, {**gold, "gold.plan_fit": bad})}
    assert not sections["Plan-fit savings by rule"].available
    assert sections["Churn score distribution"].available


def test_nothing_written_yet_gives_an_all_not_available_report():
    sections = monthly_sections(M, {})
    assert sections and all(not s.available for s in sections)


def test_notebooks_and_monthly_report_on_the_tiny_pipeline(tiny_pipeline):
    import nbformat
    from nbclient import NotebookClient

    from lifecircle.core.paths import resolve

    cfg = tiny_pipeline.cfg
    report = Path(resolve(cfg.get("paths.reports"))) / f"monthly_{tiny_pipeline.months[-1]}.html"
    assert report.is_file(), f"monthly_report did not write {report}"
    assert "Churn score distribution" in report.read_text(encoding="utf-8")
    env = {"LIFECIRCLE_DATA_ROOT": str(cfg.get("paths.data_root")), "LIFECIRCLE_ENV": "test"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    folder = Path(__file__).resolve().parents[2] / "notebooks"
    clients: list[NotebookClient] = []
    try:
        # one kernel (one Spark JVM) for the three, each started from a clean namespace: ~30 s less than three
        for name in ("01_panorama", "02_churn_model_review", "03_campaign_evaluation"):
            nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
            nb.cells.insert(0, nbformat.v4.new_code_cell("%reset -f"))
            client = NotebookClient(nb, km=clients[0].km if clients else None, kernel_name="python3", timeout=900,
                                    resources={"metadata": {"path": str(folder)}})
            clients.append(client)
            client.execute(cleanup_kc=False)
            errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                      if o.get("output_type") == "error"]
            assert not errors, f"{name}: {errors}"
            assert sum(1 for c in nb.cells if c.cell_type == "code" and c.get("outputs")) >= 3, name
    finally:
        for client in reversed(clients):  # the first one started the kernel: it shuts it down last
            if client.km is not None:
                client._cleanup_kernel()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
