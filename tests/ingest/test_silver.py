"""Silver transforms on hand-made bronze rows: dedup marks, typing, pseudonyms, age band, contact network."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F

from lifecircle.ingest.privacy import pii_key, pseudonymise_py
from lifecircle.ingest.schemas import bronze_schema
from lifecircle.ingest.silver import conform, contact_network, mark_duplicates
from lifecircle.ingest.silver_schemas import SILVER, SUBSCRIBER, VOICE_CDR

TS = dt.datetime(2026, 10, 2, 3, 0)


def _bronze(spark, feed, rows):
    schema = bronze_schema(feed)
    full = []
    for i, (values, part) in enumerate(rows):
        periods = (part, part[:7]) if len(part) == 10 else (part,)  # a daily file's date and month; a month
        full.append(tuple(values) + (f"{feed}/{part}/f.txt", i + 2, "raw", TS, "b") + periods)
    return spark.createDataFrame(full, schema)


def test_subscriber_and_cdr_conform_to_the_silver_contract(spark, cfg):
    key = pii_key()
    params = cfg.section("ingest")
    subs = _bronze(spark, "subscriber_profile", [
        (("13800000001", "202610", "张三", "110101200301011234", "县A", "动感地带", "M", "20030101", "学生",
          "20240415", "store", "P1", "0", "1", "G1", "suspended", "8", None, "prepaid"), "2026-10"),
        (("13800000002", "202610", "李四", None, "县A", "全球通", "F", None, " ",
          "20100101", None, None, "1", "0", None, "normal", "0", None, "postpaid"), "2026-10"),
    ])
    got = conform("subscriber_profile", subs, key, params)
    assert [(f.name, f.dataType) for f in got.schema.fields] == [(f.name, f.dataType) for f in SUBSCRIBER.fields]
    rows = sorted(got.select("subscriber_id", "age_band", "tenure_months", "is_vip", "is_group_member",
                             "churned", "join_date", "occupation").collect())
    expected = sorted([  # the CRM's 学生 becomes the code life circles infer; a blank occupation is null
        (pseudonymise_py("13800000001", key), "18-23", 30, False, True, True, dt.date(2024, 4, 15), "student"),
        (pseudonymise_py("13800000002", key), None, 201, True, False, False, dt.date(2010, 1, 1), None),
    ])
    assert [tuple(r) for r in rows] == expected

    calls = _bronze(spark, "voice_cdr", [
        (("R1", "13800000001", "13800000002", "MO", "2026-10-01 08:00:00", "60", "local", "on_net", "C1", "1"),
         "2026-10-01"),
        (("R2", "13800000001", "18912345678", "MT", "2026-10-01 09:00:00", "5", "local", "competitor_b", "C1", "0"),
         "2026-10-01"),
        (("R1", "13800000001", "13800000002", "MO", "2026-10-01 08:00:00", "60", "local", "on_net", "C1", "1"),
         "2026-10-01"),
    ])
    marked = mark_duplicates(calls, ["record_id"])
    out = conform("voice_cdr", marked.where(F.col("reason").isNull()), key, params)
    table_fields = SILVER["silver.voice_cdr"][0].fields  # VOICE_CDR's columns and the daily table's `month`
    assert [f.name for f in table_fields] == VOICE_CDR.fieldNames() + ["month"]
    assert [(f.name, f.dataType) for f in out.schema.fields] == [(f.name, f.dataType) for f in table_fields]
    rows = sorted(tuple(r) for r in out.select("record_id", "contact_id", "contact_network", "duration_s",
                                               "forwarded", "date", "month").collect())
    assert rows == [
        ("R1", pseudonymise_py("13800000002", key), "on_net", 60, True, dt.date(2026, 10, 1), "2026-10"),
        ("R2", pseudonymise_py("18912345678", key), "competitor_b", 5, False, dt.date(2026, 10, 1), "2026-10"),
    ]
    dups = [tuple(r) for r in marked.where(F.col("reason").isNotNull()).select("line_number", "detail").collect()]
    assert dups == [(4, "repeat of voice_cdr/2026-10-01/f.txt:2")]


def test_contact_network_by_prefix(spark):
    df = spark.createDataFrame([("13912345678",), ("13012345678",), ("19912345678",), ("02112345678",),
                                ("10086",), ("12345678901",)], "n string")
    got = [r[0] for r in df.select(contact_network(F.col("n"))).collect()]
    assert got == ["on_net", "competitor_a", "competitor_b", "fixed", "service", "service"]
