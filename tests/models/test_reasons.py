"""Reasons: evidence (log churn-rate lift) from a hand-written profile, rolled up into families."""

from __future__ import annotations

import math

import pytest
from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from lifecircle.core.errors import InputError
from lifecircle.models.features import FeatureSpec
from lifecircle.models.reasons import add_reasons, family_of, reason_profile, scoring_options

SPEC = FeatureSpec(numeric=["bill_change", "fee_change"], categorical=["plan"])
E = math.e
PROFILE = {
    "method": "lift",
    "base_rate": 0.2,
    "numeric": {
        # buckets: "0" = x <= 10, "1" = 10 < x <= 20, "2" = x > 20, "null" = missing
        "bill_change": {"cuts": [10.0, 20.0], "lift": {"0": 0.5, "1": E, "2": E ** 5, "null": E}},
        "fee_change": {"cuts": [0.0], "lift": {"0": 1.0, "1": E ** 0.8}},
    },
    "categorical": {"plan": {"a": E ** 3, "b": 0.5}},
    # importance ** 0.25: bill_change 0.5, fee_change 0.5, plan 0.2
    "importances": {"bill_change": 0.0625, "fee_change": 0.0625, "plan": 0.0016},
    "families": {"bill_change": "bill_decline", "fee_change": "bill_decline", "plan": None},
}
PREPARED = T.StructType([T.StructField("id", T.StringType()), T.StructField("i__bill_change", T.DoubleType()),
                         T.StructField("i__fee_change", T.DoubleType()), T.StructField("k__plan", T.StringType())])
OUT = "id string, top_reasons array<string>, reason_details array<struct<family:string,feature:string,score:double>>"


def test_add_reasons_by_hand(spark):
    rows = [("s1", 14.0, 1.0, "a"), ("s2", 8.0, -1.0, "b"), ("s3", 30.0, 0.0, "zz"), ("s4", None, 0.0, "b")]
    df = spark.createDataFrame(rows, PREPARED)
    out = add_reasons(df, SPEC, PROFILE, top_k=3, clip=3.0, unmapped="feature").select("id", "top_reasons",
                                                                                          "reason_details")
    expected = spark.createDataFrame([
        # plan: ln(e^3) * 0.2 = 0.6; bill_decline = max(bill 1 * 0.5, fee 0.8 * 0.5), not their sum 0.9
        ("s1", ["plan", "bill_decline"], [("plan", "plan", 0.6), ("bill_decline", "bill_change", 0.5),
                                          ("bill_decline", "fee_change", 0.4)]),
        ("s2", [], []),  # every lift <= 1: no upward evidence
        ("s3", ["bill_decline"], [("bill_decline", "bill_change", 1.5)]),  # ln(e^5) = 5 clipped to 3; 'zz' unseen
        ("s4", ["bill_decline"], [("bill_decline", "bill_change", 0.5)]),  # a missing value has its own bucket
    ], OUT)
    assertDataFrameEqual(out, expected)
    dropped = add_reasons(df, SPEC, PROFILE, unmapped="drop").where("id = 's1'").first()
    assert dropped["top_reasons"] == ["bill_decline"]  # an unmapped feature is no family on the panorama
    flat = add_reasons(df, SPEC, PROFILE, unmapped="drop", importance_power=0.0).where("id = 's3'").first()
    assert flat["reason_details"][0]["score"] == 3.0  # power 0: evidence alone


def test_profile_of_an_older_model_is_refused(spark):
    df = spark.createDataFrame([("s1", 1.0, 1.0, "a")], PREPARED)
    with pytest.raises(InputError, match="retrain"):
        add_reasons(df, SPEC, {k: v for k, v in PROFILE.items() if k != "method"})


def test_scoring_options_from_config():
    assert scoring_options({"top_k": 2, "evidence_clip": 2.5, "importance_power": 0.5}) == {
        "top_k": 2, "clip": 2.5, "importance_power": 0.5}
    assert scoring_options({}) == {"top_k": 3, "clip": 3.0, "importance_power": 0.25}


def test_family_patterns_first_match_wins():
    fams = {"contagion": ["contact.*churn"], "bill_decline": ["bill", "fee"], "complaints_faults": ["complain"]}
    assert family_of("contacts_churned_share_3m", fams) == "contagion"
    assert family_of("Total_FEE_change_m1", fams) == "bill_decline"
    assert family_of("tenure_months", fams) is None


def test_reason_profile_lifts(spark):
    schema = "i__usage double, k__plan string, label double"
    rows = [(10.0, "a", 0.0), (12.0, "a", 0.0), (2.0, "b", 1.0), (4.0, "a", 1.0), (11.0, "b", 0.0)]
    spec = FeatureSpec(numeric=["usage"], categorical=["plan"])
    df = spark.createDataFrame(rows, schema)
    prof = reason_profile(df, spec, {"usage": 0.7, "plan": 0.3}, {"bill_decline": ["usage"]},
                          quantiles=(0.5,), smoothing=0.0)
    assert prof["method"] == "lift" and prof["base_rate"] == pytest.approx(0.4)
    usage = prof["numeric"]["usage"]
    assert usage["cuts"] == [10.0]  # the median of 2, 4, 10, 11, 12
    # bucket 0 (<= 10): 2 churners of 3 -> (2/3) / 0.4; bucket 1 (> 10): none of 2
    assert usage["lift"] == pytest.approx({"0": (2 / 3) / 0.4, "1": 0.0})
    assert prof["categorical"]["plan"] == pytest.approx({"a": (1 / 3) / 0.4, "b": 0.5 / 0.4})
    assert prof["families"] == {"usage": "bill_decline", "plan": None}
    # smoothing: 5 pseudo-rows at the base rate pull the empty bucket towards lift 1
    smooth = reason_profile(df, spec, {"usage": 0.7, "plan": 0.3}, {}, quantiles=(0.5,), smoothing=5.0)
    assert smooth["numeric"]["usage"]["lift"]["1"] == pytest.approx(((0 + 5 * 0.4) / (2 + 5)) / 0.4)
