"""Planted-truth metrics on hand-made gold and truth rows."""

from __future__ import annotations

import pytest

from lifecircle.value.evaluation import plan_mismatch_scores, rule_recovery, segment_ari
from lifecircle.value.segments import adjusted_rand_index


def test_truth_metrics(spark):
    rules = spark.createDataFrame([
        (["vas:VAS02", "vas:VAS01"], ["vas:VAS05"], 0.78), (["vas:VAS01"], ["vas:VAS02"], 0.5),
    ], "antecedent array<string>, consequent array<string>, confidence double")
    truth = spark.createDataFrame([(["VAS01", "VAS02"], "VAS05", 0.8), (["VAS03"], "VAS08", 0.6)],
                                  "antecedent array<string>, consequent string, confidence double")
    got = rule_recovery(rules, truth)
    assert got[0]["found"] and got[0]["abs_diff"] == pytest.approx(0.02)
    assert got[1] == {"rule": "VAS03 => VAS08", "found": False, "confidence": None, "planted": 0.6,
                      "abs_diff": None}

    fit = spark.createDataFrame([("a", "P1", "step_up"), ("b", "P1", "none"), ("c", "P2", "step_down"),
                                 ("d", "P1", "wrong_type"), ("e", "P9", "step_up")],
                                "subscriber_id string, current_plan_id string, rule string")
    subs = spark.createDataFrame([("a", "P1", True), ("b", "P1", True), ("c", "P2", False), ("d", "P1", True),
                                  ("e", "P1", True)],  # e changed plan since: not judged
                                 "subscriber_id string, plan_id string, plan_mismatch boolean")
    s = plan_mismatch_scores(fit, subs)
    assert (s["tp"], s["fp"], s["fn"], s["n"]) == (2, 1, 1, 4)
    assert s["precision"] == pytest.approx(2 / 3) and s["recall"] == pytest.approx(2 / 3)


def test_adjusted_rand_index(spark):
    # sklearn.metrics.adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.5714285714285715
    df = spark.createDataFrame([("x", 0), ("x", 0), ("y", 1), ("y", 2)], "t string, p int")
    assert adjusted_rand_index(df, "t", "p") == pytest.approx(0.5714285714285715)


def test_segment_ari_over_all_or_only_the_clustered(spark):
    # the clustered a, b, c, d match their groups exactly; the inactive segment 0 holds one of each group
    seg = spark.createDataFrame([("a", 1), ("b", 1), ("c", 2), ("d", 2), ("e", 0), ("f", 0)],
                                "subscriber_id string, behaviour_segment int")
    truth = spark.createDataFrame([("a", "student"), ("b", "student"), ("c", "worker"), ("d", "worker"),
                                   ("e", "student"), ("f", "worker")], "subscriber_id string, behaviour_group string")
    assert segment_ari(seg, truth, clustered_only=True) == pytest.approx(1.0)
    # all six: sklearn.metrics.adjusted_rand_score([0, 0, 1, 1, 0, 1], [1, 1, 2, 2, 0, 0]) = 0.24242424242424243
    assert segment_ari(seg, truth) == pytest.approx(0.24242424242424243)
