"""Propensity: a planted driver is recovered (top-decile lift >= 3), lifecycle stages from adoption curves,
expected value, eligibility and the next best offer on hand-made rows."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from lifecircle.core.errors import InputError
from lifecircle.ingest.silver_schemas import VAS_ORDERS
from lifecircle.value.propensity import (
    expected_values,
    fit_product,
    lifecycle_stages,
    next_best_offer,
    recent_refusals,
    take_up,
)

PARAMS = {"max_iter": 20, "reg_param": 0.01, "min_positives": 5}


def population(spark, n: int = 600):
    """`data` drives take-up (planted: data >= 0.85 takes it; 3% take it anyway); `noise` does not."""
    return spark.range(n).select(
        F.format_string("s%04d", "id").alias("subscriber_id"),
        ((F.col("id") * 37 % 100) / 100.0).alias("data"),
        ((F.col("id") * 53 % 97) / 97.0).alias("noise"),
        F.array().cast("array<string>").alias("holdings"),
        F.when((F.col("id") * 37 % 100) >= 85, 1).when(F.col("id") % 33 == 0, 1).otherwise(0).alias("label"),
    )


def test_planted_driver_top_decile_lift(spark):
    pop = population(spark)
    m = fit_product(pop, pop.drop("label"), "P1", "consumption", ["data", "noise"], PARAMS)
    assert m.family == "consumption"
    assert m.metrics["top_decile_lift"] >= 3.0
    assert m.metrics["auc"] > 0.85
    top = m.scores.orderBy(F.desc("propensity"), "subscriber_id").limit(20).collect()
    assert all(r.propensity > 0.5 for r in top)
    # calibrated: the mean propensity on the month is close to the observed rate
    rate = pop.agg(F.avg("label")).first()[0]
    mean_p = m.scores.agg(F.avg("propensity")).first()[0]
    assert mean_p == pytest.approx(rate, abs=0.05)


def test_association_family_needs_a_rule_leading_to_the_product(spark):
    """Rules lead to P9 only: P9 is scored by rule confidence; P1, which no rule leads to, by the classifier."""
    pop = population(spark, 300).withColumn(
        "items", F.when(F.col("data") >= 0.85, F.array(F.lit("vas:A"))).otherwise(F.array().cast("array<string>")))
    rules = spark.createDataFrame([(["vas:A"], ["vas:P9"], 0.7)],
                                  "antecedent array<string>, consequent array<string>, confidence double")
    p9 = fit_product(pop, pop.drop("label"), "P9", "association", ["data"], PARAMS, rules=rules)
    assert p9.family == "association" and p9.metrics["top_decile_lift"] >= 3.0
    assert sorted(r.score for r in p9.scores.select("score").distinct().collect()) == [0.0, 0.7]
    p1 = fit_product(pop, pop.drop("label"), "P1", "association", ["data"], PARAMS, rules=rules)
    assert p1.family == "consumption" and p1.metrics["top_decile_lift"] >= 3.0


def test_lookalike_family_and_bad_input(spark):
    pop = population(spark, 300).withColumn("segment", F.when(F.col("data") >= 0.85, "heavy").otherwise("light"))
    m = fit_product(pop, pop.drop("label"), "P2", "lookalike", ["data"], PARAMS, segment_col="segment")
    assert m.family == "lookalike" and m.metrics["top_decile_lift"] >= 3.0
    with pytest.raises(InputError, match="label"):
        fit_product(pop.drop("label"), pop, "P2", "consumption", ["data"], PARAMS)


def test_lifecycle_stage(spark):
    holders = spark.createDataFrame([
        ("2026-07", "OLD", 100), ("2026-10", "OLD", 105),    # 5% growth -> maturity
        ("2026-07", "UP", 50), ("2026-10", "UP", 80),        # 60% -> growth
        ("2026-10", "NEW", 10),                              # launched 2026-09 -> introduction
    ], "month string, product_id string, holders long")
    products = spark.createDataFrame([("OLD", "201901", 5.0), ("UP", "202401", 5.0), ("NEW", "202609", 5.0)],
                                     "product_id string, launch_month string, monthly_fee double")
    got = lifecycle_stages(holders, products, "2026-10", intro_months=3, growth_rate=0.2, lookback_months=3)
    assertDataFrameEqual(got.select("product_id", "holders", "holders_before", "stage", "model_family"),
                         spark.createDataFrame([
                             ("OLD", 105, 100, "maturity", "association"), ("UP", 80, 50, "growth", "lookalike"),
                             ("NEW", 10, None, "introduction", "consumption"),
                         ], "product_id string, holders long, holders_before long, stage string, model_family string"))


def test_expected_value_eligibility_and_next_best_offer(spark):
    d, t = dt.date(2026, 10, 3), dt.datetime(2026, 10, 3, 9)
    orders = spark.createDataFrame([
        (d, "o1", "u1", "B", "trial", None, t, None),                     # trialled: B not offered to u1
        (dt.date(2026, 11, 2), "o2", "u2", "A", "order", None, t, None),  # takes A next month
        (dt.date(2026, 3, 1), "o3", "u2", "B", "unsubscribe", None, t, "active"),  # too long ago
    ], VAS_ORDERS)
    assert sorted(tuple(r) for r in take_up(orders, "2026-11").collect()) == [("u2", "A")]
    refusals = recent_refusals(orders, "2026-10", 6)
    assert sorted(tuple(r) for r in refusals.collect()) == [("u1", "B")]
    scores = spark.createDataFrame([
        ("u1", "A", 0.1, 0.10, "consumption"), ("u1", "B", 0.9, 0.50, "lookalike"),
        ("u2", "A", 0.3, 0.20, "consumption"), ("u2", "B", 0.2, 0.15, "lookalike"),
    ], "subscriber_id string, product_id string, score double, propensity double, model_family string")
    products = spark.createDataFrame([("A", 5.0), ("B", 10.0)], "product_id string, monthly_fee double")
    ev = expected_values(scores, products, refusals, 12)
    assertDataFrameEqual(ev.select("subscriber_id", "product_id", "expected_value", "eligible"), spark.createDataFrame([
        ("u1", "A", 6.0, True), ("u1", "B", 60.0, False), ("u2", "A", 12.0, True), ("u2", "B", 18.0, True),
    ], "subscriber_id string, product_id string, expected_value double, eligible boolean"))
    assertDataFrameEqual(next_best_offer(ev), spark.createDataFrame([
        ("u1", "A", "consumption", 0.10, 6.0), ("u2", "B", "lookalike", 0.15, 18.0),
    ], "subscriber_id string, product_id string, model_family string, propensity double, expected_value double"))
