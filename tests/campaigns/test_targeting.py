"""Contact policy (one hand-made case per exclusion reason), frequency caps, priority, and the group split."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DateType,
    DoubleType,
    IntegerType,
    StringType,
    StructField,
    StructType,
)
from pyspark.testing import assertDataFrameEqual

from lifecircle.campaigns.registry import CONTACT_HISTORY_SCHEMA, DO_NOT_CONTACT_SCHEMA
from lifecircle.campaigns.targeting import (
    apply_rule,
    build_targets,
    holdout_flag,
    joined_view,
    max_list_size,
    policy_flags,
    subscriber_tags,
)
from lifecircle.core.errors import ConfigError
from lifecircle.ingest.silver_schemas import SERVICE_CONTACTS, VAS_ORDERS

from .conftest import NO_HOLDOUT, POLICY, make_campaign

D, T = dt.date, dt.datetime
CAND = StructType([StructField("subscriber_id", StringType(), False), StructField("decile", IntegerType(), True)])
OTHER = StructType([
    StructField("subscriber_id", StringType(), False), StructField("campaign_id", StringType(), False),
    StructField("priority", IntegerType(), False), StructField("start", DateType(), False),
    StructField("end", DateType(), False), StructField("treated", BooleanType(), False),
])


def _vas(spark, rows):
    full = [(t.date(), f"o{i}", s, p, ev, "app", t, kind) for i, (s, p, ev, t, kind) in enumerate(rows)]
    return spark.createDataFrame(full, VAS_ORDERS)


def test_each_exclusion_reason_has_its_case(spark):
    # Campaign starts 2026-11-01 for product P1; contacted rule 1 month so the frequency cap (2 in 90 days) shows.
    campaign = make_campaign()
    policy = {**POLICY, "contacted_months": 1}
    expected = {
        "dnc": "do_not_contact",
        "holds": "holds_product", "held_cancelled": None,
        "trial": "trial_without_order", "trial_old": None, "trial_ordered": None,
        "bulk": "bulk_cancel", "bulk_old": None,
        "active": "active_cancel", "active_old": None,
        "complain": "complained_about_product", "complain_other": None,
        "contacted": "contacted_recently", "contacted_old": None,
        "freq": "frequency_cap", "planned": "frequency_cap", "one_contact": None,
        "prio": "overlapping_campaign", "low_prio": None, "no_overlap": None,
    }
    cand = spark.createDataFrame([(s, 1) for s in expected], CAND)
    vas = _vas(spark, [
        ("holds", "P1", "order", T(2026, 5, 1, 10), None),
        ("held_cancelled", "P1", "order", T(2025, 1, 1, 10), None),
        ("held_cancelled", "P1", "unsubscribe", T(2025, 3, 1, 10), "active"),  # 20 months ago
        ("trial", "P1", "trial", T(2026, 8, 1, 10), None),
        ("trial_old", "P1", "trial", T(2026, 3, 1, 10), None),  # 8 months ago
        ("trial_ordered", "P1", "trial", T(2026, 7, 1, 10), None),
        ("trial_ordered", "P1", "order", T(2026, 7, 20, 10), None),
        ("trial_ordered", "P1", "unsubscribe", T(2026, 7, 25, 10), None),  # kind null: neither bulk nor active
        ("bulk", "P1", "unsubscribe", T(2026, 7, 1, 10), "bulk"),
        ("bulk_old", "P1", "unsubscribe", T(2026, 4, 15, 10), "bulk"),  # 6.5 months ago
        ("active", "P1", "unsubscribe", T(2026, 1, 15, 10), "active"),
        ("active_old", "P1", "unsubscribe", T(2025, 10, 15, 10), "active"),
        ("dnc", "P2", "order", T(2026, 9, 1, 10), None),  # another product is irrelevant
    ])
    svc = spark.createDataFrame([
        (D(2026, 9, 10), "c1", "complain", T(2026, 9, 10, 9), "complaint", "vas", None, "hotline", "P1"),
        (D(2026, 9, 10), "c2", "complain_other", T(2026, 9, 10, 9), "complaint", "vas", None, "hotline", "P2"),
        (D(2026, 9, 11), "c3", "complain_other", T(2026, 9, 11, 9), "consultation", "vas", None, "hotline", "P1"),
    ], SERVICE_CONTACTS)
    hist = spark.createDataFrame([
        ("c0", "contacted", None, "sms", D(2026, 10, 15), None, "reached", None, None),
        ("c0", "contacted_old", None, "sms", D(2026, 6, 15), None, "reached", None, None),
        ("c0", "freq", None, "sms", D(2026, 8, 10), None, "reached", None, None),
        ("c9", "freq", None, "outbound_call", D(2026, 8, 20), None, "declined", "busy", None),
        ("c0", "planned", None, "sms", D(2026, 8, 12), None, "reached", None, None),
        ("c0", "one_contact", None, "sms", D(2026, 8, 10), None, "reached", None, None),
        ("c0", "no_overlap", "x", "none", D(2026, 10, 20), None, "converted", None, None),  # not a contact
    ], CONTACT_HISTORY_SCHEMA)
    dnc = spark.createDataFrame([("dnc", "asked", D(2026, 1, 1))], DO_NOT_CONTACT_SCHEMA)
    other = spark.createDataFrame([
        ("planned", "lowcamp", 10, D(2026, 11, 10), D(2026, 12, 10), True),
        ("low_prio", "lowcamp", 10, D(2026, 11, 10), D(2026, 12, 10), True),
        ("prio", "bigcamp", 90, D(2026, 10, 20), D(2026, 11, 5), False),
        ("no_overlap", "bigcamp2", 90, D(2026, 12, 1), D(2026, 12, 31), True),
    ], OTHER)
    got = policy_flags(cand, campaign, policy, NO_HOLDOUT, vas_orders=vas, service_contacts=svc,
                       contact_history=hist, do_not_contact=dnc, other_targets=other)
    exp = spark.createDataFrame([(s, 1, r) for s, r in expected.items()],
                                "subscriber_id string, decile int, excluded_reason string")
    assertDataFrameEqual(got, exp)


def test_default_three_month_contact_rule_and_holdout(spark):
    campaign = make_campaign()
    cand = spark.createDataFrame([("a", 1), ("b", 1)], CAND)
    hist = spark.createDataFrame([("c0", "a", None, "store", D(2026, 8, 5), None, "contacted", None, None),
                                  ("c0", "b", None, "store", D(2026, 7, 30), None, "contacted", None, None)],
                                 CONTACT_HISTORY_SCHEMA)
    got = policy_flags(cand, campaign, POLICY, NO_HOLDOUT, contact_history=hist)
    assertDataFrameEqual(got, spark.createDataFrame([("a", 1, "contacted_recently"), ("b", 1, None)],
                                                    "subscriber_id string, decile int, excluded_reason string"))
    every = policy_flags(cand, campaign, POLICY, {"share": 1.0, "seed": 5}, contact_history=hist)
    assert {r.excluded_reason for r in every.collect()} == {"global_holdout"}


def test_holdout_is_global_and_near_its_share(spark):
    ids = spark.range(4000).select(F.concat(F.lit("sub"), F.col("id").cast("string")).alias("subscriber_id"))
    flags = ids.select(holdout_flag("subscriber_id", 0.05, 7).alias("h"), holdout_flag("subscriber_id", 0.05, 7).alias("h2"),
                       holdout_flag("subscriber_id", 0.05, 8).alias("other_seed"))
    row = flags.agg(F.sum(F.col("h").cast("int")).alias("n"), F.sum((F.col("h") != F.col("h2")).cast("int")).alias("d"),
                    F.sum((F.col("h") != F.col("other_seed")).cast("int")).alias("x")).first()
    assert 140 <= row["n"] <= 260 and row["d"] == 0 and row["x"] > 0


VIEW = StructType([StructField("subscriber_id", StringType(), False), StructField("decile", IntegerType(), True),
                   StructField("churn_probability", DoubleType(), True), StructField("month", StringType(), False)])


def _view(spark, n_per_decile=60):
    rows = [(f"s{d:02d}_{i:03d}", d, round(1.0 - d / 20 - i / 10000, 6), "2026-10")
            for d in range(1, 11) for i in range(n_per_decile)]
    return spark.createDataFrame(rows, VIEW)


def test_groups_balanced_per_decile_and_reproducible(spark):
    campaign = make_campaign(rule="churn_probability >= 0")
    view = _view(spark)
    a = build_targets(view, campaign, POLICY, NO_HOLDOUT).persist()
    counts = {(r["decile"], r["group"]): r["n"] for r in a.groupBy("decile", "group").count().withColumnRenamed("count", "n").collect()}
    assert counts == {(d, g): 20 for d in range(1, 11) for g in ("call_pack", "sms_gift", "control")}
    chan = {r["group"]: (r["strategy_id"], r["channel"]) for r in a.select("group", "strategy_id", "channel").distinct().collect()}
    assert chan == {"call_pack": ("call_pack", "outbound_call"), "sms_gift": ("sms_gift", "sms"), "control": (None, None)}
    b = build_targets(view, campaign, POLICY, NO_HOLDOUT)
    assertDataFrameEqual(a, b)  # same seed, same groups
    c = build_targets(view, make_campaign(rule="churn_probability >= 0", seed=43), POLICY, NO_HOLDOUT)
    moved = a.alias("a").join(c.alias("c"), "subscriber_id").where(F.col("a.group") != F.col("c.group")).count()
    assert moved > 200  # another seed reshuffles (about 2/3 of 600 move)
    a.unpersist()


def test_capacity_and_budget_cut_the_list_by_risk(spark):
    campaign = make_campaign(rule="churn_probability >= 0", channels={"outbound_call": {"capacity": 50},
                                                                       "sms": {"capacity": 1000}})
    assert max_list_size(campaign) == 150  # 50 calls are a third of the list
    got = build_targets(_view(spark, 30), campaign, POLICY, NO_HOLDOUT, max_size=max_list_size(campaign))
    sizes = {r["k"]: r["n"] for r in got.groupBy(F.coalesce("group", "excluded_reason").alias("k"))
             .agg(F.count("*").alias("n")).collect()}
    assert sizes == {"call_pack": 50, "sms_gift": 50, "control": 50, "over_capacity_or_budget": 150}
    # the 150 riskiest (deciles 1-5 by probability) are the ones listed
    assert {r["decile"] for r in got.where("group IS NOT NULL").select("decile").distinct().collect()} == {1, 2, 3, 4, 5}
    budget = make_campaign(budget=14.0)  # per listed subscriber (1.3 + 0.1)/3 yuan -> 30 subscribers
    assert max_list_size(budget) == 30


def test_channel_capacity_remainder_is_excluded(spark):
    campaign = make_campaign(rule="churn_probability >= 0", channels={"outbound_call": {"capacity": 7},
                                                                       "sms": {"capacity": 1000}})
    got = build_targets(_view(spark, 3), campaign, POLICY, NO_HOLDOUT)  # 30 rows, 10 per group, no cut
    sizes = {r["k"]: r["n"] for r in got.groupBy(F.coalesce("group", "excluded_reason").alias("k"))
             .agg(F.count("*").alias("n")).collect()}
    assert sizes == {"call_pack": 7, "channel_capacity": 3, "sms_gift": 10, "control": 10}


def test_bad_rule_names_file_and_field(spark):
    view = _view(spark, 1)
    with pytest.raises(ConfigError, match=r"winback.yaml: field 'rule'"):
        apply_rule(view, make_campaign(rule="no_such_column > 1"))
    with pytest.raises(ConfigError, match=r"field 'rule'"):
        apply_rule(view, make_campaign(rule="churn_probability >>> 1"))


def test_view_keeps_one_row_per_subscriber_with_the_tag_store_folded(spark):
    scores = spark.createDataFrame([("s1", "2026-10", 0.4, 1), ("s2", "2026-10", 0.1, 5), ("s1", "2026-09", 0.2, 3)],
                                   "subscriber_id string, month string, churn_probability double, decile int")
    tags = spark.createDataFrame([
        ("s1", "2026-10", "preference", "music", "pop"), ("s1", "2026-10", "preference", "music", "rock"),
        ("s1", "2026-10", "demographic", "student", "yes"), ("s2", "2026-10", "behaviour", "subway_commuter", "yes"),
        ("s2", "2026-09", "demographic", "worker", "yes"),
    ], "subscriber_id string, month string, category string, tag string, value string")
    view = joined_view([scores, subscriber_tags(tags)], "2026-10")
    got = {r["subscriber_id"]: (r["churn_probability"], r["tags"]) for r in view.collect()}
    assert got == {"s1": (0.4, ["demographic:student", "preference:music"]),
                   "s2": (0.1, ["behaviour:subway_commuter"])}
    campaign = make_campaign(rule="array_contains(tags, 'preference:music')")
    assert [r["subscriber_id"] for r in apply_rule(view, campaign).collect()] == ["s1"]
