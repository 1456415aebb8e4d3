"""Reasons: contributions from a hand-written profile, rolled up into families."""

from __future__ import annotations

from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from lifecircle.models.features import FeatureSpec
from lifecircle.models.reasons import add_reasons, family_of, reason_profile

SPEC = FeatureSpec(numeric=["bill_change"], categorical=["plan"])
PROFILE = {
    "base_rate": 0.2,
    "numeric": {"bill_change": {"mean0": 10.0, "std0": 2.0, "direction": 1.0}},
    "categorical": {"plan": {"a": 2.0, "b": 0.5}},
    "importances": {"bill_change": 0.6, "plan": 0.4},
    "families": {"bill_change": "bill_decline", "plan": None},
}
PREPARED = T.StructType([T.StructField("id", T.StringType()), T.StructField("i__bill_change", T.DoubleType()),
                         T.StructField("k__plan", T.StringType())])


def test_add_reasons_by_hand(spark):
    rows = [("s1", 14.0, "a"), ("s2", 8.0, "b"), ("s3", 30.0, "zz")]
    df = spark.createDataFrame(rows, PREPARED)
    out = add_reasons(df, SPEC, PROFILE, top_k=3, clip=3.0, unmapped="feature").select("id", "top_reasons",
                                                                                          "reason_details")
    expected = spark.createDataFrame(
        [("s1", ["bill_decline", "plan"], [("bill_decline", "bill_change", 1.2), ("plan", "plan", 0.4)]),
         ("s2", [], []),
         ("s3", ["bill_decline"], [("bill_decline", "bill_change", 1.8)])],  # z = 10 clipped to 3
        "id string, top_reasons array<string>, "
        "reason_details array<struct<family:string,feature:string,score:double>>")
    assertDataFrameEqual(out, expected)
    dropped = add_reasons(df, SPEC, PROFILE, unmapped="drop").where("id = 's1'").first()
    assert dropped["top_reasons"] == ["bill_decline"]  # an unmapped feature is no family on the panorama


def test_family_patterns_first_match_wins():
    fams = {"contagion": ["contact.*churn"], "bill_decline": ["bill", "fee"], "complaints_faults": ["complain"]}
    assert family_of("contacts_churned_share_3m", fams) == "contagion"
    assert family_of("Total_FEE_change_m1", fams) == "bill_decline"
    assert family_of("tenure_months", fams) is None


def test_reason_profile_directions(spark):
    schema = "i__usage double, k__plan string, label double"
    rows = [(10.0, "a", 0.0), (12.0, "a", 0.0), (2.0, "b", 1.0), (4.0, "a", 1.0), (11.0, "b", 0.0)]
    spec = FeatureSpec(numeric=["usage"], categorical=["plan"])
    prof = reason_profile(spark.createDataFrame(rows, schema), spec, {"usage": 0.7, "plan": 0.3},
                          {"bill_decline": ["usage"]})
    assert prof["base_rate"] == 0.4
    assert prof["numeric"]["usage"]["mean0"] == 11.0 and prof["numeric"]["usage"]["direction"] == -1.0
    assert prof["categorical"]["plan"] == {"a": (1 / 3) / 0.4, "b": 0.5 / 0.4}
    assert prof["families"] == {"usage": "bill_decline", "plan": None}
