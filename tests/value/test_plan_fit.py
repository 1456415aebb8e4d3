"""Plan fit: hand-made usage priced under hand-made tariffs, every bill checked to the cent, each rule a case."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from pyspark.sql.types import DoubleType, IntegerType, StringType, StructField, StructType
from pyspark.testing import assertDataFrameEqual

from lifecircle.core.errors import ConfigError, InputError
from lifecircle.value.plan_fit import (
    PLAN_FIT_SCHEMA,
    TARIFF_SCHEMA,
    PlanFitParams,
    fit_plans,
    price_all,
    tariff_rows,
    usage_from,
)

CATALOGUE = {
    "payg": {"voice_per_min": "0.25", "sms": "0.10", "data_per_mb": "0.20"},
    "plans": [
        {"plan_id": "VA", "plan_type": "voice", "monthly_fee": "10.00", "incl_voice_min": 100, "incl_sms": 10,
         "incl_data_mb": 50, "over_voice_per_min": "0.20", "over_sms": "0.10", "over_data_per_mb": "0.30"},
        {"plan_id": "VB", "plan_type": "voice", "monthly_fee": "30.00", "incl_voice_min": 500, "incl_sms": 50,
         "incl_data_mb": 100, "over_voice_per_min": "0.15", "over_sms": "0.10", "over_data_per_mb": "0.30"},
        {"plan_id": "DA", "plan_type": "data", "monthly_fee": "20.00", "incl_voice_min": 30, "incl_sms": 0,
         "incl_data_mb": 2000, "over_voice_per_min": "0.25", "over_sms": "0.10", "over_data_per_mb": "0.05"},
        {"plan_id": "DB", "plan_type": "data", "monthly_fee": "50.00", "incl_voice_min": 60, "incl_sms": 0,
         "incl_data_mb": 10000, "over_voice_per_min": "0.25", "over_sms": "0.10", "over_data_per_mb": "0.02"},
        {"plan_id": "CA", "plan_type": "campus", "monthly_fee": "5.00", "incl_voice_min": 50, "incl_sms": 50,
         "incl_data_mb": 1000, "over_voice_per_min": "0.20", "over_sms": "0.10", "over_data_per_mb": "0.05",
         "eligible_if": "age_band = '18-23'"},
    ],
}
SECTION = {
    "low_utilisation": 0.3, "high_overage_ratio": 0.5,
    "usage_type": {"data_heavy_mb": 1000, "voice_light_min": 100, "voice_heavy_min": 300, "data_light_mb": 200},
    "wrong_type": {"voice": ["data"], "data": ["voice"]}, "min_saving": "5.00", "recheck_saving": "10.00",
}
USAGE_SCHEMA = StructType([
    StructField("subscriber_id", StringType()), StructField("plan_id", StringType()),
    StructField("voice_min", DoubleType()), StructField("sms", IntegerType()),
    StructField("data_mb", DoubleType()), StructField("age_band", StringType()),
])
USAGE = [
    ("s1", None, 44.2, 5, 30.2, "30-39"),   # no plan; campus would be cheaper but is not eligible
    ("s2", "VA", 400.0, 20, 40.0, "40-49"),  # far above a small voice plan -> step up
    ("s3", "VB", 20.0, 2, 10.0, "40-49"),    # far below -> step down
    ("s4", "VB", 10.0, 0, 5000.0, "30-39"),  # data user on a voice plan -> migrate
    ("s5", "DA", 25.0, 0, 1800.0, "18-23"),  # fits
    ("s6", "VB", 150.0, 10, 20.0, "18-23"),  # fits the rules, but a cheaper plan exists -> re-check
    ("s7", "", 10.0, 0, 0.0, "30-39"),       # no plan, pay as you go is cheapest
    ("s8", "ZZ", 10.0, 0, 0.0, "30-39"),     # plan not in the catalogue
    ("s9", "VA", 160.0, 0, 0.0, "30-39"),    # far above; the bigger plan costs more -> step up, re-check
    ("s10", None, 40.0, 40, 900.0, "18-23"),  # no plan, student -> campus plan
]


@pytest.fixture(scope="module")
def frames(spark):
    rows = tariff_rows(CATALOGUE)
    tariffs = spark.createDataFrame(rows, TARIFF_SCHEMA)
    usage = spark.createDataFrame(USAGE, USAGE_SCHEMA)
    return rows, tariffs, usage


def test_every_bill_to_the_cent(spark, frames):
    _, tariffs, usage = frames
    got = price_all(usage.filter("subscriber_id in ('s1', 's4')"), tariffs)
    expected = spark.createDataFrame([
        # s1: 45 min, 5 SMS, 31 MB
        ("s1", "VA", D("10.00")), ("s1", "VB", D("30.00")),
        ("s1", "DA", D("24.25")),   # 20 + 15 x 0.25 + 5 x 0.10
        ("s1", "DB", D("50.50")),   # 50 + 0 + 5 x 0.10
        ("s1", "CA", D("5.00")),
        # s4: 10 min, 0 SMS, 5000 MB
        ("s4", "VA", D("1495.00")),  # 10 + 4950 x 0.30
        ("s4", "VB", D("1500.00")),  # 30 + 4900 x 0.30
        ("s4", "DA", D("170.00")),   # 20 + 3000 x 0.05
        ("s4", "DB", D("50.00")),
        ("s4", "CA", D("205.00")),   # 5 + 4000 x 0.05
    ], "subscriber_id string, plan_id string, bill decimal(12,2)")
    assertDataFrameEqual(got, expected)


def test_four_rules(spark, frames):
    rows, tariffs, usage = frames
    params = PlanFitParams.from_config(SECTION, CATALOGUE)
    got = fit_plans(usage, tariffs, params, rows)
    expected = spark.createDataFrame([
        # PAYG 45x0.25 + 5x0.10 + 31x0.20 = 17.95; VA 10.00 saves 7.95 (< 10: re-check)
        ("s1", None, None, "mixed", 45, 5, 31, D("17.95"), "VA", D("10.00"), D("7.95"), "no_plan", True,
         "small_saving"),
        # VA: 10 + 300x0.20 + 10x0.10 = 71.00 -> VB 30.00
        ("s2", "VA", "voice", "voice", 400, 20, 40, D("71.00"), "VB", D("30.00"), D("41.00"), "step_up", False, None),
        ("s3", "VB", "voice", "mixed", 20, 2, 10, D("30.00"), "VA", D("10.00"), D("20.00"), "step_down", False, None),
        ("s4", "VB", "voice", "data", 10, 0, 5000, D("1500.00"), "DB", D("50.00"), D("1450.00"), "wrong_type", False,
         None),
        ("s5", "DA", "data", "data", 25, 0, 1800, D("20.00"), "DA", D("20.00"), D("0.00"), "none", False, None),
        # VA would cost 10 + 50x0.20 = 20.00: 10.00 cheaper, yet no rule fires
        ("s6", "VB", "voice", "mixed", 150, 10, 20, D("30.00"), "VB", D("30.00"), D("0.00"), "none", True,
         "cheaper_plan_exists"),
        ("s7", None, None, "mixed", 10, 0, 0, D("2.50"), None, None, None, "none", False, None),
        ("s8", "ZZ", None, "mixed", 10, 0, 0, None, None, None, None, "unknown_plan", False, None),
        # VA: 10 + 60x0.20 = 22.00; VB 30.00 costs 8.00 more
        ("s9", "VA", "voice", "mixed", 160, 0, 0, D("22.00"), "VB", D("30.00"), D("-8.00"), "step_up", True,
         "small_saving"),
        # PAYG 10.00 + 4.00 + 180.00 = 194.00; campus 5.00
        ("s10", None, None, "mixed", 40, 40, 900, D("194.00"), "CA", D("5.00"), D("189.00"), "no_plan", False, None),
    ], PLAN_FIT_SCHEMA)
    assertDataFrameEqual(got, expected, checkRowOrder=False)


def test_bad_catalogue_and_usage_are_refused(spark, frames):
    bad = {"plans": [dict(CATALOGUE["plans"][0], monthly_fee="10.005")]}
    with pytest.raises(ConfigError, match="VA.monthly_fee"):
        tariff_rows(bad)
    with pytest.raises(ConfigError, match="plan_type"):
        tariff_rows({"plans": [dict(CATALOGUE["plans"][0], plan_type="unlimited")]})
    rows, tariffs, usage = frames
    with pytest.raises(InputError, match="data_mb"):
        fit_plans(usage.drop("data_mb"), tariffs, PlanFitParams.from_config(SECTION, CATALOGUE), rows)


def test_project_catalogue_is_valid():
    from lifecircle.core.config import load_config

    cat = load_config("test").load_file("tariffs.yaml")
    ids = [r[0] for r in tariff_rows(cat)]
    assert len(ids) == len(set(ids)) >= 5
    assert {r[2] for r in tariff_rows(cat)} == {"voice", "data", "mixed", "family", "campus"}


def test_cli_pricing_agrees_with_spark_bills():
    from lifecircle.value.cli import plan_bills

    assert plan_bills(CATALOGUE, 10.0, 0, 5000.0) == [
        ("DB", "data", D("50.00")), ("DA", "data", D("170.00")), ("CA", "campus", D("205.00")),
        ("VA", "voice", D("1495.00")), ("VB", "voice", D("1500.00"))]


def test_project_usage_averages_data_over_three_months(spark):
    """conf/value.yaml prices data on the three-month average; a line younger than three months on its month."""
    from lifecircle.core.config import load_config

    exprs = load_config("test").section("value")["plan_fit"]["usage"]
    pano = spark.createDataFrame([
        ("a", "PL18", 900.0, 300.0, 600.0, 12), ("b", "PL18", 900.0, None, None, 12), ("c", "PL18", 900.0, 0.0, 0.0, 2),
    ], "subscriber_id string, plan_id string, data_mb double, data_mb_m1 double, data_mb_m2 double, tenure_months int")
    pano = pano.selectExpr("*", "10.0 AS voice_mo_minutes", "CAST(1 AS BIGINT) AS sms_mo", "'24-30' AS age_band",
                           "false AS is_group_member")
    got = {r["subscriber_id"]: r["data_mb"] for r in usage_from(pano, exprs).collect()}
    assert got == {"a": 600.0, "b": 900.0, "c": 900.0}
    with pytest.raises(ConfigError, match=r"value\.plan_fit\.usage\.data_mb"):
        usage_from(pano.drop("data_mb_m1"), exprs)
