"""The privacy audit finds clear identifiers from the raw feeds wherever they hide beyond the boundary (whole
values, arrays, numbers inside JSON or text, with a country code) and never shows one in clear."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.core.delta_io import write_delta
from lifecircle.ingest.privacy import audit_tables, clear_identifiers
from lifecircle.registry import table
from lifecircle.runtime import run_script

MSISDN, CONTACT, IMEI = "13800138000", "13912345678", "356938035643809"
ID_NUMBER, NAME = "110101199001011234", "张三"


def _bronze(spark):
    profile = spark.createDataFrame([("2026-10", MSISDN, NAME, ID_NUMBER)], "month string, msisdn string, "
                                    "name string, id_number string")
    cdr = spark.createDataFrame([("2026-10-03", "2026-10", MSISDN, CONTACT), ("2026-10-03", "2026-10", MSISDN, "10086")],
                                "date string, month string, msisdn string, other_number string")
    return profile, cdr


def test_audit_finds_every_hiding_place_and_nothing_else(spark):
    profile, cdr = _bronze(spark)
    clear = clear_identifiers([(profile, "msisdn", 11), (profile, "name", 2), (profile, "id_number", 11),
                               (cdr, "other_number", 11)])
    assert sorted(r.v for r in clear.collect()) == sorted([MSISDN, NAME, ID_NUMBER, CONTACT])  # not 10086
    tables = {
        "silver.clean": spark.createDataFrame(
            [("a3f09c0d11e2b7c4d5e6", "张三丰", "call 10086 about 1380013800", 13800138000),
             ("b3f09c0d11e2b7c4d5e6", "李四", "ten digits only: 1380013800", 42)],
            "subscriber_id string, nickname string, note string, amount long"),
        "gold.card": spark.createDataFrame(
            [(f'{{"phone": "{MSISDN}", "id": "{ID_NUMBER}"}}',), (f"please call +86{CONTACT} today",)],
            "card_json string"),
        "gold.tagged": spark.createDataFrame([(["music", CONTACT],), (["x"],)], "tags array<string>"),
        "gold.named": spark.createDataFrame([(NAME, "张三路店")], "owner string, store string"),
    }
    leaks = audit_tables(tables, clear)
    got = sorted((r["table"], r["column"], r["leaked_values"]) for r in leaks.collect())
    assert got == [("gold.card", "card_json", 3), ("gold.named", "owner", 1), ("gold.tagged", "tags", 1),
                   ("silver.clean", "amount", 1)]
    shown = [r["example_masked"] for r in leaks.collect()]
    assert all("****" in s and s not in (MSISDN, CONTACT, ID_NUMBER, NAME) for s in shown)
    assert "138****00" in shown or "110****34" in shown


def test_the_job_fails_naming_the_table_then_passes_when_clean(spark, tmp_cfg):
    profile, cdr = _bronze(spark)
    for name, df in (("bronze.subscriber_profile", profile), ("bronze.voice_cdr", cdr)):
        spec = table(name)
        write_delta(df, spec.path(tmp_cfg), partition_by=spec.partition_by)
    plan = table("gold.retention_plan")
    leaky = spark.createDataFrame([("2026-10", "a3f09c0d11e2b7c4d5e6", f"call {MSISDN}"),
                                   ("2026-09", "a3f09c0d11e2b7c4d5e6", f"call {CONTACT}")],
                                  "month string, subscriber_id string, script_en string")
    write_delta(leaky, plan.path(tmp_cfg), partition_by=plan.partition_by)
    audit_path = table("meta.privacy_audit").path(tmp_cfg)

    assert run_script("privacy_audit", ["--month", "2026-10"], spark=spark, cfg=tmp_cfg) != 0
    rows = {r["table"]: r for r in spark.read.format("delta").load(audit_path).collect()}
    assert rows["gold.retention_plan"]["leaked_values"] == 1  # October only: September's leak is its own month's
    assert rows["gold.retention_plan"]["leaked_columns"] == ["script_en"]
    assert rows["gold.retention_plan"]["example_masked"] == "138****00"

    write_delta(leaky.withColumn("script_en", F.lit("call the customer")), plan.path(tmp_cfg),
                partition_by=plan.partition_by)
    for _ in range(2):  # a rerun replaces the month's audit rows, never duplicates them
        assert run_script("privacy_audit", ["--month", "2026-10"], spark=spark, cfg=tmp_cfg) == 0
    audit = spark.read.format("delta").load(audit_path)
    assert audit.count() == 1
    assert audit.first()["leaked_values"] == 0
