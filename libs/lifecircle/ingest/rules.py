"""Hard row rules: each raw line either parses into a bronze record or gets one reason code (a
DEFECT_KINDS key) and goes to quarantine. Native expressions only; the first failing check wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lifecircle.core.errors import ConfigError
from lifecircle.feeds import COMPETITOR_A_PREFIXES, COMPETITOR_B_PREFIXES, FEEDS, ON_NET_PREFIXES, FeedSpec
from lifecircle.ingest.raw import split_fields

TS_FORMAT = "yyyy-MM-dd HH:mm:ss"
DATE_FORMAT = "yyyyMMdd"
MONTH_FORMAT = "yyyyMM"
NUMERIC_TYPES = {"int": "int", "long": "bigint", "double": "double", "decimal": "decimal(14,2)"}
LINEAGE = ("source_file", "line_number", "raw_line")


@dataclass(frozen=True)
class FeedRules:
    """Per-feed parameters of the hard rules (from conf/ingest.yaml)."""

    within_day: tuple[str, ...] = ()
    ranges: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    cell_column: str | None = None
    imei_column: str | None = None
    msisdn_column: str | None = "msisdn"
    fee_total: str | None = None
    fee_parts: tuple[str, ...] = ()
    fee_tolerance: float = 0.01


def feed_rules(section: Mapping[str, Any], feed: str, source: str = "conf/ingest.yaml") -> FeedRules:
    """Build a feed's FeedRules from the `ingest` config section; ConfigError naming the key if mistyped."""
    spec = FEEDS[feed]
    names = set(spec.column_names)

    def cols(key: str) -> list[str]:
        value = (section.get(key) or {}).get(feed, [])
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or any(not isinstance(v, str) or v not in names for v in value):
            raise ConfigError(f"{source}: ingest.{key}.{feed} must list columns of feed {feed}, got {value!r}")
        return value

    ranges: dict[str, tuple[float | None, float | None]] = {}
    for col, bounds in ((section.get("ranges") or {}).get(feed) or {}).items():
        ok = (col in names and isinstance(bounds, list) and len(bounds) == 2
              and all(b is None or (isinstance(b, int | float) and not isinstance(b, bool)) for b in bounds))
        if not ok:
            raise ConfigError(f"{source}: ingest.ranges.{feed}.{col} must be [min, max] of a column, got {bounds!r}")
        ranges[col] = (bounds[0], bounds[1])
    fees = (section.get("fees") or {}).get(feed) or {}
    cell = cols("cell_columns")
    imei = cols("imei_columns")
    tol = section.get("fee_tolerance", 0.01)
    if not isinstance(tol, int | float) or isinstance(tol, bool):
        raise ConfigError(f"{source}: ingest.fee_tolerance must be a number, got {tol!r}")
    return FeedRules(
        within_day=tuple(cols("within_day")),
        ranges=ranges,
        cell_column=cell[0] if cell else None,
        imei_column=imei[0] if imei else None,
        msisdn_column="msisdn" if "msisdn" in names else None,
        fee_total=fees.get("total"),
        fee_parts=tuple(fees.get("parts", ())),
        fee_tolerance=float(tol),
    )


def mobile_prefixes(which: str = "all") -> tuple[str, ...]:
    """Known mobile prefixes: `on_net` (our operator) or `all` (every operator)."""
    return ON_NET_PREFIXES if which == "on_net" else ON_NET_PREFIXES + COMPETITOR_A_PREFIXES + COMPETITOR_B_PREFIXES


def valid_msisdn(col: Column, prefixes: Sequence[str]) -> Column:
    """11 digits starting with a known prefix."""
    return col.rlike(r"^\d{11}$") & F.substring(col, 1, 3).isin(*prefixes)


def luhn_ok(col: Column, length: int = 15) -> Column:
    """`length` digits whose last digit is the Luhn check digit (IMEI), as one native expression."""
    total: Column = F.lit(0)
    for i in range(length):
        d = F.substring(col, i + 1, 1).cast("int")
        if (length - 1 - i) % 2 == 1:  # every second digit from the right, the check digit excluded
            d2 = d * 2
            d = F.when(d2 > 9, d2 - 9).otherwise(d2)
        total = total + d
    return col.rlike(rf"^\d{{{length}}}$") & ((total % 10) == 0)


def parse_ts(col: Column, kind: str) -> Column:
    """A raw timestamp/date/month string parsed (null when it does not parse; never an error)."""
    fmt = {"timestamp": TS_FORMAT, "date": DATE_FORMAT, "month": MONTH_FORMAT}[kind]
    pattern = {"timestamp": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", "date": r"^\d{8}$", "month": r"^\d{6}$"}[kind]
    return F.when(col.rlike(pattern), F.try_to_timestamp(col, F.lit(fmt)))


def fields_of(lines: DataFrame, spec: FeedSpec) -> DataFrame:
    """Lines (source_file, line_number, value) → lineage + `_fields` array, header line dropped."""
    return lines.where(F.col("line_number") > 1).select(
        "source_file", "line_number", F.col("value").alias("raw_line"), split_fields(F.col("value"), spec).alias("_fields"),
    )


def classify(
    lines: DataFrame,
    feed: str,
    rules: FeedRules,
    prefixes: Sequence[str],
    cells: DataFrame | None = None,
) -> DataFrame:
    """Raw lines of one feed → lineage, every feed column as a string (empty → null), `reason`, `detail`.

    `reason` is null for an accepted record, else the DEFECT_KINDS key of the first failing check.
    `cells` (one column `cell_id`) is the catalogue for unknown_cell; None skips that check.
    """
    spec = FEEDS[feed]
    n = len(spec.columns)
    df = fields_of(lines, spec)
    cols = []
    for i, c in enumerate(spec.columns):
        v = F.element_at(F.col("_fields"), i + 1)
        cols.append(F.when(F.size("_fields") == n, F.when(v != "", v)).alias(c.name))
    df = df.select("source_file", "line_number", "raw_line", "_fields", *cols)

    checks: list[tuple[str, Column, Column]] = []  # (reason, failing condition, detail)
    checks.append(("bad_encoding", ~F.is_valid_utf8(F.col("raw_line")), F.lit("invalid UTF-8 bytes")))
    quotes = F.length("raw_line") - F.length(F.regexp_replace("raw_line", '"', ""))
    checks.append(("malformed_line", (quotes % 2 == 1) | ((F.size("_fields") == 1) & F.lit(n > 1)),
                   F.lit("not a delimited record")))
    checks.append(("wrong_column_count", F.size("_fields") != n,
                   F.format_string(f"%d fields, expected {n}", F.size("_fields"))))
    if rules.msisdn_column:
        m = F.col(rules.msisdn_column)
        checks.append(("bad_msisdn", m.isNull() | ~valid_msisdn(m, prefixes), F.lit(rules.msisdn_column)))
    for c in spec.columns:
        if c.type in ("timestamp", "date", "month"):
            v = F.col(c.name)
            bad = parse_ts(v, c.type).isNull() & (v.isNotNull() | F.lit(c.required))
            checks.append(("bad_timestamp", bad, F.lit(c.name)))
    for name in rules.within_day:
        day = F.to_date(F.try_to_timestamp(F.element_at(F.split("source_file", "/"), 2), F.lit("yyyy-MM-dd")))
        checks.append(("timestamp_outside_day", F.to_date(parse_ts(F.col(name), "timestamp")) != day, F.lit(name)))
    for c in spec.columns:
        if c.type in NUMERIC_TYPES:
            v = F.col(c.name)
            num = v.try_cast(NUMERIC_TYPES[c.type])
            checks.append(("malformed_line", (num.isNull() & v.isNotNull()) | (v.isNull() & F.lit(c.required)),
                           F.lit(f"{c.name} is not a {c.type}")))
    for name, (lo, hi) in rules.ranges.items():
        num = F.col(name).try_cast("double")
        bad = F.lit(False)
        if lo is not None:
            bad = bad | (num < lo)
        if hi is not None:
            bad = bad | (num > hi)
        checks.append(("bad_duration", bad, F.lit(name)))
    if rules.imei_column:
        checks.append(("bad_imei", ~luhn_ok(F.col(rules.imei_column)) | F.col(rules.imei_column).isNull(),
                       F.lit(rules.imei_column)))
    if rules.fee_total and rules.fee_parts:
        parts: Column = F.lit(0)
        for p in rules.fee_parts:
            parts = parts + F.col(p).try_cast("decimal(14,2)")
        diff = F.abs(F.col(rules.fee_total).try_cast("decimal(14,2)") - parts)
        checks.append(("inconsistent_fees", diff > rules.fee_tolerance,
                       F.format_string("total differs from the parts by %s", diff.cast("string"))))

    reason: Column = F.lit(None).cast("string")
    detail: Column = F.lit(None).cast("string")
    for code, bad, text in reversed(checks):
        cond = F.coalesce(bad, F.lit(False))
        reason = F.when(cond, F.lit(code)).otherwise(reason)
        detail = F.when(cond, text).otherwise(detail)
    df = df.withColumn("reason", reason).withColumn("detail", detail).drop("_fields")

    if rules.cell_column and cells is not None:
        known = cells.select(F.col("cell_id").alias("_known")).distinct()
        df = (
            df.join(F.broadcast(known), F.col(rules.cell_column) == F.col("_known"), "left")
            .withColumn("_unknown", F.col("reason").isNull() & F.col("_known").isNull())
            .withColumn("reason", F.when(F.col("_unknown"), F.lit("unknown_cell")).otherwise(F.col("reason")))
            .withColumn("detail", F.when(F.col("_unknown"), F.lit(rules.cell_column)).otherwise(F.col("detail")))
            .drop("_known", "_unknown")
        )
    return df
