"""The four value jobs end to end on a tiny two-month panorama written as Delta tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from pyspark.sql import functions as F

from lifecircle.core.delta_io import read_delta, write_delta
from lifecircle.ingest.silver_schemas import VAS_ORDERS, VAS_PRODUCTS
from lifecircle.registry import table
from lifecircle.runtime import run_script
from tests.conftest import make_config

pytestmark = pytest.mark.slow
MONTHS = ("2026-09", "2026-10")


def panorama_rows(month: str) -> list[tuple]:
    rows = []
    for i in range(24):
        data_user = i % 2 == 0
        held = ["VAS01", "VAS02", "VAS05"] if i % 3 else ["VAS01", "VAS02"]
        rows.append((
            month, f"s{i:02d}", "PL18" if data_user else "PL288", "24-30", False,
            30.0 if data_user else 300.0, 0 if data_user else 10, 8000.0 + i if data_user else 100.0 + i,
            60.0 if data_user else 600.0, 5 if data_user else 40, len(held), 0.1, 0.0, 0.5,
            93.0 if data_user else 288.0, 0.0, 12 + i, 0.0, 0, data_user, held, "normal", False,
            "student" if i % 4 == 0 else None, False,
            8000.0 + i if data_user else 100.0 + i, None,  # data_mb_m1 as this month, data_mb_m2 unknown
        ))
    return rows


SCHEMA = ("month string, subscriber_id string, plan_id string, age_band string, is_group_member boolean, "
          "voice_mo_minutes double, sms_mo long, data_mb double, voice_minutes double, sms_count long, "
          "vas_products_held int, voice_long_distance_share double, voice_roaming_share double, "
          "voice_on_net_share double, arpu double, arpu_trend double, tenure_months int, data_mb_growth double, "
          "vas_trials long, is_5g_user boolean, vas_held_ids array<string>, status string, churned boolean, "
          "occupation string, is_zero_user boolean, data_mb_m1 double, data_mb_m2 double")


def test_value_jobs(spark, tmp_path):
    cfg = make_config(tmp_path / "data", "value.segment.k_min=2", "value.segment.k_max=3",
                      "value.segment.max_iter=5", "value.segment.sub_segment.k_max=2", "value.associations.min_lift=0.0",
                      "value.segment.log_models=false", "value.propensity.max_iter=5",
                      "value.associations.min_support=0.1")
    pano = spark.createDataFrame([r for m in MONTHS for r in panorama_rows(m)], SCHEMA)
    write_delta(pano, table("gold.panorama").path(cfg), mode="overwrite", partition_by=("month",))
    products = spark.createDataFrame([
        ("VAS01", "music", "music", D("5.00"), "202001"), ("VAS05", "ring", "ringback", D("5.00"), "201201"),
        ("VAS07", "data", "data_pack", D("20.00"), "202201")], VAS_PRODUCTS)
    write_delta(products, table("silver.vas_products").path(cfg), mode="overwrite")
    t = dt.datetime(2026, 10, 4, 9)
    orders = spark.createDataFrame([
        (dt.date(2026, 10, 4), f"o{i}", f"s{i:02d}", "VAS07", "order", "sms", t, None) for i in range(0, 24, 4)
    ], VAS_ORDERS)
    write_delta(orders, table("silver.vas_orders").path(cfg), mode="overwrite", partition_by=("date",))

    for m in MONTHS:
        assert run_script("segment", ["--month", m], spark=spark, cfg=cfg) == 0
    assert run_script("plan_fit", ["--month", "2026-10"], spark=spark, cfg=cfg) == 0
    assert run_script("associations", ["--month", "2026-10"], spark=spark, cfg=cfg) == 0
    assert run_script("propensity", ["--month", "2026-10"], spark=spark, cfg=cfg) == 0

    def read(name: str):
        return read_delta(spark, table(name).path(cfg), name).where(F.col("month") == "2026-10")

    seg = read("gold.segments").collect()
    assert len(seg) == 24
    kinds = {(int(r.subscriber_id[1:]) % 2, r.behaviour_segment) for r in seg}
    assert len(kinds) == 2  # data users and voice users are two behaviour segments
    assert all(r.matched for r in read("gold.segment_mapping").collect())

    fit = {r.subscriber_id: r for r in read("gold.plan_fit").collect()}
    # data user on the voice plan: 18 + 7500 MB x 0.01 = 93.00 -> the cheapest data plan, PL128
    assert (fit["s00"].rule, fit["s00"].current_bill, fit["s00"].best_plan_id, fit["s00"].best_bill) == (
        "wrong_type", D("93.00"), "PL128", D("128.00"))
    # 300 minutes on the 288 plan -> step down to PL18: 18 + 250 x 0.15 = 55.50
    assert (fit["s01"].rule, fit["s01"].best_plan_id, fit["s01"].saving) == ("step_down", "PL18", D("232.50"))

    rules = {r.rule_id: r for r in read("gold.association_rules").collect()}
    r = rules["vas:VAS01+vas:VAS02 => vas:VAS05"]
    assert r.confidence == pytest.approx(16 / 24)
    recs = read("gold.missing_product_recs").where("product_id = 'VAS05'").select("subscriber_id").collect()
    assert sorted(x.subscriber_id for x in recs) == [f"s{i:02d}" for i in range(0, 24, 3)]

    prop = read("gold.propensity")
    assert prop.where("product_id = 'VAS07'").count() == 24
    assert prop.where("product_id = 'VAS05'").count() == 8
    nbo = read("gold.next_best_offer").collect()
    assert len(nbo) == 24 and all(r.expected_value >= 0 for r in nbo)
    life = {r.product_id: r for r in read("gold.product_lifecycle").collect()}
    assert set(life) == {"VAS01", "VAS05", "VAS07"}
