"""Panorama features by value on the hand-made province of tests/features/world.py."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError
from lifecircle.features import catalog as C
from lifecircle.features.panorama import (
    aggregate_voice,
    assemble_panorama,
    bill_decline_streak,
    gap_fill,
    latest_terminal,
    month_filter,
    subscriber_universe,
    vas_holdings,
    vas_holdings_by_month,
)
from tests.features.conftest import GAP_RULES


def approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-12)


def test_universe_keeps_churners_of_the_month_and_drops_earlier_closures(rows):
    assert set(rows) == {"A", "B", "C", "E"}
    assert {k: (r["is_active"], r["churned"]) for k, r in rows.items()} == {
        "A": (True, False), "B": (True, False), "C": (False, True), "E": (True, False)}
    assert all(r["month"] == "2026-10" for r in rows.values())


def test_voice_three_calls_of_60s_two_to_a_competitor(rows):
    a = rows["A"]
    assert (a["voice_calls"], a["voice_mo_calls"], a["voice_mt_calls"]) == (3, 2, 1)
    assert a["voice_minutes"] == approx(3.0)  # the September 600 s call is not in October
    assert (a["voice_competitor_a_minutes"], a["voice_on_net_minutes"], a["voice_competitor_b_minutes"]) == (
        approx(2.0), approx(1.0), approx(0.0))
    assert a["voice_competitor_share"] == approx(2 / 3)
    assert a["voice_on_net_share"] == approx(1 / 3)
    assert a["voice_off_net_share"] == approx(2 / 3)
    assert a["voice_long_distance_calls"] == 1 and a["voice_local_calls"] == 2
    assert a["voice_long_distance_share"] == approx(1 / 3)
    assert a["voice_night_calls"] == 1 and a["voice_night_share"] == approx(1 / 3)
    assert a["voice_weekday_day_calls"] == 2 and a["voice_weekday_day_share"] == approx(2 / 3)
    assert a["voice_forwarded_calls"] == 1
    assert (a["voice_contacts"], a["voice_contacts_mo"], a["voice_contacts_mt"], a["voice_contacts_reciprocal"],
            a["voice_contacts_on_net"], a["voice_contacts_competitor"]) == (2, 2, 1, 1, 1, 1)
    b = rows["B"]
    assert b["voice_minutes"] == approx(1.5) and b["voice_fixed_share"] == approx(1 / 3)
    assert b["voice_weekday_day_calls"] == 1 and b["voice_night_calls"] == 0  # Saturday 08:00 is neither


def test_sms_and_data(rows):
    a = rows["A"]
    assert (a["sms_count"], a["sms_mo"], a["sms_mt"], a["sms_p2p"], a["sms_service"], a["sms_on_net"],
            a["sms_contacts"]) == (3, 2, 1, 2, 1, 2, 1)
    assert a["sms_on_net_share"] == approx(2 / 3)
    assert (a["data_mb"], a["data_5g_mb"], a["data_video_mb"], a["data_social_mb"]) == (
        approx(5.0), approx(3.0), approx(2.0), approx(3.0))
    assert a["data_5g_share"] == approx(0.6) and a["data_hours"] == 3 and a["data_5g_hours"] == 1
    assert a["data_top_app"] == "social" and a["data_top_app_share"] == approx(0.6)
    assert rows["B"]["data_top_app"] == "other" and rows["B"]["data_other_mb"] == approx(1.0)


def test_vas_holdings_events_and_service_contacts(rows):
    a = rows["A"]
    assert a["vas_held_ids"] == ["P2"] and a["vas_products_held"] == 1 and a["vas_products_held_m1"] == 1
    assert (a["vas_orders"], a["vas_cancels"], a["vas_cancels_active"], a["vas_trials"]) == (1, 1, 1, 1)
    assert (a["vas_cancels_bulk"], a["vas_cancels_bulk_3m"], rows["B"]["vas_cancels_bulk_3m"]) == (0, 1, 0)
    assert rows["B"]["vas_held_ids"] == ["P9"]  # ordered in August, carried through usage_monthly
    assert a["is_vas_user"] and not rows["E"]["is_vas_user"]
    assert (a["svc_complaints"], a["svc_consultations"], a["svc_contacts"], a["svc_complaints_network"]) == (
        1, 1, 2, 1)
    assert (a["svc_complaints_3m"], a["svc_contacts_3m"]) == (2, 3)
    assert rows["C"]["svc_complaints_billing"] == 1


def test_fees_and_three_month_history_from_monthly_aggregates(rows):
    a = rows["A"]
    assert (a["arpu"], a["arpu_m1"], a["arpu_m2"]) == (80.0, 100.0, 120.0)
    assert a["arpu_3m_mean"] == approx(100.0) and a["arpu_trend"] == approx(-20.0)
    assert a["arpu_change_m1"] == approx(-0.2)
    assert a["bill_decline_streak"] == 2  # 120 -> 100 (-16.7%) -> 80 (-20%)
    assert rows["B"]["bill_decline_streak"] == 0
    assert a["fee_voice_share"] == approx(0.25) and a["in_arrears"] and a["arrears"] == 12.5
    assert a["voice_minutes_m1"] == approx(10.0) and a["voice_competitor_share_m1"] == approx(1.0)
    assert a["voice_competitor_share_m2"] is None and a["voice_competitor_share_trend"] is None
    assert rows["C"]["arpu_m1"] is None  # no September bill
    assert rows["C"]["arpu_3m_mean"] == approx(30.0)


def test_plan_and_terminal(rows):
    a = rows["A"]
    assert a["plan_monthly_fee"] == 58.0 and a["plan_voice_use_ratio"] == approx(0.02)
    assert a["plan_data_use_ratio"] == approx(0.005) and a["plan_fee_ratio"] == approx(80 / 58)
    assert (a["term_brand"], a["term_supports_5g"], a["term_volte"], a["handset_age_months"],
            a["handset_changed"]) == ("Huawei", True, True, 12, False)
    assert not a["is_5g_capable_on_4g"]
    e = rows["E"]
    assert e["plan_id"] is None and e["plan_monthly_fee"] is None and e["term_brand"] is None


def test_zero_user(rows):
    assert {k: r["is_zero_user"] for k, r in rows.items()} == {"A": False, "B": False, "C": True, "E": True}
    e = rows["E"]
    assert (e["voice_calls"], e["sms_count"], e["data_mb"], e["voice_on_net_share"]) == (0, 0, 0.0, None)


def test_gap_fill_infers_but_never_overwrites_and_joins_circle_and_social(rows):
    a, b = rows["A"], rows["B"]
    assert (a["occupation"], a["occupation_inferred"], a["age_band"], a["age_band_inferred"]) == (
        "student", True, "18-23", True)
    assert (b["occupation"], b["occupation_inferred"], b["age_band"], b["age_band_inferred"]) == (
        "teacher", False, "35-44", False)
    assert (rows["C"]["occupation"], rows["C"]["occupation_inferred"]) == (None, False)
    assert (a["region_store_id"], a["region_county_branch"], a["lc_home_store_id"], a["lc_is_student"]) == (
        "S1", "C1分公司", "S1", True)
    # A lives in the county it is registered in (C1); B is registered in C2 but its home is in C1; C has no circle
    assert {k: r["region_outside_registered_county"] for k, r in rows.items()} == {
        "A": False, "B": True, "C": None, "E": None}
    assert a["region_district"] is None
    assert (a["sn_degree"], a["sn_pagerank"], rows["B"]["sn_degree"]) == (2, 0.5, None)


def test_gap_fill_rule_order_and_missing_circle_columns(spark):
    df = spark.createDataFrame(
        [("x", None, None, True, True), ("y", "", "24-30", False, True), ("z", None, None, None, None)],
        "subscriber_id string, occupation string, age_band string, lc_is_student boolean, "
        "lc_is_white_collar boolean")
    rules = [*GAP_RULES, {"circle": "is_parent", "occupation": "parent"}]  # no lc_is_parent column: skipped
    got = {r["subscriber_id"]: (r["occupation"], r["occupation_inferred"], r["age_band"], r["age_band_inferred"])
           for r in gap_fill(df, rules).collect()}
    assert got == {"x": ("student", True, "18-23", True), "y": ("white_collar", True, "24-30", False),
                   "z": (None, False, None, False)}


def test_panorama_without_optional_tables_has_the_catalogue_columns(october):
    df = assemble_panorama(*october, "2026-10")
    assert df.columns == [f.name for f in C.PANORAMA_FEATURES]
    assert len(df.columns) >= 120
    untyped = [f.name for f in df.schema.fields if f.dataType.typeName() == "void"]
    assert untyped == []  # Delta cannot store void columns: history of uncomputed months must be typed


def test_bad_input_names_the_table_and_column(spark, tables):
    with pytest.raises(InputError, match="silver.voice_cdr lacks column.*duration_s"):
        aggregate_voice(tables["silver.voice_cdr"].drop("duration_s"))
    with pytest.raises(InputError, match="silver.subscriber lacks column.*status"):
        subscriber_universe(tables["silver.subscriber"].drop("status"), "2026-10")


def test_vas_holdings_from_events_alone_and_with_prior(tables):
    events = tables["silver.vas_orders"]
    before_oct = vas_holdings(events.where("date < DATE'2026-10-01'"), None)
    assert sorted(map(tuple, before_oct.collect())) == [("A", "P1"), ("B", "P9")]
    after = vas_holdings(month_filter(events, "2026-10"), before_oct)
    assert sorted(map(tuple, after.collect())) == [("A", "P2"), ("B", "P9")]


def test_bill_decline_streak_over_a_range_follows_the_month_by_month_definition(spark):
    """A decline (bill more than 15% below the month before) adds one to M-1's streak, another bill restarts at 0,
    no bill is null; the streak carried in from the month before the range counts, a missing month breaks it."""
    usage = spark.createDataFrame([
        ("X", "2026-04", 80.0), ("X", "2026-05", 60.0), ("X", "2026-06", 60.0), ("X", "2026-07", 40.0),
        ("Y", "2026-04", 100.0), ("Y", "2026-05", None), ("Y", "2026-06", 50.0), ("Y", "2026-07", 30.0),
        ("Z", "2026-04", 84.0), ("Z", "2026-06", 50.0), ("Z", "2026-07", 42.0),  # no May row
        ("W", "2026-04", 0.0),
    ], "subscriber_id string, month string, arpu double")
    before = spark.createDataFrame([("X", "2026-03", 100.0, 2), ("Z", "2026-03", 100.0, None), ("W", "2026-03", 0.0, 0)],
                                   "subscriber_id string, month string, arpu double, bill_decline_streak int")

    def streaks(df):
        return {(r["subscriber_id"], r["month"]): r["bill_decline_streak"] for r in df.collect()}

    got = streaks(bill_decline_streak(usage, before, 0.15))
    assert got == {
        ("X", "2026-04"): 3, ("X", "2026-05"): 4, ("X", "2026-06"): 0, ("X", "2026-07"): 1,
        ("Y", "2026-04"): 0, ("Y", "2026-05"): None, ("Y", "2026-06"): 0, ("Y", "2026-07"): 1,
        ("Z", "2026-04"): 1, ("Z", "2026-06"): 0, ("Z", "2026-07"): 1,  # 42 < 50 * 0.85 = 42.5
        ("W", "2026-04"): 0}
    first = streaks(bill_decline_streak(usage.where("month = '2026-04'"), before, 0.15))
    assert first == {k: v for k, v in got.items() if k[1] == "2026-04"}
    assert streaks(bill_decline_streak(usage.where("month = '2026-04'"), None, 0.15)) == {
        ("X", "2026-04"): 0, ("Y", "2026-04"): 0, ("Z", "2026-04"): 0, ("W", "2026-04"): 0}


def test_vas_holdings_by_month_carry_the_latest_event_through_the_range(tables):
    events = month_filter(tables["silver.vas_orders"], ["2026-09", "2026-10"])
    prior = vas_holdings(tables["silver.vas_orders"].where("date < DATE'2026-09-01'"), None)
    both = vas_holdings_by_month(events, prior, ["2026-09", "2026-10"])
    sep = vas_holdings(month_filter(events, "2026-09"), prior)
    oct_ = vas_holdings(month_filter(events, "2026-10"), sep)
    expected = ([(s, "2026-09", p) for s, p in map(tuple, sep.collect())]
                + [(s, "2026-10", p) for s, p in map(tuple, oct_.collect())])
    assert sorted(map(tuple, both.collect())) == sorted(expected)
    assert ("A", "2026-10", "P2") in expected and ("B", "2026-10", "P9") in expected


def test_voice_pairs_match_a_direct_aggregation(tables):
    """The pair-first aggregation equals a direct per-subscriber aggregation (independent check)."""
    v = month_filter(tables["silver.voice_cdr"], "2026-10")
    direct = v.groupBy("subscriber_id").agg(
        F.count("*").alias("voice_calls"), (F.sum("duration_s") / 60.0).alias("voice_minutes"),
        F.count_distinct("contact_id").alias("voice_contacts"))
    got = aggregate_voice(v).select("subscriber_id", "voice_calls", "voice_minutes", "voice_contacts")
    assert sorted(map(tuple, got.collect())) == sorted(map(tuple, direct.collect()))


def test_month_filter_reads_only_the_months_partition_of_a_daily_table(spark, tmp_path):
    rows = [("2026-09-30", "2026-09", 1), ("2026-10-01", "2026-10", 2), ("2026-10-31", "2026-10", 3),
            ("2026-11-01", "2026-11", 4)]
    df = spark.createDataFrame(rows, "date string, month string, n int").withColumn("date", F.to_date("date"))
    path = str(tmp_path / "daily")
    df.write.format("delta").partitionBy("month").save(path)
    october = month_filter(spark.read.format("delta").load(path), "2026-10")
    assert sorted(r["n"] for r in october.collect()) == [2, 3]  # ok: three rows
    # a partition filter (pruned from Delta's log), not only file statistics on `date`, which prune the same files
    scan = [line for line in october._jdf.queryExecution().executedPlan().toString().splitlines()
            if "PartitionFilters" in line]
    assert scan and "2026-10" in scan[0].split("PartitionFilters:")[1].split("]")[0]
    assert all("month=2026-10" in f for f in october.inputFiles())
    # a frame without the partition column (transforms' fixtures) keeps the date range alone
    assert sorted(r["n"] for r in month_filter(df.drop("month"), "2026-10").collect()) == [2, 3]  # ok: three rows


def test_two_months_in_one_pass_equal_one_pass_per_month(tables, history):
    """September and October aggregated and assembled together give each month's rows as doing it month by month
    does, history, streak, holdings, handset and circle columns included (September's circle row and October's
    must not cross)."""
    from tests.features.conftest import build

    _, sep_usage = build(tables, "2026-09", history.where("month = '2026-08'"))
    _, oct_usage = build(tables, "2026-10", sep_usage)
    _, usage = build(tables, ["2026-09", "2026-10"], history.where("month = '2026-08'"))  # usage in one pass too
    assert sorted(map(tuple, usage.collect()), key=repr) == sorted(
        map(tuple, sep_usage.unionByName(oct_usage).collect()), key=repr)
    past = history.where("month = '2026-08'").unionByName(usage.select(*history.columns))
    universe = subscriber_universe(tables["silver.subscriber"], ["2026-09", "2026-10"])

    def assemble(months):
        return assemble_panorama(
            universe, usage, months, usage_history=past,
            terminal=latest_terminal(tables["silver.terminal"], tables["silver.tac"], months),
            tariffs=tables["silver.tariffs"], circles=tables["gold.circle_features"],
            social=tables["gold.social_features"], gap_rules=GAP_RULES)

    def rows(*frames):
        return sorted((tuple(r) for df in frames for r in df.collect()), key=repr)

    both = assemble(["2026-09", "2026-10"])
    assert rows(both) == rows(assemble("2026-09"), assemble("2026-10"))
    got = {(r["month"], r["subscriber_id"]): r for r in both.collect()}
    assert {m for m, _ in got} == {"2026-09", "2026-10"}
    assert got[("2026-10", "A")]["arpu_m1"] == 100.0 and got[("2026-09", "A")]["arpu_m1"] == 120.0
