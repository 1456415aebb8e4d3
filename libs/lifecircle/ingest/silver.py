"""Silver: bronze records → typed, deduplicated, pseudonymised tables exactly per silver_schemas.py.

Pure transforms: `mark_duplicates` flags later repeats of a key (they go to quarantine as
duplicate_record), `conform(feed, ...)` types and pseudonymises one feed's kept rows. Clear numbers,
IMEIs, names, ID numbers and birth dates never leave this module: they become keyed pseudonyms, a TAC
and an age band.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DateType, StructType, TimestampType

from lifecircle.core.errors import ConfigError
from lifecircle.feeds import COMPETITOR_A_PREFIXES, COMPETITOR_B_PREFIXES, FEEDS, ON_NET_PREFIXES
from lifecircle.ingest.privacy import pseudonymise
from lifecircle.ingest.rules import parse_ts
from lifecircle.ingest.silver_schemas import SILVER

SILVER_OF = {
    "subscriber_profile": "silver.subscriber", "billing": "silver.billing", "voice_cdr": "silver.voice_cdr",
    "sms": "silver.sms", "data_usage": "silver.data_usage", "vas_orders": "silver.vas_orders",
    "service_contacts": "silver.service_contacts", "terminal": "silver.terminal", "signalling": "silver.signalling",
    "cells": "silver.cells", "events": "silver.events", "tariffs": "silver.tariffs",
    "vas_products": "silver.vas_products", "tac": "silver.tac", "offers": "silver.offers",
}


def mark_duplicates(bronze: DataFrame, keys: Sequence[str], within: Column | None = None) -> DataFrame:
    """Adds `reason` ('duplicate_record' for every repeat of a key after its first line, else null) and
    `detail` (where the first one is). Order = source_file, line_number, so the result is stable. `within`
    (e.g. the record's month) limits the search to rows with the same value of it."""
    w = Window.partitionBy(*keys, *([within] if within is not None else [])).orderBy("source_file", "line_number")
    first = F.first(F.concat_ws(":", "source_file", F.col("line_number").cast("string"))).over(w)
    rn = F.row_number().over(w)
    return (
        bronze.withColumn("_rn", rn).withColumn("_first", first)
        .withColumn("reason", F.when(F.col("_rn") > 1, F.lit("duplicate_record")))
        .withColumn("detail", F.when(F.col("_rn") > 1, F.concat(F.lit("repeat of "), F.col("_first"))))
        .drop("_rn", "_first")
    )


def contact_network(number: Column) -> Column:
    """on_net / competitor_a / competitor_b by mobile prefix, fixed for 0-area numbers, else service."""
    mobile = number.rlike(r"^1\d{10}$")
    prefix = F.substring(number, 1, 3)
    return (
        F.when(mobile & prefix.isin(*ON_NET_PREFIXES), F.lit("on_net"))
        .when(mobile & prefix.isin(*COMPETITOR_A_PREFIXES), F.lit("competitor_a"))
        .when(mobile & prefix.isin(*COMPETITOR_B_PREFIXES), F.lit("competitor_b"))
        .when(number.rlike(r"^0\d+$"), F.lit("fixed"))
        .otherwise(F.lit("service"))
    )


def age_band(age: Column, bands: Sequence[Sequence[Any]], source: str = "conf/ingest.yaml") -> Column:
    """Age in years → the label of the configured [label, min, max] band (null when unknown)."""
    out: Column = F.lit(None).cast("string")
    for i, band in enumerate(reversed(list(bands))):
        ok = (isinstance(band, list | tuple) and len(band) == 3 and isinstance(band[0], str)
              and all(isinstance(b, int) and not isinstance(b, bool) for b in band[1:]))
        if not ok:
            raise ConfigError(f"{source}: ingest.age_bands[{len(bands) - 1 - i}] must be [label, min, max], got {band!r}")
        out = F.when(age.between(band[1], band[2]), F.lit(band[0])).otherwise(out)
    return out


def _ts(c: str) -> Column:
    return parse_ts(F.col(c), "timestamp")


def _date(c: str) -> Column:
    return F.to_date(parse_ts(F.col(c), "date"))


def _bool(c: str) -> Column:
    return F.when(F.col(c) == "1", F.lit(True)).when(F.col(c) == "0", F.lit(False))


def _typed(feed: str, name: str) -> Column:
    """A bronze string column of `feed` cast to its contract type (never raising)."""
    kind = next(c.type for c in FEEDS[feed].columns if c.name == name)
    if kind == "timestamp":
        return _ts(name)
    if kind == "date":
        return _date(name)
    if kind == "month":
        return F.concat(F.substring(name, 1, 4), F.lit("-"), F.substring(name, 5, 2))
    return F.col(name)


def occupation_code(raw: Column, codes: Mapping[str, str]) -> Column:
    """The CRM's occupation text (e.g. 学生) → the code the life-circle gap fill also writes (student); text
    without a configured code is kept as delivered, blank is null."""
    text = F.nullif(F.trim(raw), F.lit(""))
    if not codes:
        return text
    mapping = F.create_map(*[F.lit(x) for kv in codes.items() for x in kv])
    return F.coalesce(F.try_element_at(mapping, text), text)


def conform(feed: str, kept: DataFrame, key: bytes, params: Mapping[str, Any]) -> DataFrame:
    """Kept bronze rows of `feed` → rows of its silver table, columns and types exactly per its schema.

    `params` is the `ingest` config section (age_bands, occupation_codes, churn_suspend_days).
    """
    schema: StructType = SILVER[SILVER_OF[feed]][0]
    pid = lambda c: pseudonymise(F.col(c), key)  # noqa: E731
    derived: dict[str, Column] = {}
    if "msisdn" in FEEDS[feed].column_names:
        derived["subscriber_id"] = pid("msisdn")
    if "other_number" in FEEDS[feed].column_names:
        derived["contact_id"] = pid("other_number")
        derived["contact_network"] = contact_network(F.col("other_number"))
    if feed == "subscriber_profile":
        month_end = F.last_day(F.to_date(F.concat(F.col("month"), F.lit("-01"))))
        age = F.floor(F.months_between(month_end, _date("birth_date")) / 12).cast("int")
        suspend = F.col("suspend_days").try_cast("int")
        derived.update({
            "age_band": age_band(age, params.get("age_bands") or []),
            "occupation": occupation_code(F.col("occupation"), params.get("occupation_codes") or {}),
            "tenure_months": F.floor(F.months_between(month_end, _date("join_date"))).cast("int"),
            "churned": (F.col("status") == "closed")
            | (F.coalesce(suspend, F.lit(0)) >= int(params.get("churn_suspend_days", 7))),
        })
    if feed == "terminal":
        derived.update({"imei_id": pid("imei"), "tac": F.substring("imei", 1, 8)})
    if feed == "service_contacts":
        derived["service_contact_id"] = F.col("contact_id")
    if "date" in kept.columns:
        derived["date"] = F.to_date(F.col("date"))
        derived["month"] = F.date_format(derived["date"], "yyyy-MM")  # the daily fact's partition
    cols = []
    for f in schema.fields:
        if f.name in derived:
            c = derived[f.name]
        elif f.name in FEEDS[feed].column_names:
            c = _typed(feed, f.name)
        else:
            c = F.col(f.name)
        if isinstance(f.dataType, BooleanType) and f.name not in derived:
            c = _bool(f.name)
        elif not isinstance(f.dataType, DateType | TimestampType):
            c = c.try_cast(f.dataType)
        cols.append(c.alias(f.name))
    return kept.select(*cols)
