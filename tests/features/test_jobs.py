"""End to end: jobs/panorama.py and jobs/olap.py on the tiny province written as silver Delta tables."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from lifecircle.core.delta_io import read_delta, write_delta
from lifecircle.ingest.silver_schemas import SILVER
from lifecircle.registry import table
from lifecircle.runtime import run_script


@pytest.mark.slow
def test_panorama_and_olap_jobs_first_month(spark, tmp_cfg, tables):
    for name, df in tables.items():
        if name.startswith("silver."):
            write_delta(df, table(name).path(tmp_cfg), partition_by=SILVER[name][1])
    assert run_script("panorama", ["--month", "2026-10"], spark=spark, cfg=tmp_cfg) == 2  # usage_monthly first
    assert run_script("usage_monthly", ["--month", "2026-10"], spark=spark, cfg=tmp_cfg) == 0
    assert run_script("panorama", ["--month", "2026-10"], spark=spark, cfg=tmp_cfg) == 0
    pano = read_delta(spark, table("gold.panorama").path(tmp_cfg))
    got = {r["subscriber_id"]: r for r in pano.select(
        "subscriber_id", "month", "arpu", "arpu_m1", "bill_decline_streak", "vas_held_ids", "voice_minutes",
        "is_zero_user", "region_store_id").collect()}
    assert set(got) == {"A", "B", "C", "E"}
    a = got["A"]
    # first month: no gold.usage_monthly before it, so history is null and holdings come from earlier events
    assert (a["month"], a["arpu"], a["arpu_m1"], a["bill_decline_streak"], a["vas_held_ids"]) == (
        "2026-10", 80.0, None, 0, ["P2"])
    assert got["B"]["vas_held_ids"] == ["P9"] and got["E"]["is_zero_user"] and a["region_store_id"] is None
    usage = read_delta(spark, table("gold.usage_monthly").path(tmp_cfg))
    assert usage.where(F.col("month") == "2026-10").count() == 4

    assert run_script("olap", ["--month", "2026-10"], spark=spark, cfg=tmp_cfg) == 0
    cube = read_delta(spark, table("gold.olap_cube").path(tmp_cfg))
    total = cube.where("grouping_set = 'total'").select("subscribers", "churners").first()
    assert (total["subscribers"], total["churners"]) == (4, 1)
    assert read_delta(spark, table("gold.olap_anomalies").path(tmp_cfg)).count() == 0


@pytest.mark.slow
def test_usage_monthly_over_a_range_writes_what_one_run_per_month_writes(spark, tmp_cfg, tables):
    for name, df in tables.items():
        if name.startswith("silver."):
            write_delta(df, table(name).path(tmp_cfg), partition_by=SILVER[name][1])
    path = table("gold.usage_monthly").path(tmp_cfg)

    def usage():
        return sorted((tuple(r) for r in read_delta(spark, path).collect()), key=repr)

    months = ["2026-08", "2026-09", "2026-10"]
    for m in months:
        assert run_script("usage_monthly", ["--month", m], spark=spark, cfg=tmp_cfg) == 0
    one_by_one = usage()
    assert run_script("usage_monthly", ["--months", "2026-08:2026-10"], spark=spark, cfg=tmp_cfg) == 0
    assert usage() == one_by_one  # replaced, not appended
    got = {(r["subscriber_id"], r["month"]): r["bill_decline_streak"] for r in read_delta(spark, path).collect()}
    assert [got[("A", m)] for m in months] == [0, 1, 2]  # 120 -> 100 -> 80
    assert run_script("usage_monthly", ["--months", "2026-09:2026-10"], spark=spark, cfg=tmp_cfg) == 0
    assert usage() == one_by_one  # the range's first month carries August from the table


def test_panorama_jobs_need_a_month(spark, tmp_cfg):
    assert run_script("panorama", [], spark=spark, cfg=tmp_cfg) == 2
    assert run_script("usage_monthly", [], spark=spark, cfg=tmp_cfg) == 2
