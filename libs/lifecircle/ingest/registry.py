"""Tables and jobs of lifecircle.ingest (gathered by lifecircle.registry)."""

from __future__ import annotations

from lifecircle.core.pipeline import JobSpec, month_span, once
from lifecircle.core.tables import TableSpec
from lifecircle.feeds import FEEDS
from lifecircle.ingest.schemas import (
    DQ_RESULTS,
    MANIFEST,
    QUARANTINE,
    RECONCILIATION,
    bronze_partition,
    bronze_schema,
)
from lifecircle.ingest.silver_schemas import SILVER

_LINEAGE_DOC = {
    "source_file": "raw file, relative to the raw root",
    "line_number": "1-based physical line in the decompressed file (header = 1)",
    "raw_line": "the line as delivered",
    "ingested_at": "when the batch was ingested",
    "batch_id": "deterministic id of the ingestion batch (feed + file hashes)",
}

BRONZE_TABLES = [
    TableSpec(
        f"bronze.{name}", f"Raw {name} records as delivered (strings), with lineage. {spec.description}", "ingest",
        partition_by=bronze_partition(name), schema=bronze_schema(name), keys=("source_file", "line_number"),
        pii=bool(spec.pii_columns), columns_doc={**{c.name: c.description for c in spec.columns}, **_LINEAGE_DOC},
    )
    for name, spec in FEEDS.items()
]

META_TABLES = [
    TableSpec("meta.file_manifest", "Every raw file seen: hash, status (ingested / duplicate_file / replaced), "
              "batch and row counts; makes ingestion exactly-once.", "ingest", schema=MANIFEST, keys=("path", "sha256")),
    TableSpec("meta.quarantine", "Raw lines that failed a hard rule (reason = feeds.DEFECT_KINDS key), by feed; "
              "stage bronze (ingest) or silver (duplicate_record).", "ingest", partition_by=("feed",),
              schema=QUARANTINE, keys=("source_file", "line_number")),
    TableSpec("meta.reconciliation", "Per run and file: lines read = accepted + quarantined.", "ingest",
              schema=RECONCILIATION),
    TableSpec("meta.dq_results", "Data-quality rule results per run, feed and period (conf/quality.yaml).",
              "ingest", schema=DQ_RESULTS),
]

SILVER_TABLES = [
    TableSpec(name, f"Silver {name.split('.', 1)[1]}: typed, deduplicated, pseudonymised (silver_schemas.py).",
              "silver", partition_by=parts, schema=schema)
    for name, (schema, parts) in SILVER.items()
]

TABLES: list[TableSpec] = BRONZE_TABLES + META_TABLES + SILVER_TABLES

BRONZE_NAMES = tuple(t.name for t in BRONZE_TABLES)
META_NAMES = tuple(t.name for t in META_TABLES)


JOBS: list[JobSpec] = [
    JobSpec("ingest", order=20, schedule="daily", period="date", demo_args=once, extra_args=("--feed", "all"),
            description="Raw files → bronze Delta tables, exactly once (file manifest), with quarantine, "
                        "reconciliation and data-quality rules.",
            outputs=BRONZE_NAMES + META_NAMES, gate=True),
    JobSpec("silver", order=25, schedule="monthly", period="month", demo_args=month_span,
            description="Bronze → silver: typed, deduplicated (repeats quarantined), pseudonymised, conformed.",
            inputs=BRONZE_NAMES, outputs=tuple(SILVER)),
]
