"""Social features on the named small graphs: degrees, triangles, communities, contagion (with a leakage trap),
family circles, and the truth-comparison scores."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DoubleType, LongType, StringType, StructField, StructType
from pyspark.testing import assertDataFrameEqual

from lifecircle.core.periods import add_months
from lifecircle.ingest.silver_schemas import SUBSCRIBER
from lifecircle.social import features as S
from lifecircle.social.report import partition_scores
from tests.fixtures import graphs as G

M = "2026-10"
PARAMS = S.GraphParams(backend="native", pagerank_iter=5, lp_iter=3, family_max_size=4, local_checkpoints=True)

KEPT_SCHEMA = StructType([
    StructField("src", StringType()), StructField("dst", StringType()),
    StructField("src_network", StringType()), StructField("dst_network", StringType()),
    StructField("src_is_subscriber", BooleanType()), StructField("dst_is_subscriber", BooleanType()),
    StructField("weight", DoubleType()), StructField("reciprocal", BooleanType()),
    StructField("home_calls", LongType()), StructField("strong", BooleanType()), StructField("month", StringType()),
])
VERTEX_SCHEMA = StructType([StructField("id", StringType()), StructField("network", StringType()),
                            StructField("is_subscriber", BooleanType())])
OFF_NET = {"b4": "competitor_a"}  # the one party in the fixtures that is not our subscriber


def _kept(spark, edges, home=0, month=M):
    rows = [(s, d, OFF_NET.get(s, "on_net"), OFF_NET.get(d, "on_net"), s not in OFF_NET, d not in OFF_NET, w, True,
             home, w >= 5.0, month) for s, d, w in edges]
    return spark.createDataFrame(rows, KEPT_SCHEMA)


def _vertices(spark, edges):
    ids = sorted({x for e in edges for x in e[:2]})
    return spark.createDataFrame([(i, OFF_NET.get(i, "on_net"), i not in OFF_NET) for i in ids], VERTEX_SCHEMA)


def _rows(df, key, cols):
    return {r[key]: tuple(r[c] for c in cols) for r in df.collect()}


def test_graph_metrics_on_two_communities(spark):
    edges = G.two_communities_edges()
    m = S.graph_metrics(_vertices(spark, edges), _kept(spark, edges), PARAMS)
    got = _rows(m, "id", ["degree", "degree_on_net", "degree_competitor", "weighted_degree", "triangle_count",
                          "clustering_coefficient", "community_id", "community_size"])
    assert got == {
        "a1": (3, 3, 0, 15.0, 3, 1.0, "a1", 4), "a2": (3, 3, 0, 15.0, 3, 1.0, "a1", 4),
        "a3": (3, 3, 0, 15.0, 3, 1.0, "a1", 4), "a4": (4, 4, 0, 16.0, 3, 0.5, "a1", 4),
        "b1": (4, 3, 1, 16.0, 3, 0.5, "b1", 4), "b2": (3, 2, 1, 15.0, 3, 1.0, "b1", 4),
        "b3": (3, 2, 1, 15.0, 3, 1.0, "b1", 4), "b4": (3, 3, 0, 15.0, 3, 1.0, "b1", 4),
    }
    pr = _rows(m, "id", ["pagerank"])
    assert sum(v[0] for v in pr.values()) == pytest.approx(8.0)
    assert pr["a4"][0] > pr["a1"][0] and pr["a4"][0] == pytest.approx(pr["b1"][0])


def _subscribers(spark, churn, ids=("a1", "a2", "a3", "a4", "b1", "b2", "b3")):
    """Our subscribers (a1..a4, b1..b3 unless given) in months M-3..M+1; churn = {(id, month)} marked churned."""
    rows = []
    for i in ids:
        for k in range(-3, 2):
            mm = add_months(M, k)
            rows.append({"month": mm, "subscriber_id": i, "churned": (i, mm) in churn})
    full = [{f.name: r.get(f.name) for f in SUBSCRIBER.fields} for r in rows]
    return spark.createDataFrame(full, SUBSCRIBER)


def test_churn_contagion_counts_and_never_reads_after_the_month(spark):
    churn = {("a2", M), ("a3", add_months(M, -2)), ("b2", add_months(M, -1)),
             ("a1", add_months(M, 1)),   # after M: must never count (the target month)
             ("a4", add_months(M, -3))}  # before the 3-month window: must not count
    strong = _kept(spark, G.two_communities_edges()).unionByName(
        _kept(spark, [("a4", "b2", 9.0)], month=add_months(M, 1)))  # a tie seen only after M: ignored
    got = S.churn_contagion(strong.where("strong").select("src", "dst", "month"), _subscribers(spark, churn), M)
    expected = spark.createDataFrame([
        ("a1", 3, 1, 0.3333, 2, 0.6667), ("a2", 3, 0, 0.0, 1, 0.3333), ("a3", 3, 1, 0.3333, 1, 0.3333),
        ("a4", 3, 1, 0.3333, 2, 0.6667), ("b1", 2, 0, 0.0, 1, 0.5), ("b2", 2, 0, 0.0, 0, 0.0),
        ("b3", 2, 0, 0.0, 1, 0.5), ("b4", 3, 0, 0.0, 1, 0.3333),
    ], "subscriber_id string, strong_contacts long, contagion_churned_1m long, contagion_share_1m double, "
       "contagion_churned_3m long, contagion_share_3m double")
    assert {r["month"] for r in got.select("month").distinct().collect()} == {M}
    assertDataFrameEqual(got.drop("month"), expected)


def test_circle_churn_counts_community_members_lost_in_three_months(spark):
    # this month: community A = {a1, a2, a3}, B = {b1, b2}; earlier months' graphs labelled them differently
    now = spark.createDataFrame([("a1", "A", 3), ("a2", "A", 3), ("a3", "A", 3), ("b1", "B", 2), ("b2", "B", 2)],
                                "id string, community_id string, community_size long")
    m1, m2, m3 = add_months(M, -1), add_months(M, -2), add_months(M, -3)
    previous = spark.createDataFrame(
        [(i, m1, "x1") for i in ("x1", "a1", "a2", "a3")]   # x1 churned in M-1 inside a1..a3's community
        + [(i, m2, "b1") for i in ("x2", "b1", "b2")]       # x2 churned in M-2 inside b1, b2's community
        + [(i, m3, "a1") for i in ("x3", "a1")]             # x3 churned before the window: never counts
        + [("a1", M, "stale")],                              # a stale row of M itself is not read
        "subscriber_id string, month string, community_id string")
    churn = {("x1", m1), ("x2", m2), ("x3", m3),
             ("a3", M),                   # churned this month inside A: counts for a1, a2, not for itself
             ("b1", add_months(M, 1))}    # after M: must never count
    subs = _subscribers(spark, churn, ("a1", "a2", "a3", "b1", "b2", "x1", "x2", "x3"))
    got = S.circle_churn(now, previous, subs, M)
    assert _rows(got, "subscriber_id", ["circle_churned_3m", "circle_churn_share_3m"]) == {
        "a1": (2, 0.6667), "a2": (2, 0.6667), "a3": (1, 0.3333), "b1": (1, 0.5), "b2": (1, 0.5)}


def test_family_circles_keep_small_reciprocal_home_groups(spark):
    edges = G.two_communities_edges() + G.star_edges() + G.triangle_edges()
    kept = _kept(spark, [e for e in edges if e[0] in ("h", "t1", "t2")], home=5).unionByName(
        _kept(spark, [e for e in edges if e[0] not in ("h", "t1", "t2")], home=3))
    fam = S.family_circles(_vertices(spark, edges), kept, PARAMS)
    # the triangle qualifies; the star (6 parties) is above family_max_size 4; the cliques call too little at home
    assert _rows(fam, "id", ["family_circle_id", "family_size"]) == {t: ("t1", 3) for t in G.TRIANGLE}


def test_competitor_share_and_trend(spark):
    pairs = spark.createDataFrame([
        ("a1", "x1", "on_net", "competitor_a", True, False, 30.0),
        ("a1", "a2", "on_net", "on_net", True, True, 90.0),
        ("a1", "s1", "on_net", "service", True, False, 500.0),
    ], "src string, dst string, src_network string, dst_network string, src_is_subscriber boolean, "
       "dst_is_subscriber boolean, minutes double")
    comp = S.competitor_share(pairs)
    assert _rows(comp, "subscriber_id", ["total_minutes", "competitor_minutes_share"]) == {
        "a1": (120.0, 0.25), "a2": (90.0, 0.0)}
    prev = spark.createDataFrame([("a1", add_months(M, -2), 0.05), ("a1", add_months(M, -1), 0.15),
                                  ("a1", add_months(M, 1), 0.9)],  # a later month never enters the trend
                                 "subscriber_id string, month string, competitor_minutes_share double")
    trend = S.competitor_trend(comp, prev, M)
    assert _rows(trend, "subscriber_id", ["competitor_share_trend_3m"]) == {"a1": (0.1,), "a2": (None,)}


def test_partition_scores_match_known_values():
    same = partition_scores([("x", 0, 2), ("y", 1, 2)])
    assert same["nmi"] == pytest.approx(1.0) and same["ari"] == pytest.approx(1.0)
    # found [0,0,1,2] vs true [0,0,1,1] (scikit-learn: ARI 0.5714, NMI 0.8)
    s = partition_scores([(0, 0, 2), (1, 1, 1), (2, 1, 1)])
    assert s["ari"] == pytest.approx(0.5714285714) and s["nmi"] == pytest.approx(0.8)
    assert partition_scores([])["n"] == 0


def test_leaders_pick_reach_and_early_adoption(spark):
    feats = spark.createDataFrame(
        [(i, "a1", 4, pr, d, w) for i, pr, d, w in [("a1", 1.0, 3, 9.0), ("a2", 0.9, 3, 8.0), ("a3", 0.8, 3, 7.0),
                                                    ("a4", 1.3, 4, 20.0)]]
        + [("b1", "b1", 3, 1.0, 2, 5.0)],
        "subscriber_id string, community_id string, community_size long, pagerank double, degree long, "
        "weighted_degree double")
    vas = spark.createDataFrame([
        ("a4", "P1", "order", "2026-09-01 10:00:00"), ("a1", "P1", "order", "2026-10-01 10:00:00"),
        ("a2", "P1", "order", "2026-10-02 10:00:00"), ("a3", "P1", "unsubscribe", "2026-08-01 10:00:00"),
        ("b1", "P1", "order", "2026-09-01 10:00:00"),
    ], "subscriber_id string, product_id string, event string, t string").select(
        "subscriber_id", "product_id", "event", F.to_timestamp("t").alias("event_time"),
        F.to_date("t").alias("date"))
    got = S.leaders(feats, vas, M, PARAMS)
    # community a1 (size 4, quota ceil(0.8) = 1): a4 has the top reach and ordered first, a1 and a2 followed
    # (2 of 3 peers); b1's community is too small
    assert _rows(got, "subscriber_id", ["community_id", "leader_rank", "reach_score", "adoption_score"]) == {
        "a4": ("a1", 1, 1.0, 0.6667)}


def test_leaders_in_a_clique_are_the_ones_carrying_the_traffic(spark):
    """In a small clique degree and PageRank tie; the member most calls go through is the leader."""
    feats = spark.createDataFrame(
        [(i, "f", 5, 1.0, 4, w) for i, w in [("f1", 6.0), ("f2", 31.0), ("f3", 7.0), ("f4", 5.0), ("f5", 6.5)]],
        "subscriber_id string, community_id string, community_size long, pagerank double, degree long, "
        "weighted_degree double")
    vas = spark.createDataFrame([], "subscriber_id string, product_id string, event string, event_time timestamp, "
                                    "date date")
    got = S.leaders(feats, vas, M, PARAMS)
    assert _rows(got, "subscriber_id", ["leader_rank", "reach_score", "adoption_score"]) == {"f2": (1, 0.5, 0.0)}


def test_truth_comparison_counts_only_leaders_still_subscribed(spark):
    from lifecircle.social.report import compare_with_truth

    month = "2026-10"
    feats = spark.createDataFrame(
        [("a1", "A", 0.0), ("a2", "A", 0.5), ("a3", "A", 0.0), ("b1", "B", 0.0), ("b2", "B", 0.0), ("c1", "B", 0.0)],
        "subscriber_id string, community_id string, contagion_share_3m double").withColumn("month", F.lit(month))
    leaders = spark.createDataFrame([(month, "a1")], "month string, subscriber_id string")
    truth = spark.createDataFrame([
        ("a1", "1", True, None, None), ("a2", "1", False, "2026-11", "contagion"), ("a3", "1", False, None, None),
        ("b1", "2", True, None, None),           # a planted leader we missed
        ("b2", "2", True, "2026-09", "complaints"),  # churned before the month: nothing left to find
        ("c1", "2", False, None, None),
    ], "subscriber_id string, true_community string, is_leader boolean, churn_month string, churn_cause string")
    got = compare_with_truth(feats, leaders, truth, month)
    assert (got["planted_leaders"], got["leader_recall"]) == (2, 0.5)
    assert got["nmi"] == pytest.approx(1.0) and got["ari"] == pytest.approx(1.0)
    assert (got["contagion_share_planted"], got["contagion_share_rest"]) == (0.5, 0.0)
