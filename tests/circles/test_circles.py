"""Life circles on hand-made signalling days (tests/fixtures/signalling_days.py): every named person gets
exactly the expected tags; ping-pong smoothing, home moves and bad taxonomy config each have a case."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F

from lifecircle.circles.features import life_circles
from lifecircle.circles.stays import STAYS_SCHEMA, detect_stays, neighbour_pairs
from lifecircle.circles.taxonomy import load_taxonomy
from lifecircle.core.config import load_config
from lifecircle.core.errors import ConfigError
from lifecircle.ingest.silver_schemas import CELLS, SIGNALLING
from tests.fixtures.signalling_days import MONTH, TZ, weeks_later, world

HOME_PATH = {"H1": ("S1", "D1", "MC1", "CB1"), "H2": ("S1", "D1", "MC1", "CB1"), "R2": ("S4", "D3", "MC2", "CB1"),
             "N1": ("S5", "D4", "MC2", "CB2"), "O1": ("S3", "D2", "MC1", "CB1"), "C1": ("S4", "D3", "MC2", "CB1")}


def _region(role: str, cell: str, days: int) -> set[tuple]:
    store, district, centre, county = HOME_PATH[cell]
    return {("region", f"{role}_cell", cell, days), ("region", f"{role}_store", store, days),
            ("region", f"{role}_district", district, days), ("region", f"{role}_marketing_center", centre, days),
            ("region", f"{role}_county_branch", county, days)}


EXPECTED = {
    # weekday subway to the office tower; last month's recent home was H3, so H1 is a move
    "commuter": _region("home", "H1", 31) | _region("work", "O1", 22) | {
        ("demographic", "income", "high", 31), ("demographic", "white_collar", "国贸大厦", 22),
        ("behaviour", "subway_commuter", "yes", 22), ("region", "home_moved", "H1", 31)},
    "student": _region("home", "R2", 31) | _region("work", "C1", 22) | {
        ("demographic", "income", "low", 31), ("demographic", "student", "江南大学", 22),
        ("behaviour", "night_owl", "yes", 6)},
    # at home on weekdays: no separate work cell; the symphony evening (not attended) gives nothing
    "fan": _region("home", "H2", 31) | {
        ("demographic", "income", "high", 31), ("preference", "music", "pop:张学友", 1),
        ("behaviour", "frequent_traveller", "yes", 3)},
    # nights at the factory are not home; weekday daytime is at home, so no work cell either
    "nightshift": _region("home", "N1", 13) | {
        ("demographic", "income", "mid", 13), ("demographic", "worker", "机械厂", 23)},
    "mover": _region("home", "H1", 20) | {("demographic", "income", "high", 20), ("region", "home_moved", "H3", 20)},
    "sparse": {("region", "unlocatable", "yes", 3)},
}


@pytest.fixture(scope="module")
def result(spark, cfg):
    tax = load_taxonomy(cfg.section("tags"))
    signalling, cells, events, voice = world(spark)
    stays = detect_stays(signalling, neighbour_pairs(cells), tax.pingpong_window_s, tax.max_gap_s).cache()
    previous = spark.createDataFrame([("2026-09", "commuter", "H3"), ("2026-09", "fan", "H2")],
                                     "month string, subscriber_id string, recent_home_cell string")
    out = life_circles(spark, stays, signalling, cells, events, voice, tax, previous)
    features = {r["subscriber_id"]: r.asDict() for r in out.features.collect()}
    return out.tags.collect(), features, out.region_counts.collect()


def test_every_person_gets_exactly_the_expected_tags(result):
    tags, _, _ = result
    got: dict[str, set[tuple]] = {}
    for r in tags:
        got.setdefault(r["subscriber_id"], set()).add((r["category"], r["tag"], r["value"], r["evidence_count"]))
    assert got == EXPECTED
    assert {r["month"] for r in tags} == {MONTH}


def test_tag_rows_carry_confidence_seen_days_and_validity(result):
    tags, _, _ = result
    music = [r for r in tags if r["tag"] == "music"]
    assert [(r["confidence"], r["first_seen"], r["last_seen"], r["valid_month"]) for r in music] == [
        (0.5, dt.date(2026, 10, 17), dt.date(2026, 10, 17), "2027-03")]
    home = next(r for r in tags if r["subscriber_id"] == "mover" and r["tag"] == "home_cell")
    assert (home["confidence"], home["first_seen"], home["last_seen"], home["valid_month"]) == (
        0.653, dt.date(2026, 10, 1), dt.date(2026, 10, 20), "2026-10")


def test_features_pivot_flags_values_and_region_path(result):
    _, features, _ = result
    c = features["commuter"]
    assert (c["locatable"], c["home_cell"], c["home_store_id"], c["work_cell"], c["work_district"], c["home_moved"],
            c["is_white_collar"], c["is_subway_commuter"], c["is_student"], c["income_band"], c["n_tags"]) == (
        True, "H1", "S1", "O1", "D2", True, True, True, False, "high", 3)
    f = features["fan"]
    assert (f["likes_music"], f["music_genre"], f["is_frequent_traveller"], f["work_cell"], f["home_moved"]) == (
        True, "pop", True, None, False)
    assert (features["student"]["is_student"], features["student"]["is_night_owl"]) == (True, True)
    assert (features["nightshift"]["is_worker"], features["nightshift"]["is_night_owl"]) == (True, False)
    assert (features["mover"]["home_moved"], features["mover"]["recent_home_cell"]) == (True, "H3")
    s = features["sparse"]
    assert (s["locatable"], s["home_cell"], s["n_tags"], s["days_seen"]) == (False, None, 0, 3)


def test_region_counts_per_level(result):
    _, _, counts = result
    got = {(r["basis"], r["level"], r["region_id"]): r["subscribers"] for r in counts}
    assert got[("home", "store_id", "S1")] == 3  # commuter, fan, mover
    assert got[("home", "county_branch", "CB1")] == 4
    assert got[("work", "district", "D2")] == 1
    assert ("home", "cell", "X1") not in got  # the unlocatable subscriber counts nowhere
    assert sum(v for (b, lv, _), v in got.items() if b == "home" and lv == "cell") == 5


def _at(day: int, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return dt.datetime(2026, 10, day, hh, mm, ss, tzinfo=TZ)


def test_pingpong_between_neighbours_collapses_but_real_moves_do_not(spark):
    cells = spark.createDataFrame(
        [(c, None, None, None, "residential", None, None, None, None, None, None, nb)
         for c, nb in (("A", "B"), ("B", ""), ("C", ""))], CELLS)
    rows = [  # A→B→A within 2 minutes collapses; A→C→A (C not a neighbour) does not; a long B visit does not
        ("p", _at(1, 10, 0)), ("p", _at(1, 10, 1), "B"), ("p", _at(1, 10, 3)),
        ("p", _at(1, 11, 0), "C"), ("p", _at(1, 11, 2)),
        ("p", _at(1, 12, 0), "B"), ("p", _at(1, 12, 30), "B"), ("p", _at(1, 13, 0)),
        # next morning: a blip to neighbour B two minutes after A, then silence until C
        ("p", _at(2, 9, 0)), ("p", _at(2, 9, 2), "B"), ("p", _at(2, 12, 0), "C"),
        # a night at A with a flicker to B after each of two sparse events, hours apart: both flickers are A
        ("p", _at(3, 22, 0)), ("p", _at(3, 22, 2), "B"), ("p", _at(4, 3, 0)), ("p", _at(4, 3, 2), "B"),
    ]
    sig = spark.createDataFrame(
        [(t.date(), s, t, rest[0] if rest else "A", "periodic") for s, t, *rest in rows], SIGNALLING)
    stays = detect_stays(sig, neighbour_pairs(cells), 300, 3 * 3600)
    local = stays.select("cell_id", F.date_format("start_time", "HH:mm").alias("s"),
                         F.date_format("end_time", "HH:mm").alias("e"), "duration_s", "n_events")
    got = sorted(tuple(r) for r in local.collect())
    assert got == [
        ("A", "03:00", "06:02", 10920, 2), ("A", "09:00", "12:00", 10800, 2), ("A", "10:00", "11:00", 3600, 3),
        ("A", "11:02", "12:00", 3480, 1),
        ("A", "13:00", "16:00", 10800, 1), ("A", "22:00", "01:02", 10920, 2), ("B", "12:00", "13:00", 3600, 2),
        ("C", "11:00", "11:02", 120, 1), ("C", "12:00", "15:00", 10800, 1),
    ]
    assert [(f.name, f.dataType) for f in stays.schema] == [(f.name, f.dataType) for f in STAYS_SCHEMA]


def test_a_range_of_months_in_one_pass_equals_one_run_per_month(spark, cfg):
    """October's world and a copy five weeks later (November): one pass over both gives every table of the two
    runs, including November's home moves, which compare with October's recent home inside the pass."""
    tax = load_taxonomy(cfg.section("tags"))
    signalling, cells, events, voice = world(spark)
    nov_signalling = weeks_later(signalling, 5, "2026-12-01")
    nov_voice = weeks_later(voice, 5, "2026-12-01")
    september = spark.createDataFrame([("2026-09", "commuter", "H3")],
                                      "month string, subscriber_id string, recent_home_cell string")

    def run(sig, calls, previous):
        stays = detect_stays(sig, neighbour_pairs(cells), tax.pingpong_window_s, tax.max_gap_s)
        return stays, life_circles(spark, stays, sig, cells, events, calls, tax, previous)

    def rows(*frames):
        return sorted((tuple(r) for df in frames for r in df.collect()), key=repr)

    oct_stays, october = run(signalling, voice, september)
    nov_stays, november = run(nov_signalling, nov_voice, october.features.cache())
    both_stays, both = run(signalling.unionByName(nov_signalling), voice.unionByName(nov_voice), september)

    assert rows(both_stays) == rows(oct_stays, nov_stays)
    assert rows(both.tags) == rows(october.tags, november.tags)
    assert rows(both.features) == rows(october.features, november.features)
    assert rows(both.region_counts) == rows(october.region_counts, november.region_counts)
    moved = {(r["month"], r["subscriber_id"]) for r in both.features.where("home_moved").collect()}
    # the mover ends October at H3 and starts November back at H1: a move in each month
    assert {("2026-10", "mover"), ("2026-11", "mover"), ("2026-10", "commuter")} <= moved
    assert {r["month"] for r in both_stays.collect()} == {"2026-10", "2026-11"}


@pytest.mark.parametrize(("override", "message"), [
    ("tags.place_circles=[{category: demographic, tag: student, place_types: [campus], window: lunch, min_days: 3}]",
     "tags.place_circles[0].window': unknown window 'lunch'"),
    ("tags.windows.night=[{days: all, from: '25:00', to: '06:00'}]", "tags.windows.night[0].from"),
    ("tags.windows.rush=[{days: workdays, from: '07:00', to: '09:00'}]", "tags.windows.rush[0].days"),
    ("tags.region.home.min_days=0", "tags.region.home.min_days"),
    ("tags.event_circles=[{event_category: concert, category: preference, tag: music, value: '{genre}'}]",
     "tags.event_circles[0].value"),
    ("tags.activity_circles=[{category: behaviour, tag: night_owl, window: late_night, min_days: 2}]",
     "tags.activity_circles[0].event_types' is missing"),
    ("tags.place_circles=[{category: need, tag: x, place_types: [a], window: any, min_days: 1, colour: red}]",
     "tags.place_circles[0].colour' is unknown"),
])
def test_a_bad_taxonomy_is_one_error_naming_the_key(tmp_path, override, message):
    cfg = load_config("test", overrides=[f"paths.data_root={tmp_path}", override])
    with pytest.raises(ConfigError) as err:
        load_taxonomy(cfg.section("tags"))
    assert message in str(err.value)


def test_the_shipped_taxonomy_loads():
    tax = load_taxonomy(load_config("test").section("tags"))
    assert tax.flags()["is_film_lover"] == [("preference", "film")]
    assert tax.value_columns()["music_genre"] == ("preference", "music")
    assert [s for s in tax.segments if s.window == "night"] == [
        type(tax.segments[0])("night", "all", 22 * 3600, 86400), type(tax.segments[0])("night", "all", 0, 6 * 3600)]
