"""Qini curve, AUUC and uplift at k on a hand-ranked list, and the Spark version against it."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from lifecircle.campaigns.uplift import qini


def test_qini_by_hand():
    rows = [(0.9, True, 1), (0.8, False, 0), (0.7, True, 1), (0.6, False, 1),
            (0.5, True, 0), (0.4, False, 0), (0.3, True, 0), (0.2, False, 0)]
    q = qini(rows, points=2)
    # top half: treated 2/2 respond, control 1/2 -> 2 - 1*2/2 = 1; whole list: 2 - 1*4/4 = 1
    assert q["qini_curve"] == [1.0, 1.0]
    assert q["auuc"] == pytest.approx(1.0)
    assert q["uplift_at_k"] == {"50%": pytest.approx(0.5), "100%": pytest.approx(0.25)}


def test_qini_without_a_control_in_the_top_has_no_uplift():
    q = qini([(0.9, True, 1), (0.1, False, 0)], points=2)
    assert q["uplift_at_k"]["50%"] is None and q["qini_curve"] == [1.0, 1.0]


def test_qini_in_spark_equals_the_python_curve(spark):
    import random

    from lifecircle.campaigns.uplift import qini_frame
    rnd = random.Random(3)
    rows = [(rnd.random(), rnd.random() < 0.6, int(rnd.random() < 0.3)) for _ in range(257)]
    df = spark.createDataFrame([(f"s{i:04d}", *r) for i, r in enumerate(rows)],
                               "subscriber_id string, score double, treated boolean, responded int")
    for points in (10, 4):
        got = qini_frame(df, "score", F.col("treated"), "responded", "subscriber_id", points=points)
        want = qini(rows, points=points)
        assert got["uplift_at_k"] == pytest.approx(want["uplift_at_k"])
        assert got["qini_curve"] == pytest.approx(want["qini_curve"]) and got["auuc"] == pytest.approx(want["auuc"])
