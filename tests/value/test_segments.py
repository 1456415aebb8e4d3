"""Segmentation on a hand-made population with obvious clusters: exact assignment, names, stable ids."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError
from lifecircle.value.segments import (
    adjusted_rand_index,
    resolvable,
    segment_name,
    segment_population,
    select_vars,
    stable_ids,
)

SECTION = {
    "behaviour": {"voice": "voice_minutes", "sms": "sms_count", "data": "data_mb"},
    "value": {"arpu": "arpu", "tenure": "tenure_months"},
    "labels": {"arpu": ["low ARPU", "high ARPU"], "tenure": ["new", "long tenure"]},
    "log_transform": ["voice", "sms", "data"],
    "k_min": 2, "k_max": 3, "max_iter": 5, "seed": 7, "name_threshold": 0.5, "name_features": 2,
    "sub_segment": {"of": "largest", "k_min": 2, "k_max": 2},
}
# planted behaviour group -> (voice minutes, SMS, data MB)
GROUPS = {"data": (20.0, 5.0, 8000.0), "voice": (800.0, 10.0, 100.0), "sms": (100.0, 400.0, 500.0)}
VALUE = {"high": (200.0, 60.0), "low": (30.0, 6.0)}


def population(spark, month_shift: float):
    rows = []
    for g, (v, s, d) in GROUPS.items():
        for i in range(6):
            j = 1 + 0.05 * ((i * 7 + int(month_shift * 10)) % 5 - 2)   # a little jitter, different each month
            val = "high" if i % 2 == 0 else "low"
            a, t = VALUE[val]
            rows.append((f"{g}{i}", g, val, v * j, s * j, d * j, a * j, t * j * (1 + 0.1 * (i % 3 - 1))))
    schema = ("subscriber_id string, grp string, val string, voice_minutes double, sms_count double, "
              "data_mb double, arpu double, tenure_months double")
    df = spark.createDataFrame(rows, schema)
    return df.orderBy(F.desc("subscriber_id")) if month_shift else df


def test_clusters_names_and_stable_ids(spark):
    p1 = population(spark, 0.0)
    s1 = segment_population(p1, SECTION)
    a1 = s1.segments.join(p1.select("subscriber_id", "grp", "val"), "subscriber_id").cache()
    # exact recovery: each planted group is one segment and each segment one group
    assert adjusted_rand_index(a1, "grp", "behaviour_segment") == pytest.approx(1.0)
    assert adjusted_rand_index(a1, "val", "value_segment") == pytest.approx(1.0)
    names = {r.grp: r.behaviour_name for r in a1.select("grp", "behaviour_name").distinct().collect()}
    assert names == {"data": "heavy data, low voice", "voice": "heavy voice, low data", "sms": "heavy sms, low data"}
    vnames = {r.val: r.value_name for r in a1.select("val", "value_name").distinct().collect()}
    assert vnames == {"high": "high ARPU, long tenure", "low": "low ARPU, new"}
    ids1 = {r.grp: r.behaviour_segment for r in a1.select("grp", "behaviour_segment").distinct().collect()}
    assert sorted(ids1.values()) == [1, 2, 3]
    prof = {(r.level, r.segment_id): r for r in s1.profiles.collect()}
    assert {lvl for lvl, _ in prof} == {"behaviour", "value", "strategic", "sub"}
    data_prof = prof[("behaviour", str(ids1["data"]))]
    assert data_prof.size == 6 and data_prof.share == pytest.approx(1 / 3)
    assert data_prof.means["data"] == pytest.approx(8000.0 * (1 + 0.05 * sum((i * 7) % 5 - 2 for i in range(6)) / 6))
    assert data_prof.distinguishing[0] == "data"
    assert sum(1 for lvl, _ in prof if lvl == "strategic") == 6
    # sub-segments split the largest strategic segment (3 members, all of one group) into 2
    subs = [r for r in a1.collect() if r.sub_segment is not None]
    assert len({r.strategic_segment for r in subs}) == 1 and len({r.sub_segment for r in subs}) == 2

    # next month: jittered again, rows in another order -> the same ids for the same kind of customers
    p2 = population(spark, 0.3)
    s2 = segment_population(p2, SECTION, prev_profiles=s1.profiles, prev_month="2026-09")
    a2 = s2.segments.join(p2.select("subscriber_id", "grp"), "subscriber_id")
    ids2 = {r.grp: r.behaviour_segment for r in a2.select("grp", "behaviour_segment").distinct().collect()}
    assert ids2 == ids1
    mapping = s2.mapping.collect()
    assert all(r.matched and r.prev_month == "2026-09" and r.distance < 1.0 for r in mapping)
    a1.unpersist()


def test_inactive_subscribers_form_behaviour_segment_zero(spark):
    """Outside the behaviour population (no use this month) → segment 0, never a k-means cluster; the in-service
    users are still recovered exactly, and next month's matching never maps a cluster onto segment 0."""
    section = dict(SECTION, behaviour_population="in_service", inactive_name="inactive")
    zero = spark.createDataFrame([(f"z{i}", "zero", "low", 0.0, 0.0, 0.0, 30.0, 6.0, False) for i in range(4)],
                                 "subscriber_id string, grp string, val string, voice_minutes double, sms_count double, "
                                 "data_mb double, arpu double, tenure_months double, in_service boolean")
    p1 = population(spark, 0.0).withColumn("in_service", F.lit(True)).unionByName(zero)
    s1 = segment_population(p1, section)
    a1 = s1.segments.join(p1.select("subscriber_id", "grp"), "subscriber_id").cache()
    assert adjusted_rand_index(a1, "grp", "behaviour_segment") == pytest.approx(1.0)
    zeros = {(r.behaviour_segment, r.behaviour_name) for r in a1.where("grp = 'zero'").collect()}
    assert zeros == {(0, "inactive")}
    assert sorted({r.behaviour_segment for r in a1.where("grp != 'zero'").collect()}) == [1, 2, 3]
    prof = {r.segment_id: r for r in s1.profiles.where("level = 'behaviour'").collect()}
    assert prof["0"].size == 4 and prof["0"].share == pytest.approx(4 / 22) and prof["1"].share == pytest.approx(6 / 22)
    s2 = segment_population(p1, section, prev_profiles=s1.profiles, prev_month="2026-09")
    assert {r.segment_id for r in s2.mapping.where("level = 'behaviour'").collect()} == {1, 2, 3}
    a1.unpersist()


def test_stable_ids_and_names_pure():
    scale = {"x": 1.0}
    # first month: largest first
    assert stable_ids({0: {"x": 0.0}, 1: {"x": 5.0}}, {0: 3, 1: 9}, None, scale) == {1: (1, None, False),
                                                                                       0: (2, None, False)}
    # a new cluster far from any previous one gets a fresh id
    got = stable_ids({0: {"x": 5.1}, 1: {"x": 0.2}, 2: {"x": 50.0}}, {0: 1, 1: 1, 2: 1},
                     {1: {"x": 5.0}, 2: {"x": 0.0}}, scale, max_distance=2.0)
    assert {c: v[0] for c, v in got.items()} == {0: 1, 1: 2, 2: 3}
    assert segment_name({"data": 1.2, "voice": -0.9, "sms": 0.1}) == "heavy data, low voice"
    assert segment_name({"data": 0.1}) == "average"


def test_bad_variables_refused(spark):
    df = population(spark, 0.0)
    with pytest.raises(InputError, match="does not resolve"):
        segment_population(df, dict(SECTION, behaviour={"voice": "no_such_column"}))


def test_optional_variables_only_where_their_columns_exist(spark):
    """Life-circle (lc_*) variables are used once life circles have run; a panorama without them keeps the rest."""
    pano = spark.createDataFrame([("a", 2.0, True), ("b", None, None)], "subscriber_id string, x double, lc_is_parent boolean")
    optional = {"parent": "CAST(coalesce(lc_is_parent, false) AS DOUBLE)", "music": "CAST(lc_likes_music AS DOUBLE)"}
    assert resolvable(pano, optional) == {"parent": optional["parent"]}
    assert resolvable(pano.drop("lc_is_parent"), optional) == {}
    got = select_vars(pano, {"x": "x", **resolvable(pano, optional)})
    assert sorted(tuple(r) for r in got.collect()) == [("a", 2.0, 1.0), ("b", 0.0, 0.0)]
