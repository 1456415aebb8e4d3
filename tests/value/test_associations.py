"""Associations: FP-growth rules checked against plain Python counting on real baskets (groceries, IBM
Telco services), and missing-product recommendations on a hand-made population."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from lifecircle.core.errors import InputError
from lifecircle.ingest.silver_schemas import VAS_ORDERS
from lifecircle.value.associations import baskets, holdings_at, mine_rules, missing_product_recs

TELCO_SERVICES = ("PhoneService", "MultipleLines", "OnlineSecurity", "OnlineBackup", "DeviceProtection",
                  "TechSupport", "StreamingTV", "StreamingMovies")


def _check_against_counting(rules, sets: list[frozenset[str]], picks: int = 4) -> None:
    """Each of a few rules' support, confidence and lift equals plain counting over the baskets."""
    n = len(sets)
    top = rules.orderBy(F.desc("confidence"), "rule_id").limit(picks).collect()
    assert len(top) == picks
    for r in top:
        a, c = frozenset(r["antecedent"]), frozenset(r["consequent"])
        n_a = sum(1 for s in sets if a <= s)
        n_ac = sum(1 for s in sets if (a | c) <= s)
        n_c = sum(1 for s in sets if c <= s)
        assert r["support"] == pytest.approx(n_ac / n, abs=1e-12), r["rule_id"]
        assert r["confidence"] == pytest.approx(n_ac / n_a, abs=1e-12), r["rule_id"]
        assert r["lift"] == pytest.approx((n_ac / n_a) / (n_c / n), rel=1e-9), r["rule_id"]
        assert r["antecedent_support"] == pytest.approx(n_a / n, abs=1e-12)


def test_groceries_rules_match_counting(spark, shared_data):
    path = shared_data / "groceries" / "groceries.csv"
    sets = [frozenset(x.strip() for x in line.split(",") if x.strip())
            for line in path.read_text().splitlines() if line.strip()]
    assert len(sets) == 9835
    df = spark.read.text(str(path)).select(F.array_distinct(F.split("value", ",")).alias("items"))
    rules = mine_rules(df, min_support=0.02, min_confidence=0.45, min_lift=1.5).cache()
    # the textbook rule of this data set (arules: support 0.0231, confidence 0.489)
    known = rules.filter("rule_id = 'other vegetables+root vegetables => whole milk'").collect()
    assert len(known) == 1 and known[0]["support"] == pytest.approx(228 / 9835)
    assert rules.filter("confidence < 0.45 or lift < 1.5 or support < 0.02").count() == 0
    _check_against_counting(rules, sets)
    rules.unpersist()


def test_telco_services_as_holdings(spark, shared_data):
    path = next((shared_data / "telco_churn").glob("*.csv"))
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    def items(r: dict[str, str]) -> list[str]:
        out = [f"{s}=Yes" for s in TELCO_SERVICES if r[s] == "Yes"]
        return out + ([f"InternetService={r['InternetService']}"] if r["InternetService"] != "No" else [])
    sets = [frozenset(items(r)) for r in rows]
    df = spark.createDataFrame([(sorted(s),) for s in sets], "items array<string>")
    rules = mine_rules(df, min_support=0.1, min_confidence=0.6, min_lift=1.1).cache()
    tv = rules.filter("rule_id = 'StreamingTV=Yes => StreamingMovies=Yes'").collect()
    n_tv = sum(1 for s in sets if "StreamingTV=Yes" in s)
    n_both = sum(1 for s in sets if {"StreamingTV=Yes", "StreamingMovies=Yes"} <= s)
    assert len(tv) == 1 and tv[0]["confidence"] == pytest.approx(n_both / n_tv)
    _check_against_counting(rules, sets, picks=3)
    rules.unpersist()


def test_holdings_baskets_and_missing_products(spark):
    d = dt.date(2026, 10, 5)
    t = dt.datetime(2026, 10, 5, 10)
    orders = spark.createDataFrame([
        (d, "o1", "u1", "A", "order", None, t, None),
        (d, "o2", "u1", "B", "order", None, t, None),
        (d, "o3", "u2", "A", "order", None, t, None),
        (d, "o4", "u2", "B", "order", None, t, None),
        (d, "o5", "u2", "C", "order", None, t, None),
        (d, "o6", "u3", "A", "order", None, t, None),
        (dt.date(2026, 10, 9), "o7", "u3", "B", "trial", None, t, None),           # a trial is not a holding
        (d, "o8", "u4", "A", "order", None, t, None),
        (dt.date(2026, 10, 6), "o9", "u4", "A", "unsubscribe", None, t + dt.timedelta(days=1), "active"),
        (dt.date(2026, 11, 1), "o10", "u4", "C", "order", None, t, None),          # next month
    ], VAS_ORDERS)
    held = holdings_at(orders, "2026-10")
    assertDataFrameEqual(held, spark.createDataFrame(
        [("u1", "A"), ("u1", "B"), ("u2", "A"), ("u2", "B"), ("u2", "C"), ("u3", "A")],
        "subscriber_id string, product_id string"))
    plans = spark.createDataFrame([("u1", "P1"), ("u2", "P1"), ("u3", ""), ("u4", "P2")],
                                  "subscriber_id string, plan_id string")
    b = baskets(held, plans)
    assertDataFrameEqual(b, spark.createDataFrame([
        ("u1", ["plan:P1", "vas:A", "vas:B"]), ("u2", ["plan:P1", "vas:A", "vas:B", "vas:C"]),
        ("u3", ["vas:A"]), ("u4", ["plan:P2"]),
    ], "subscriber_id string, items array<string>"))

    rules = spark.createDataFrame([
        ("vas:A+vas:B => vas:C", ["vas:A", "vas:B"], ["vas:C"], 0.8),
        ("vas:A => vas:B", ["vas:A"], ["vas:B"], 0.6),
        ("vas:A => plan:P1", ["vas:A"], ["plan:P1"], 0.9),       # plans are not recommended
    ], "rule_id string, antecedent array<string>, consequent array<string>, confidence double"
    ).withColumn("lift", F.lit(1.5))
    recs = missing_product_recs(b, rules, ["vas:"], min_antecedent_share=1.0)
    assertDataFrameEqual(recs, spark.createDataFrame([
        ("u1", "vas:C", "C", "vas:A+vas:B => vas:C", 0.8, 1.5, 1.0, 1),
        ("u3", "vas:B", "B", "vas:A => vas:B", 0.6, 1.5, 1.0, 1),
    ], "subscriber_id string, item string, product_id string, rule_id string, confidence double, lift double, "
       "antecedent_share double, rank int"))
    # "most of" the antecedent: half of {A, B} is enough at share 0.5, so u3 also gets C
    recs = missing_product_recs(b, rules, ["vas:"], min_antecedent_share=0.5)
    assert sorted((r.subscriber_id, r.product_id, r.rank) for r in recs.collect()) == [
        ("u1", "C", 1), ("u3", "B", 2), ("u3", "C", 1)]


def test_bad_input_refused(spark):
    df = spark.createDataFrame([(["a"],)], "basket array<string>")
    with pytest.raises(InputError, match="items"):
        mine_rules(df, 0.1, 0.5)
    with pytest.raises(InputError, match="support"):
        mine_rules(df.withColumnRenamed("basket", "items"), 0.0, 0.5)
