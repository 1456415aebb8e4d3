"""Schemas of the bronze and meta tables ingestion writes (silver lives in silver_schemas.py).

Bronze keeps every accepted raw record with the feed's columns as strings exactly as delivered (empty
field → null), the raw line and its lineage, with the file's period (`date` and `month` of a daily file,
`month` of a monthly one), partitioned by month; reference snapshots are unpartitioned.
"""

from __future__ import annotations

from pyspark.sql.types import (
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from lifecircle.feeds import FEEDS

LINEAGE_FIELDS = [
    StructField("source_file", StringType(), False),
    StructField("line_number", LongType(), False),
    StructField("raw_line", StringType(), False),
    StructField("ingested_at", TimestampType(), False),
    StructField("batch_id", StringType(), False),
]


def bronze_period_columns(feed: str) -> tuple[str, ...]:
    """The period columns a bronze row takes from its file's folder: date and month (daily), month (monthly)."""
    grain = FEEDS[feed].grain
    return ("date", "month") if grain == "daily" else ("month",) if grain == "monthly" else ()


def bronze_partition(feed: str) -> tuple[str, ...]:
    """Daily and monthly feeds are partitioned by month. A partition per day cost a file per day and table on
    every write (a day of a province is a few files of MBs; 214 daily files took 7.8 s to write against 3.0 s
    for 7 monthly ones), and Delta's file statistics on `date` prune a day inside its month as well."""
    return ("month",) if FEEDS[feed].grain in ("daily", "monthly") else ()


def bronze_schema(feed: str) -> StructType:
    """The feed's columns (strings), lineage, and the period columns ('YYYY-MM-DD' date, 'YYYY-MM' month)."""
    fields = [StructField(c.name, StringType(), True) for c in FEEDS[feed].columns] + list(LINEAGE_FIELDS)
    fields += [StructField(p, StringType(), False) for p in bronze_period_columns(feed)]
    return StructType(fields)


MANIFEST = StructType([
    StructField("path", StringType(), False),          # relative to the raw root
    StructField("sha256", StringType(), False),
    StructField("size", LongType(), False),
    StructField("modified_ms", LongType(), True),
    StructField("feed", StringType(), False),
    StructField("period", StringType(), True),         # 'YYYY-MM-DD', 'YYYY-MM' or '' (reference)
    StructField("status", StringType(), False),        # ingested | duplicate_file | replaced
    StructField("duplicate_of", StringType(), True),   # for duplicate_file: the file with the same bytes
    StructField("batch_id", StringType(), False),
    StructField("rows_read", LongType(), True),
    StructField("rows_accepted", LongType(), True),
    StructField("rows_quarantined", LongType(), True),
    StructField("recorded_at", TimestampType(), False),
])
MANIFEST_STATUSES = ("ingested", "duplicate_file", "replaced")

QUARANTINE = StructType([
    StructField("feed", StringType(), False),
    StructField("source_file", StringType(), False),
    StructField("line_number", LongType(), False),
    StructField("raw_line", StringType(), True),
    StructField("reason", StringType(), False),        # a feeds.DEFECT_KINDS key
    StructField("detail", StringType(), True),
    StructField("stage", StringType(), False),         # bronze (parse/rules) | silver (duplicate_record)
    StructField("period", StringType(), True),
    StructField("batch_id", StringType(), True),
    StructField("quarantined_at", TimestampType(), False),
])

RECONCILIATION = StructType([
    StructField("batch_id", StringType(), False),
    StructField("stage", StringType(), False),         # bronze: raw lines → accepted + quarantined; silver
    StructField("feed", StringType(), False),
    StructField("source_file", StringType(), False),
    StructField("period", StringType(), True),
    StructField("lines_read", LongType(), False),
    StructField("accepted", LongType(), False),
    StructField("quarantined", LongType(), False),
    StructField("balanced", StringType(), False),      # 'yes' when lines_read = accepted + quarantined
    StructField("recorded_at", TimestampType(), False),
])

DQ_RESULTS = StructType([
    StructField("batch_id", StringType(), False),
    StructField("job", StringType(), False),
    StructField("rule", StringType(), False),
    StructField("check", StringType(), False),
    StructField("feed", StringType(), False),
    StructField("period", StringType(), True),
    StructField("severity", StringType(), False),      # error | warn
    StructField("checked", LongType(), False),         # rows (or files) examined
    StructField("failed", LongType(), False),
    StructField("rate", DoubleType(), True),
    StructField("passed", StringType(), False),        # yes | no
    StructField("detail", StringType(), True),
    StructField("recorded_at", TimestampType(), False),
])
