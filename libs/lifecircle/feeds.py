"""The raw feed contract: how an operator's exports arrive (folder, file name, delimiter, columns).

The generator writes exactly these files and ingestion reads exactly these files, so an operator's
real exports are mapped onto Lifecircle by producing files of this shape (docs/feeds.md).

Conventions for every feed:
- text, UTF-8, one header row, fields delimited by `|` (reference files: `,`, RFC 4180 quoting);
- daily feeds live in `<raw>/<feed>/<YYYY-MM-DD>/`, monthly feeds in `<raw>/<feed>/<YYYY-MM>/`,
  reference snapshots in `<raw>/ref/`;
- file names follow the operator's convention shown in `file_pattern` (a daily feed may be split into
  numbered parts `_0001`, `_0002`, ...); `.gz` when `gzip` is true;
- timestamps are local time (Asia/Shanghai) `YYYY-MM-DD HH:MM:SS`; dates `YYYYMMDD`; months `YYYYMM`;
- money in yuan with two decimals; durations in seconds; volumes in bytes;
- an empty field is a missing value.
"""

from __future__ import annotations

from dataclasses import dataclass

# Number plans (mainland China, 11-digit mobile numbers). "Our" operator is on-net.
ON_NET_PREFIXES = ("134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158",
                   "159", "178", "182", "183", "184", "187", "188", "198")
COMPETITOR_A_PREFIXES = ("130", "131", "132", "155", "156", "166", "175", "176", "185", "186")
COMPETITOR_B_PREFIXES = ("133", "149", "153", "173", "177", "180", "181", "189", "191", "199")
NETWORKS = ("on_net", "competitor_a", "competitor_b", "fixed", "service")

CALL_TYPES = ("local", "long_distance", "ip_long_distance", "roaming_province", "roaming_national",
              "roaming_international")
PLACE_TYPES = ("residential", "office_tower", "campus", "subway_station", "bus_stop", "venue", "stadium",
               "expo", "hospital", "mall", "factory", "government", "kindergarten", "school", "cinema",
               "highway", "rural")
SERVICE_CATEGORIES = ("complaint", "consultation", "fault_report", "suggestion")
VAS_EVENTS = ("order", "unsubscribe", "trial")
SIGNAL_EVENTS = ("attach", "detach", "handover", "periodic", "call", "sms")
SUBSCRIBER_STATUS = ("normal", "suspended", "closed")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | int | long | double | decimal | date | timestamp | month
    required: bool
    description: str


@dataclass(frozen=True)
class FeedSpec:
    name: str
    grain: str  # daily | monthly | reference
    file_pattern: str  # with {date:%Y%m%d} / {month} / {part:04d}
    delimiter: str
    gzip: bool
    columns: tuple[Column, ...]
    description: str
    pii_columns: tuple[str, ...] = ()  # clear subscriber numbers / names / IDs: pseudonymised or dropped in silver

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _cols(*rows: tuple[str, str, bool, str]) -> tuple[Column, ...]:
    return tuple(Column(*r) for r in rows)


FEEDS: dict[str, FeedSpec] = {}


def _add(spec: FeedSpec) -> None:
    FEEDS[spec.name] = spec


_add(FeedSpec(
    "subscriber_profile", "monthly", "crm_subscriber_{month}.txt.gz", "|", True,
    _cols(
        ("msisdn", "string", True, "subscriber number, 11 digits"),
        ("bill_month", "month", True, "YYYYMM of the snapshot"),
        ("name", "string", False, "customer name (PII, dropped in silver)"),
        ("id_number", "string", False, "18-digit resident ID number (PII, dropped in silver)"),
        ("county", "string", True, "county of registration (Chinese name)"),
        ("brand", "string", True, "brand: 全球通 / 动感地带 / 神州行"),
        ("gender", "string", False, "M / F"),
        ("birth_date", "date", False, "YYYYMMDD (becomes an age band in silver)"),
        ("occupation", "string", False, "registered occupation; often blank"),
        ("join_date", "date", True, "YYYYMMDD the subscription started"),
        ("join_channel", "string", False, "store / online / agent / telesales"),
        ("plan_id", "string", False, "current tariff plan (blank = no plan, pay as you go)"),
        ("is_vip", "int", True, "0/1"),
        ("is_group_member", "int", True, "0/1 member of a corporate (group) account"),
        ("group_id", "string", False, "corporate account id"),
        ("status", "string", True, "normal / suspended / closed at month end"),
        ("suspend_days", "int", True, "days suspended within the month"),
        ("close_date", "date", False, "YYYYMMDD the account was closed, if closed"),
        ("payment_type", "string", True, "prepaid / postpaid"),
    ),
    "BOSS/CRM subscriber snapshot, one row per subscriber per month (closed accounts appear in the month they close).",
    pii_columns=("msisdn", "name", "id_number", "birth_date"),
))
_add(FeedSpec(
    "billing", "monthly", "boss_bill_{month}.txt.gz", "|", True,
    _cols(
        ("msisdn", "string", True, "subscriber number"),
        ("bill_month", "month", True, "YYYYMM"),
        ("total_fee", "decimal", True, "total billed, yuan (ARPU); equals the sum of the parts"),
        ("voice_fee", "decimal", True, "yuan"),
        ("sms_fee", "decimal", True, "yuan"),
        ("data_fee", "decimal", True, "yuan"),
        ("vas_fee", "decimal", True, "yuan"),
        ("other_fee", "decimal", True, "yuan (monthly plan fee and others)"),
        ("arrears", "decimal", True, "unpaid amount at month end, yuan"),
        ("balance", "decimal", True, "prepaid balance at month end, yuan"),
        ("points", "long", False, "loyalty points"),
    ),
    "Monthly bill per subscriber.", pii_columns=("msisdn",),
))
_add(FeedSpec(
    "voice_cdr", "daily", "cdr_{date:%Y%m%d}_{part:04d}.txt.gz", "|", True,
    _cols(
        ("record_id", "string", True, "unique call record id"),
        ("msisdn", "string", True, "our subscriber (the party this record is billed to)"),
        ("other_number", "string", True, "the other party: mobile, fixed (0area-number) or service number"),
        ("direction", "string", True, "MO (our subscriber called) / MT (was called)"),
        ("start_time", "timestamp", True, "call start, local time, within the file's day"),
        ("duration_s", "int", True, "seconds, 0..21600"),
        ("call_type", "string", True, "local / long_distance / ip_long_distance / roaming_province / roaming_national / roaming_international"),
        ("other_network", "string", True, "on_net / competitor_a / competitor_b / fixed / service"),
        ("cell_id", "string", True, "serving cell (in the cell catalogue)"),
        ("forwarded", "int", True, "0/1 call forwarded"),
    ),
    "Voice call detail records; a call between two of our subscribers gives an MO and an MT record.",
    pii_columns=("msisdn", "other_number"),
))
_add(FeedSpec(
    "sms", "daily", "sms_{date:%Y%m%d}_{part:04d}.txt.gz", "|", True,
    _cols(
        ("record_id", "string", True, "unique record id"),
        ("msisdn", "string", True, "our subscriber"),
        ("other_number", "string", True, "the other party or a service code"),
        ("direction", "string", True, "MO / MT"),
        ("send_time", "timestamp", True, "local time, within the file's day"),
        ("other_network", "string", True, "on_net / competitor_a / competitor_b / fixed / service"),
        ("sms_type", "string", True, "p2p / service"),
    ),
    "SMS records.", pii_columns=("msisdn", "other_number"),
))
_add(FeedSpec(
    "data_usage", "daily", "gprs_{date:%Y%m%d}_{part:04d}.txt.gz", "|", True,
    _cols(
        ("msisdn", "string", True, "our subscriber"),
        ("hour_start", "timestamp", True, "start of the hour, local time"),
        ("bytes_up", "long", True, "bytes uploaded in the hour"),
        ("bytes_down", "long", True, "bytes downloaded in the hour"),
        ("cell_id", "string", True, "main serving cell in the hour"),
        ("app_category", "string", False, "video / social / music / game / news / shopping / map / other"),
        ("rat", "string", False, "radio access: 4G / 5G"),
    ),
    "Mobile data usage aggregated per subscriber and hour.", pii_columns=("msisdn",),
))
_add(FeedSpec(
    "vas_orders", "daily", "vas_{date:%Y%m%d}.txt", "|", False,
    _cols(
        ("order_id", "string", True, "unique event id"),
        ("msisdn", "string", True, "our subscriber"),
        ("product_id", "string", True, "VAS product (in the product catalogue)"),
        ("event", "string", True, "order / unsubscribe / trial"),
        ("channel", "string", False, "sms / app / store / outbound / web"),
        ("event_time", "timestamp", True, "local time"),
        ("cancel_kind", "string", False, "for unsubscribe: active / bulk"),
    ),
    "Value-added-service order events.", pii_columns=("msisdn",),
))
_add(FeedSpec(
    "service_contacts", "daily", "svc_{date:%Y%m%d}.txt", "|", False,
    _cols(
        ("contact_id", "string", True, "unique contact id"),
        ("msisdn", "string", True, "our subscriber"),
        ("contact_time", "timestamp", True, "local time"),
        ("category", "string", True, "complaint / consultation / fault_report / suggestion"),
        ("business_area", "string", True, "billing / network / data / vas / service / plan (Chinese label in `area_label`)"),
        ("area_label", "string", False, "Chinese label, e.g. 网络质量"),
        ("channel", "string", False, "hotline / store / app / web"),
        ("product_id", "string", False, "the product complained about, if any"),
    ),
    "Complaints, consultations, fault reports and suggestions.", pii_columns=("msisdn",),
))
_add(FeedSpec(
    "terminal", "monthly", "imei_{month}.txt", "|", False,
    _cols(
        ("msisdn", "string", True, "our subscriber"),
        ("imei", "string", True, "15 digits: TAC (8) + serial (6) + Luhn check digit"),
        ("first_seen", "date", True, "YYYYMMDD first seen with this subscriber"),
        ("last_seen", "date", True, "YYYYMMDD last seen in the month"),
    ),
    "Handset per subscriber (latest in the month).", pii_columns=("msisdn", "imei"),
))
_add(FeedSpec(
    "signalling", "daily", "sig_{date:%Y%m%d}_{part:04d}.txt.gz", "|", True,
    _cols(
        ("msisdn", "string", True, "our subscriber"),
        ("event_time", "timestamp", True, "local time, within the file's day"),
        ("cell_id", "string", True, "cell of the event"),
        ("event_type", "string", True, "attach / detach / handover / periodic / call / sms"),
    ),
    "Location signalling events (network-side location updates).", pii_columns=("msisdn",),
))
# Reference snapshots (comma-separated, quoted where needed), in <raw>/ref/.
_add(FeedSpec(
    "cells", "reference", "cells.csv", ",", False,
    _cols(
        ("cell_id", "string", True, "cell id"),
        ("lon", "double", True, "longitude"),
        ("lat", "double", True, "latitude"),
        ("site_id", "string", True, "site (tower)"),
        ("place_type", "string", True, "residential / office_tower / campus / subway_station / ..."),
        ("place_name", "string", True, "place name (Chinese)"),
        ("price_band", "string", False, "residential price band: low / mid / high"),
        ("store_id", "string", True, "store (营业厅) the cell belongs to"),
        ("district", "string", True, "district (片区)"),
        ("marketing_center", "string", True, "marketing centre (营销中心)"),
        ("county_branch", "string", True, "county branch (县分公司)"),
        ("neighbours", "string", False, "space-separated neighbouring cell ids (ping-pong smoothing)"),
    ),
    "Cell catalogue with place types and the 5-level region hierarchy cell → store → district → centre → county.",
))
_add(FeedSpec(
    "events", "reference", "events.csv", ",", False,
    _cols(
        ("event_id", "string", True, "event id"),
        ("place_name", "string", True, "venue place name (matches cells.place_name)"),
        ("start_time", "timestamp", True, "local time"),
        ("end_time", "timestamp", True, "local time"),
        ("category", "string", True, "concert / sports / expo / film"),
        ("sub_category", "string", True, "pop / symphony / folk / rock / football / basketball / auto / tech / ..."),
        ("artist", "string", False, "performer or team, e.g. 张学友"),
    ),
    "Event calendar of venues.",
))
_add(FeedSpec(
    "tariffs", "reference", "tariffs.csv", ",", False,
    _cols(
        ("plan_id", "string", True, "plan id"),
        ("plan_name", "string", True, "Chinese name"),
        ("plan_type", "string", True, "voice / data / mixed / family / campus"),
        ("monthly_fee", "decimal", True, "yuan"),
        ("incl_voice_min", "int", True, "included minutes"),
        ("incl_sms", "int", True, "included SMS"),
        ("incl_data_mb", "int", True, "included data, MB"),
        ("over_voice_per_min", "decimal", True, "yuan per minute beyond the allowance"),
        ("over_sms", "decimal", True, "yuan per SMS beyond the allowance"),
        ("over_data_per_mb", "decimal", True, "yuan per MB beyond the allowance"),
    ),
    "Tariff catalogue (also in conf/tariffs.yaml for plan fit).",
))
_add(FeedSpec(
    "vas_products", "reference", "vas_products.csv", ",", False,
    _cols(
        ("product_id", "string", True, "product id"),
        ("product_name", "string", True, "Chinese name"),
        ("category", "string", True, "music / video / news / game / security / data_pack / ringback"),
        ("monthly_fee", "decimal", True, "yuan"),
        ("launch_month", "month", True, "YYYYMM"),
    ),
    "VAS product catalogue.",
))
_add(FeedSpec(
    "tac", "reference", "tac.csv", ",", False,
    _cols(
        ("tac", "string", True, "type allocation code, first 8 IMEI digits"),
        ("brand", "string", True, "handset brand"),
        ("model", "string", True, "handset model"),
        ("supports_4g", "int", True, "0/1"),
        ("supports_5g", "int", True, "0/1"),
        ("volte", "int", True, "0/1"),
        ("wap", "int", True, "0/1"),
        ("mms", "int", True, "0/1"),
        ("launch_year", "int", True, "year"),
    ),
    "Handset model catalogue by TAC.",
))
_add(FeedSpec(
    "offers", "reference", "offers.csv", ",", False,
    _cols(
        ("offer_id", "string", True, "offer id"),
        ("kind", "string", True, "data_pack / tenure_upgrade / family_share / plan_migration / device_subsidy / vas_trial"),
        ("offer_name", "string", True, "Chinese name"),
        ("cost", "decimal", True, "cost to the operator per acceptance, yuan"),
        ("product_id", "string", False, "product it grants, if any"),
    ),
    "Retention offer catalogue.",
))

DAILY_FEEDS = tuple(n for n, f in FEEDS.items() if f.grain == "daily")
MONTHLY_FEEDS = tuple(n for n, f in FEEDS.items() if f.grain == "monthly")
REFERENCE_FEEDS = tuple(n for n, f in FEEDS.items() if f.grain == "reference")


def feed_folder(raw_root: str, feed: str, period: str) -> str:
    """`<raw>/<feed>/<YYYY-MM-DD or YYYY-MM>`; reference feeds live in `<raw>/ref`."""
    spec = FEEDS[feed]
    if spec.grain == "reference":
        return f"{raw_root.rstrip('/')}/ref"
    return f"{raw_root.rstrip('/')}/{feed}/{period}"


# Data defects: the generator plants them (listed in <truth>/defects with feed, file, line, kind) and
# ingestion must quarantine exactly these, with the kind as the quarantine reason code.
# `file` is the path relative to the raw root (e.g. `voice_cdr/2026-10-01/cdr_20261001_0001.txt.gz`);
# `line` is the 1-based physical line number in the decompressed file, the header being line 1.
DEFECT_KINDS: dict[str, str] = {
    "malformed_line": "not parseable as a record (garbage text, unbalanced quoting)",
    "wrong_column_count": "more or fewer fields than the feed's columns",
    "bad_msisdn": "the subscriber number is not 11 digits with a known operator prefix",
    "bad_imei": "IMEI not 15 digits or its Luhn check digit is wrong",
    "bad_duration": "negative or absurd duration (> 6 hours) or negative volume",
    "timestamp_outside_day": "event time not within the day the file is for",
    "bad_timestamp": "a timestamp or date that does not parse",
    "unknown_cell": "cell id not in the cell catalogue",
    "bad_encoding": "bytes that are not valid UTF-8",
    "duplicate_record": "an exact repeat of an earlier record (same record id / same key); the repeat is quarantined",
    "inconsistent_fees": "billing: total_fee differs from the sum of the fee components by more than 0.01",
}
# A whole file delivered twice (same bytes, another name or day folder) is not a row defect: the file
# manifest records it with status `duplicate_file` and none of its rows is counted again.
DUPLICATE_FILE = "duplicate_file"
