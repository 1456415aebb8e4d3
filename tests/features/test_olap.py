"""OLAP cube totals on the October panorama, Top-N/Bottom-N and anomalies on hand-made cubes."""

from __future__ import annotations

import pytest

from lifecircle.core.errors import InputError
from lifecircle.features.olap import anomalies, build_cube, top_n

KEY = ("grouping_set", "region_level", "region", "brand", "plan_id", "segment")


@pytest.fixture(scope="module")
def cube(spark, panorama_df):
    segments = spark.createDataFrame(
        [("A", "2026-10", 1, "young data"), ("B", "2026-10", 1, "young data"), ("C", "2026-10", 2, "silver")],
        "subscriber_id string, month string, segment_id int, segment_name string")
    df = build_cube(panorama_df, "2026-10", ["county", "store"], segments)
    return {tuple(r[k] for k in KEY): r.asDict() for r in df.collect()}


def test_cube_grand_total(cube):
    t = cube[("total", "ALL", "ALL", "ALL", "ALL", "ALL")]
    assert (t["month"], t["subscribers"], t["active"], t["zero_users"], t["churners"], t["complaints"]) == (
        "2026-10", 4, 3, 2, 1, 2)
    assert t["churn_rate"] == 0.25 and t["revenue"] == 160.0 and t["arpu"] == 40.0
    assert t["mou"] == pytest.approx(1.125) and t["on_net_share"] == pytest.approx(2 / 4.5)
    assert t["complaints_per_1000"] == 500.0


def test_cube_region_brand_plan_segment_cells(cube):
    def subs(gs, level="ALL", region="ALL", brand="ALL", plan="ALL", seg="ALL"):
        r = cube[(gs, level, region, brand, plan, seg)]
        return r["subscribers"], r["churners"], r["revenue"]

    assert subs("county", "county", "C1") == (3, 1, 110.0)
    assert subs("county", "county", "C2") == (1, 0, 50.0)
    assert subs("store", "store", "S1")[0] == 1 and subs("store", "store", "(none)")[0] == 2
    assert subs("county x brand", "county", "C1", brand="gotone") == (2, 1, 110.0)
    assert subs("county x brand", "county", "C1", brand="easyown") == (1, 0, 0.0)
    assert subs("plan_id", plan="(none)")[0] == 1 and subs("plan_id", plan="P58")[0] == 3
    assert subs("segment", seg="young data")[0] == 2 and subs("segment", seg="(none)")[0] == 1
    sets = {k[0] for k in cube}
    assert sets == {"total", "brand", "plan_id", "segment", "county", "county x brand", "county x plan_id",
                    "county x segment", "store", "store x brand", "store x plan_id", "store x segment"}
    # every grouping set adds up to the same subscribers
    for gs in sets:
        assert sum(r["subscribers"] for k, r in cube.items() if k[0] == gs) == 4, gs


def test_cube_rejects_unknown_levels_and_missing_columns(panorama_df):
    with pytest.raises(ValueError, match="unknown region level"):
        build_cube(panorama_df, "2026-10", ["galaxy"])
    with pytest.raises(InputError, match="gold.panorama lacks column.*churned"):
        build_cube(panorama_df.drop("churned"), "2026-10")


CUBE_SCHEMA = ("month string, grouping_set string, region_level string, region string, brand string, "
               "plan_id string, segment string, subscribers long, arpu double")


def _cube(spark, month, arpus):
    return spark.createDataFrame(
        [(month, "county", "county", f"C{i + 1}", "ALL", "ALL", "ALL", 100, a) for i, a in enumerate(arpus)]
        + [(month, "total", "ALL", "ALL", "ALL", "ALL", "ALL", 500, sum(arpus) / 5)], CUBE_SCHEMA)


def test_top_and_bottom_n(spark):
    cube = _cube(spark, "2026-10", [50.0, 50.0, 60.0, 40.0, 150.0])
    got = sorted((r["direction"], r["rank"], r["region"], r["value"])
                 for r in top_n(cube, ["arpu"], n=2, min_subscribers=30).collect())
    assert got == [("bottom", 1, "C4", 40.0), ("bottom", 2, "C1", 50.0),
                   ("top", 1, "C5", 150.0), ("top", 2, "C3", 60.0)]
    assert top_n(cube, ["arpu"], n=2, min_subscribers=101).count() == 0


def test_anomalies_flag_the_jump_by_z_score(spark):
    prev = _cube(spark, "2026-09", [50.0] * 5)
    cur = _cube(spark, "2026-10", [50.0, 50.0, 50.0, 50.0, 150.0])
    got = [r.asDict() for r in anomalies(cur, prev, ["arpu", "subscribers"], z_threshold=1.5).collect()]
    assert len(got) == 1
    a = got[0]
    assert (a["region"], a["metric"], a["value"], a["prev_value"], a["change"], a["direction"]) == (
        "C5", "arpu", 150.0, 50.0, 2.0, "up")
    assert a["z_score"] == pytest.approx(4 / 5 ** 0.5)
    assert anomalies(cur, None, ["arpu"], z_threshold=1.5).count() == 0
