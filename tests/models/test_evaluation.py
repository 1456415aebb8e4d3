"""Evaluation metrics on a hand-made scored set whose values are known by hand."""

from __future__ import annotations

import pytest
from pyspark.sql import types as T

from lifecircle.models.evaluation import add_rank_decile, evaluate, write_plots

SCHEMA = T.StructType([T.StructField("id", T.StringType()), T.StructField("label", T.DoubleType()),
                       T.StructField("churn_probability", T.DoubleType())])
LABELS = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0]  # riskiest first
PROBS = [0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35, 0.25, 0.15, 0.05]


@pytest.fixture(scope="module")
def scored(spark):
    rows = [(f"s{i:02d}", float(y), p) for i, (y, p) in enumerate(zip(LABELS, PROBS))]
    return spark.createDataFrame(rows, SCHEMA)


def test_metrics_by_hand(scored, tmp_path):
    ev = evaluate(scored, threshold=0.5, tie_break="id")
    assert ev.rows == 10 and ev.positives == 4
    assert ev.auc == pytest.approx(20 / 24)  # 20 of 24 (churner, stayer) pairs ordered right
    assert [d["churners"] for d in ev.deciles] == LABELS
    d1, d4 = ev.deciles[0], ev.deciles[3]
    assert (d1["lift"], d1["capture"], d1["cum_capture"]) == pytest.approx((2.5, 0.25, 0.25))
    assert (d4["cum_capture"], d4["cum_lift"]) == pytest.approx((0.75, 1.875))
    assert ev.deciles[-1]["cum_capture"] == pytest.approx(1.0)
    assert {k: ev.confusion[k] for k in ("tp", "fp", "tn", "fn")} == {"tp": 3, "fp": 2, "tn": 4, "fn": 1}
    assert ev.confusion["precision"] == pytest.approx(0.6) and ev.confusion["recall"] == pytest.approx(0.75)
    assert [(c["bin"], c["n"], c["observed"]) for c in ev.calibration][:2] == [(0, 1, 0.0), (1, 1, 0.0)]
    assert ev.calibration[-1]["bin"] == 9 and ev.calibration[-1]["observed"] == 1.0
    m = ev.metrics("val_")
    assert m["val_top_decile_lift"] == pytest.approx(2.5) and m["val_cm_tp"] == 3.0
    assert ev.roc[0] == (0.0, 0.0) and ev.roc[-1] == pytest.approx((1.0, 1.0))
    pngs = write_plots(ev, {"a": 0.7, "b": 0.3}, tmp_path)
    assert [p.name for p in pngs] == ["roc.png", "gains_lift.png", "calibration.png", "importance.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)


def test_rank_decile_equal_sizes_and_tie_break(spark):
    rows = [(f"s{i}", 0.0, 0.5) for i in range(20)]  # all tied: the id decides, deciles stay equal-sized
    ranked = add_rank_decile(spark.createDataFrame(rows, SCHEMA), "churn_probability", "id")
    got = {r["id"]: (r["rank"], r["decile"]) for r in ranked.collect()}
    assert got["s0"] == (1, 1) and got["s1"] == (2, 1) and got["s10"] == (3, 2) and got["s9"] == (20, 10)


def test_reasons_vs_causes_counts_churners_whose_top_reasons_name_their_cause(spark):
    from lifecircle.models.evaluation import reasons_vs_causes

    scores = spark.createDataFrame([
        ("a", ["plan_mismatch", "bill_decline"]), ("b", ["bill_decline"]), ("c", ["complaints_faults"]),
        ("d", ["contagion"]), ("e", ["contagion"]), ("f", []),
    ], "subscriber_id string, top_reasons array<string>")
    truth = spark.createDataFrame([
        ("a", "2026-10", "plan_mismatch"), ("b", "2026-10", "plan_mismatch"), ("c", "2026-11", "complaints"),
        ("d", "2026-10", "other"),        # unknown cause: not counted
        ("e", "2026-08", "contagion"),    # churned before: not a future churner
        ("f", None, None),
    ], "subscriber_id string, churn_month string, churn_cause string")
    got = reasons_vs_causes(scores, truth, ["2026-10", "2026-11"])
    assert got["churners_with_known_cause"] == 3
    assert got["share_cause_in_top_reasons"] == 2 / 3
    assert got["per_cause"] == {"complaints": {"n": 1, "share": 1.0}, "plan_mismatch": {"n": 2, "share": 0.5}}
