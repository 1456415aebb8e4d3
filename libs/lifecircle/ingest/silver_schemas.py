"""Schemas of the silver tables: typed, deduplicated, pseudonymised. The contract every gold job reads.

Keys: `subscriber_id` is the pseudonym of our subscriber's number; `contact_id` the pseudonym of the
other party's number (for an on-net contact it equals that subscriber's `subscriber_id`), with
`contact_network` in on_net / competitor_a / competitor_b / fixed / service. Monthly tables and daily facts
are partitioned by `month` ('YYYY-MM'; a daily fact's `month` is its `date`'s): a partition per day cost a file
per day and table on every write, and Delta's statistics on `date` prune a day inside its month as well.
No clear number, name or ID number here.
"""

from __future__ import annotations

from pyspark.sql.types import (
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

MONEY = DecimalType(12, 2)


def _s(*fields: tuple[str, object, bool]) -> StructType:
    return StructType([StructField(n, t, nullable) for n, t, nullable in fields])  # type: ignore[arg-type]


SUBSCRIBER = _s(
    ("month", StringType(), False), ("subscriber_id", StringType(), False), ("county", StringType(), True),
    ("brand", StringType(), True), ("gender", StringType(), True), ("age_band", StringType(), True),
    ("occupation", StringType(), True), ("join_date", DateType(), True), ("tenure_months", IntegerType(), True),
    ("join_channel", StringType(), True), ("plan_id", StringType(), True), ("is_vip", BooleanType(), True),
    ("is_group_member", BooleanType(), True), ("group_id", StringType(), True), ("status", StringType(), True),
    ("suspend_days", IntegerType(), True), ("close_date", DateType(), True), ("payment_type", StringType(), True),
    ("churned", BooleanType(), False),
)
BILLING = _s(
    ("month", StringType(), False), ("subscriber_id", StringType(), False), ("total_fee", MONEY, True),
    ("voice_fee", MONEY, True), ("sms_fee", MONEY, True), ("data_fee", MONEY, True), ("vas_fee", MONEY, True),
    ("other_fee", MONEY, True), ("arrears", MONEY, True), ("balance", MONEY, True), ("points", LongType(), True),
)
VOICE_CDR = _s(
    ("date", DateType(), False), ("record_id", StringType(), False), ("subscriber_id", StringType(), False),
    ("contact_id", StringType(), False), ("contact_network", StringType(), False), ("direction", StringType(), False),
    ("start_time", TimestampType(), False), ("duration_s", IntegerType(), False), ("call_type", StringType(), False),
    ("cell_id", StringType(), True), ("forwarded", BooleanType(), False),
)
SMS = _s(
    ("date", DateType(), False), ("record_id", StringType(), False), ("subscriber_id", StringType(), False),
    ("contact_id", StringType(), False), ("contact_network", StringType(), False), ("direction", StringType(), False),
    ("send_time", TimestampType(), False), ("sms_type", StringType(), False),
)
DATA_USAGE = _s(
    ("date", DateType(), False), ("subscriber_id", StringType(), False), ("hour_start", TimestampType(), False),
    ("bytes_up", LongType(), False), ("bytes_down", LongType(), False), ("cell_id", StringType(), True),
    ("app_category", StringType(), True), ("rat", StringType(), True),
)
VAS_ORDERS = _s(
    ("date", DateType(), False), ("order_id", StringType(), False), ("subscriber_id", StringType(), False),
    ("product_id", StringType(), False), ("event", StringType(), False), ("channel", StringType(), True),
    ("event_time", TimestampType(), False), ("cancel_kind", StringType(), True),
)
SERVICE_CONTACTS = _s(
    ("date", DateType(), False), ("service_contact_id", StringType(), False), ("subscriber_id", StringType(), False),
    ("contact_time", TimestampType(), False), ("category", StringType(), False), ("business_area", StringType(), True),
    ("area_label", StringType(), True), ("channel", StringType(), True), ("product_id", StringType(), True),
)
TERMINAL = _s(
    ("month", StringType(), False), ("subscriber_id", StringType(), False), ("imei_id", StringType(), False),
    ("tac", StringType(), False), ("first_seen", DateType(), True), ("last_seen", DateType(), True),
)
SIGNALLING = _s(
    ("date", DateType(), False), ("subscriber_id", StringType(), False), ("event_time", TimestampType(), False),
    ("cell_id", StringType(), False), ("event_type", StringType(), False),
)
CELLS = _s(
    ("cell_id", StringType(), False), ("lon", DoubleType(), True), ("lat", DoubleType(), True),
    ("site_id", StringType(), True), ("place_type", StringType(), True), ("place_name", StringType(), True),
    ("price_band", StringType(), True), ("store_id", StringType(), True), ("district", StringType(), True),
    ("marketing_center", StringType(), True), ("county_branch", StringType(), True), ("neighbours", StringType(), True),
)
EVENTS = _s(
    ("event_id", StringType(), False), ("place_name", StringType(), False), ("start_time", TimestampType(), False),
    ("end_time", TimestampType(), False), ("category", StringType(), False), ("sub_category", StringType(), True),
    ("artist", StringType(), True),
)
TARIFFS = _s(
    ("plan_id", StringType(), False), ("plan_name", StringType(), True), ("plan_type", StringType(), True),
    ("monthly_fee", MONEY, True), ("incl_voice_min", IntegerType(), True), ("incl_sms", IntegerType(), True),
    ("incl_data_mb", IntegerType(), True), ("over_voice_per_min", MONEY, True), ("over_sms", MONEY, True),
    ("over_data_per_mb", MONEY, True),
)
VAS_PRODUCTS = _s(
    ("product_id", StringType(), False), ("product_name", StringType(), True), ("category", StringType(), True),
    ("monthly_fee", MONEY, True), ("launch_month", StringType(), True),
)
TAC = _s(
    ("tac", StringType(), False), ("brand", StringType(), True), ("model", StringType(), True),
    ("supports_4g", BooleanType(), True), ("supports_5g", BooleanType(), True), ("volte", BooleanType(), True),
    ("wap", BooleanType(), True), ("mms", BooleanType(), True), ("launch_year", IntegerType(), True),
)
OFFERS = _s(
    ("offer_id", StringType(), False), ("kind", StringType(), False), ("offer_name", StringType(), True),
    ("cost", MONEY, True), ("product_id", StringType(), True),
)


def _daily(record: StructType) -> StructType:
    """A daily fact's table: the record's columns (what transforms read) and `month`, its date's, the partition."""
    return StructType(list(record.fields) + [StructField("month", StringType(), False)])


# silver table name -> (schema, partition columns)
SILVER: dict[str, tuple[StructType, tuple[str, ...]]] = {
    "silver.subscriber": (SUBSCRIBER, ("month",)),
    "silver.billing": (BILLING, ("month",)),
    "silver.voice_cdr": (_daily(VOICE_CDR), ("month",)),
    "silver.sms": (_daily(SMS), ("month",)),
    "silver.data_usage": (_daily(DATA_USAGE), ("month",)),
    "silver.vas_orders": (_daily(VAS_ORDERS), ("month",)),
    "silver.service_contacts": (_daily(SERVICE_CONTACTS), ("month",)),
    "silver.terminal": (TERMINAL, ("month",)),
    "silver.signalling": (_daily(SIGNALLING), ("month",)),
    "silver.cells": (CELLS, ()),
    "silver.events": (EVENTS, ()),
    "silver.tariffs": (TARIFFS, ()),
    "silver.vas_products": (VAS_PRODUCTS, ()),
    "silver.tac": (TAC, ()),
    "silver.offers": (OFFERS, ()),
}
