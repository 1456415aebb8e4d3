"""A tiny hand-made silver province for the panorama tests (schemas of lifecircle.ingest.silver_schemas).

Subscribers in 2026-10: A (normal, blank occupation/age, a student by life circle), B (normal, registered
teacher 35-44, also flagged student), C (closed 2026-10-15, churned), D (closed 2026-08-10: not in October),
E (suspended, no usage at all). A's October: 3 calls of 60 s (2 with competitor A, one at night on Saturday,
one on Monday morning; 1 on-net to B on Tuesday afternoon), 3 SMS, 5 MB of data (3 MB social on 5G),
VAS: P1 ordered in September, in October order P2, unsubscribe P1, trial P3; bills 120 / 100 / 80.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from lifecircle.ingest import silver_schemas as S

MB = 1048576


def frame(spark: SparkSession, schema: StructType, rows: list[dict]) -> DataFrame:
    """Rows given as dicts of strings/numbers (missing keys = null) → a DataFrame of exactly `schema`.

    Timestamps are strings cast in the session time zone (local time, as the feeds carry it).
    """
    if "date" in schema.fieldNames() and "month" in schema.fieldNames():  # a daily fact's month is its date's
        rows = [{**r, "month": str(r["date"])[:7]} if r.get("month") is None and r.get("date") else r for r in rows]
    text = StructType([StructField(f.name, StringType(), True) for f in schema.fields])
    data = [tuple(None if r.get(f.name) is None else str(r[f.name]).lower() if isinstance(r.get(f.name), bool)
                  else str(r[f.name]) for f in schema.fields) for r in rows]
    df = spark.createDataFrame(data, text)
    return df.select(*[F.col(f.name).cast(f.dataType).alias(f.name) for f in schema.fields])


def _sub(month: str, sid: str, **kw) -> dict:
    base = {"month": month, "subscriber_id": sid, "county": "C1", "brand": "gotone", "gender": "F",
            "age_band": None, "occupation": None, "join_date": "2020-01-15", "tenure_months": 80,
            "join_channel": "store", "plan_id": "P58", "is_vip": False, "is_group_member": False,
            "status": "normal", "suspend_days": 0, "payment_type": "postpaid", "churned": False}
    base.update(kw)
    return base


def subscribers() -> list[dict]:
    rows = []
    for m in ("2026-08", "2026-09"):
        rows += [_sub(m, "A"), _sub(m, "B", occupation="teacher", age_band="35-44", county="C2"), _sub(m, "C"),
                 _sub(m, "E", brand="easyown", plan_id=None)]
    rows.append(_sub("2026-08", "D", status="closed", close_date="2026-08-10", churned=True))
    rows += [
        _sub("2026-10", "A", occupation=" "),
        _sub("2026-10", "B", occupation="teacher", age_band="35-44", county="C2"),
        _sub("2026-10", "C", status="closed", close_date="2026-10-15", churned=True),
        _sub("2026-10", "D", status="closed", close_date="2026-08-10", churned=True),  # stale: must be dropped
        _sub("2026-10", "E", status="suspended", suspend_days=31, brand="easyown", plan_id=None),
    ]
    return rows


def _bill(month: str, sid: str, total: float, **kw) -> dict:
    row = {"month": month, "subscriber_id": sid, "total_fee": total, "voice_fee": 0, "sms_fee": 0, "data_fee": 0,
           "vas_fee": 0, "other_fee": total, "arrears": 0, "balance": 10, "points": 5}
    row.update(kw)
    return row


def billing() -> list[dict]:
    return [
        _bill("2026-08", "A", 120), _bill("2026-09", "A", 100),
        _bill("2026-10", "A", 80, voice_fee=20, data_fee=10, other_fee=50, arrears=12.5),
        _bill("2026-08", "B", 50), _bill("2026-09", "B", 50), _bill("2026-10", "B", 50),
        _bill("2026-10", "C", 30), _bill("2026-10", "E", 0),
    ]


def _call(rid: str, sid: str, contact: str, net: str, direction: str, ts: str, dur: int = 60,
          call_type: str = "local", forwarded: bool = False) -> dict:
    return {"date": ts[:10], "record_id": rid, "subscriber_id": sid, "contact_id": contact, "contact_network": net,
            "direction": direction, "start_time": ts, "duration_s": dur, "call_type": call_type, "cell_id": "c1",
            "forwarded": forwarded}


def voice() -> list[dict]:
    return [
        _call("v1", "A", "X1", "competitor_a", "MO", "2026-10-03 23:10:00", call_type="long_distance"),
        _call("v2", "A", "X1", "competitor_a", "MT", "2026-10-05 10:00:00", forwarded=True),
        _call("v3", "A", "B", "on_net", "MO", "2026-10-06 14:00:00"),
        _call("v4", "B", "A", "on_net", "MT", "2026-10-06 14:00:00"),
        _call("v5", "B", "F1", "fixed", "MO", "2026-10-10 08:00:00", dur=30),
        _call("v0", "A", "X2", "competitor_b", "MO", "2026-09-30 12:00:00", dur=600),  # September: not October
    ]


def sms() -> list[dict]:
    def s(rid, sid, contact, net, direction, ts, kind="p2p"):
        return {"date": ts[:10], "record_id": rid, "subscriber_id": sid, "contact_id": contact,
                "contact_network": net, "direction": direction, "send_time": ts, "sms_type": kind}
    return [
        s("s1", "A", "B", "on_net", "MO", "2026-10-02 09:00:00"),
        s("s2", "A", "B", "on_net", "MO", "2026-10-02 09:05:00"),
        s("s3", "A", "10086", "service", "MT", "2026-10-04 12:00:00", "service"),
    ]


def data() -> list[dict]:
    def d(sid, ts, down, app, rat="4G"):
        return {"date": ts[:10], "subscriber_id": sid, "hour_start": ts, "bytes_up": 0, "bytes_down": down,
                "cell_id": "c1", "app_category": app, "rat": rat}
    return [
        d("A", "2026-10-01 10:00:00", MB, "video"),
        d("A", "2026-10-01 11:00:00", MB, "video"),
        d("A", "2026-10-02 20:00:00", 3 * MB, "social", "5G"),
        d("B", "2026-10-03 20:00:00", MB, None),
    ]


def vas() -> list[dict]:
    def v(oid, sid, product, event, ts, kind=None):
        return {"date": ts[:10], "order_id": oid, "subscriber_id": sid, "product_id": product, "event": event,
                "channel": "app", "event_time": ts, "cancel_kind": kind}
    return [
        v("o1", "A", "P1", "order", "2026-09-10 10:00:00"),
        v("o2", "A", "P2", "order", "2026-10-03 10:00:00"),
        v("o3", "A", "P1", "unsubscribe", "2026-10-04 10:00:00", "active"),
        v("o4", "A", "P3", "trial", "2026-10-05 10:00:00"),
        v("o5", "B", "P9", "order", "2026-08-01 10:00:00"),
    ]


def service() -> list[dict]:
    def c(cid, sid, ts, category, area):
        return {"date": ts[:10], "service_contact_id": cid, "subscriber_id": sid, "contact_time": ts,
                "category": category, "business_area": area, "channel": "hotline"}
    return [
        c("k1", "A", "2026-10-07 10:00:00", "complaint", "network"),
        c("k2", "A", "2026-10-08 10:00:00", "consultation", "billing"),
        c("k3", "A", "2026-09-08 10:00:00", "complaint", "billing"),
        c("k4", "C", "2026-10-09 10:00:00", "complaint", "billing"),
    ]


def terminal() -> list[dict]:
    return [
        {"month": "2026-10", "subscriber_id": "A", "imei_id": "i-old", "tac": "T0", "first_seen": "2023-01-01",
         "last_seen": "2026-10-02"},
        {"month": "2026-10", "subscriber_id": "A", "imei_id": "i-new", "tac": "T1", "first_seen": "2025-10-20",
         "last_seen": "2026-10-30"},
    ]


def tac() -> list[dict]:
    return [
        {"tac": "T0", "brand": "Old", "model": "o1", "supports_4g": True, "supports_5g": False, "volte": False},
        {"tac": "T1", "brand": "Huawei", "model": "Mate", "supports_4g": True, "supports_5g": True, "volte": True,
         "wap": True, "mms": True, "launch_year": 2025},
    ]


def tariffs() -> list[dict]:
    return [{"plan_id": "P58", "plan_name": "58 plan", "plan_type": "mixed", "monthly_fee": 58,
             "incl_voice_min": 100, "incl_sms": 50, "incl_data_mb": 1000}]


CIRCLE_SCHEMA = StructType([
    StructField("subscriber_id", StringType(), False), StructField("month", StringType(), False),
    StructField("home_store_id", StringType(), True), StructField("home_county_branch", StringType(), True),
    StructField("is_student", StringType(), True), StructField("is_white_collar", StringType(), True),
])
SOCIAL_SCHEMA = StructType([
    StructField("subscriber_id", StringType(), False), StructField("month", StringType(), False),
    StructField("degree", StringType(), True), StructField("pagerank", StringType(), True),
])


def circles() -> list[dict]:
    return [
        {"subscriber_id": "A", "month": "2026-10", "home_store_id": "S1", "home_county_branch": "C1分公司",
         "is_student": "true", "is_white_collar": "false"},
        {"subscriber_id": "B", "month": "2026-10", "home_store_id": "S2", "home_county_branch": "C1分公司",
         "is_student": "true", "is_white_collar": "true"},
        {"subscriber_id": "A", "month": "2026-09", "home_store_id": "S0", "home_county_branch": "CB0",
         "is_student": "false", "is_white_collar": "false"},
    ]


def social() -> list[dict]:
    return [{"subscriber_id": "A", "month": "2026-10", "degree": "2", "pagerank": "0.5"}]


USAGE_HISTORY_SCHEMA = (
    "subscriber_id string, month string, arpu double, voice_minutes double, voice_competitor_share double, "
    "data_mb double, sms_count long, svc_complaints long, svc_consultations long, svc_fault_reports long, "
    "svc_contacts long, vas_products_held int, bill_decline_streak int, vas_held_ids array<string>, "
    "vas_cancels_bulk long"
)


def usage_history() -> list[tuple]:
    """Hand-made gold.usage_monthly rows for August and September (the history the October panorama reads)."""
    return [
        ("A", "2026-08", 120.0, 0.0, None, 0.0, 0, 0, 0, 0, 0, 0, 0, [], 1),  # a pack ended in August
        ("A", "2026-09", 100.0, 10.0, 1.0, 2.0, 4, 1, 0, 0, 1, 1, 1, ["P1"], 0),
        ("B", "2026-08", 50.0, 5.0, 0.0, 1.0, 0, 0, 0, 0, 0, 1, 0, ["P9"], 0),
        ("B", "2026-09", 50.0, 5.0, 0.0, 1.0, 0, 0, 0, 0, 0, 1, 0, ["P9"], 0),
    ]


TABLES = {
    "silver.subscriber": (S.SUBSCRIBER, subscribers),
    "silver.billing": (S.BILLING, billing),
    "silver.voice_cdr": (S.SILVER["silver.voice_cdr"][0], voice),
    "silver.sms": (S.SILVER["silver.sms"][0], sms),
    "silver.data_usage": (S.SILVER["silver.data_usage"][0], data),
    "silver.vas_orders": (S.SILVER["silver.vas_orders"][0], vas),
    "silver.service_contacts": (S.SILVER["silver.service_contacts"][0], service),
    "silver.terminal": (S.TERMINAL, terminal),
    "silver.tac": (S.TAC, tac),
    "silver.tariffs": (S.TARIFFS, tariffs),
}


def load(spark: SparkSession) -> dict[str, DataFrame]:
    """Every silver table of the tiny province as a DataFrame (plus gold.circle_features / social_features)."""
    out = {name: frame(spark, schema, rows()) for name, (schema, rows) in TABLES.items()}
    out["gold.circle_features"] = frame(spark, CIRCLE_SCHEMA, circles()).withColumn(
        "is_student", F.col("is_student").cast("boolean")).withColumn(
        "is_white_collar", F.col("is_white_collar").cast("boolean"))
    out["gold.social_features"] = frame(spark, SOCIAL_SCHEMA, social()).withColumn(
        "degree", F.col("degree").cast("int")).withColumn("pagerank", F.col("pagerank").cast("double"))
    return out
