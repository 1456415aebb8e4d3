"""Schemas of the bronze and meta tables ingestion writes (silver lives in silver_schemas.py).

Bronze keeps every accepted raw record with the feed's columns as strings exactly as delivered (empty
field → null), the raw line and its lineage, partitioned by the file's date (daily feeds) or month
(monthly feeds); reference snapshots are unpartitioned.
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


def bronze_partition(feed: str) -> tuple[str, ...]:
    grain = FEEDS[feed].grain
    return ("date",) if grain == "daily" else ("month",) if grain == "monthly" else ()


def bronze_schema(feed: str) -> StructType:
    """The feed's columns (strings), lineage, and the partition column ('YYYY-MM-DD' / 'YYYY-MM')."""
    fields = [StructField(c.name, StringType(), True) for c in FEEDS[feed].columns] + list(LINEAGE_FIELDS)
    fields += [StructField(p, StringType(), False) for p in bronze_partition(feed)]
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
