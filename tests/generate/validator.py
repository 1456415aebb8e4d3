"""A plain-Python reference of the ingestion checks, in the documented precedence (docs/feeds.md), used to
prove that the defect list in truth is exactly the set of lines that fail a check."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from pathlib import Path

from lifecircle.feeds import COMPETITOR_A_PREFIXES, COMPETITOR_B_PREFIXES, FEEDS, ON_NET_PREFIXES

PREFIXES = set(ON_NET_PREFIXES) | set(COMPETITOR_A_PREFIXES) | set(COMPETITOR_B_PREFIXES)
TS = {"voice_cdr": "start_time", "sms": "send_time", "data_usage": "hour_start", "signalling": "event_time",
      "vas_orders": "event_time", "service_contacts": "contact_time"}
DATES = {"subscriber_profile": ("birth_date", "join_date", "close_date"), "terminal": ("first_seen", "last_seen")}
KEYS = {"voice_cdr": ("record_id",), "sms": ("record_id",), "vas_orders": ("order_id",),
        "service_contacts": ("contact_id",), "data_usage": ("msisdn", "hour_start"),
        "signalling": ("msisdn", "event_time", "cell_id", "event_type"), "subscriber_profile": ("msisdn", "bill_month"),
        "billing": ("msisdn", "bill_month"), "terminal": ("msisdn",)}


def luhn_ok(imei: str) -> bool:
    if not re.fullmatch(r"\d{15}", imei):
        return False
    total = 0
    for i, ch in enumerate(imei[:14]):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return (10 - total % 10) % 10 == int(imei[14])


def msisdn_ok(number: str) -> bool:
    return bool(re.fullmatch(r"\d{11}", number)) and number[:3] in PREFIXES


def _ts(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _date_ok(text: str) -> bool:
    if text == "":
        return True
    try:
        dt.datetime.strptime(text, "%Y%m%d")
        return True
    except ValueError:
        return False


def file_day(rel: str) -> dt.date | None:
    folder = rel.split("/")[1]
    return dt.date.fromisoformat(folder) if len(folder) == 10 else None


def check_file(raw: Path, rel: str, feed: str, cells: set[str]) -> list[tuple[int, str]]:
    """(line, kind) of every line of one file that fails a check."""
    data = (raw / rel).read_bytes()
    if rel.endswith(".gz"):
        data = gzip.decompress(data)
    spec = FEEDS[feed]
    names = spec.column_names
    day = file_day(rel)
    seen: set[tuple] = set()
    out = []
    for no, raw_line in enumerate(data.split(b"\n")[:-1], start=1):
        if no == 1:
            continue
        try:
            line = raw_line.decode("utf-8")
        except UnicodeDecodeError:
            out.append((no, "bad_encoding"))
            continue
        if '"' in line:
            out.append((no, "malformed_line"))
            continue
        fields = line.split(spec.delimiter)
        if len(fields) != len(names):
            out.append((no, "wrong_column_count"))
            continue
        r = dict(zip(names, fields, strict=True))
        kind = None
        if not msisdn_ok(r["msisdn"]):
            kind = "bad_msisdn"
        elif feed == "terminal" and not luhn_ok(r["imei"]):
            kind = "bad_imei"
        elif feed in TS and _ts(r[TS[feed]]) is None:
            kind = "bad_timestamp"
        elif feed in DATES and not all(_date_ok(r[c]) for c in DATES[feed]):
            kind = "bad_timestamp"
        elif feed in TS and _ts(r[TS[feed]]).date() != day:
            kind = "timestamp_outside_day"
        elif feed == "voice_cdr" and not 0 <= int(r["duration_s"]) <= 21600:
            kind = "bad_duration"
        elif feed == "data_usage" and (int(r["bytes_up"]) < 0 or int(r["bytes_down"]) < 0):
            kind = "bad_duration"
        elif "cell_id" in r and r["cell_id"] not in cells:
            kind = "unknown_cell"
        elif feed == "billing" and abs(float(r["total_fee"]) - sum(
                float(r[c]) for c in ("voice_fee", "sms_fee", "data_fee", "vas_fee", "other_fee"))) > 0.01:
            kind = "inconsistent_fees"
        else:
            key = tuple(r[c] for c in KEYS[feed])
            if key in seen:
                kind = "duplicate_record"
            seen.add(key)
        if kind:
            out.append((no, kind))
    return out
