"""The table registry and the pipeline registry, gathered from every domain's `registry.py`.

Each domain package (`generate`, `ingest`, `features`, ...) declares `TABLES: list[TableSpec]` and
`JOBS: list[JobSpec]` beside its code; this module is the one place that lists the domains.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from pyspark.sql.types import (
    ArrayType,
    DoubleType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from lifecircle.core.pipeline import JobSpec, once, ordered
from lifecircle.core.tables import TableSpec

DOMAINS = (
    "generate", "ingest", "features", "circles", "social", "models", "value", "retention", "campaigns", "reports",
)

JOB_RUNS_SCHEMA = StructType([
    StructField("run_id", StringType(), False),
    StructField("job", StringType(), False),
    StructField("period", StringType(), True),
    StructField("env", StringType(), True),
    StructField("status", StringType(), False),
    StructField("started_at", TimestampType(), False),
    StructField("seconds", DoubleType(), False),
    StructField("tables_read", ArrayType(StringType()), True),
    StructField("rows_written", MapType(StringType(), LongType()), True),
    StructField("rows_rejected", LongType(), True),
    StructField("message", StringType(), True),
    StructField("git_commit", StringType(), True),
])

TABLES_SCHEMA = StructType([
    StructField("name", StringType(), False),
    StructField("layer", StringType(), False),
    StructField("partition_by", ArrayType(StringType()), True),
    StructField("keys", ArrayType(StringType()), True),
    StructField("owner_job", StringType(), True),
    StructField("description", StringType(), True),
    StructField("path", StringType(), True),
    StructField("schema_json", StringType(), True),
    StructField("columns_doc_json", StringType(), True),
])

CORE_TABLES = [
    TableSpec("meta.tables", "The table registry: every Delta table's layer, partitioning, schema, owner and path.",
              "register_tables", schema=TABLES_SCHEMA, keys=("name",)),
    TableSpec("meta.selfcheck", "Deployment check: one row per probe partition (executor host, Python, library version).",
              "selfcheck"),
    TableSpec("meta.job_runs", "One row per job run: period, status, tables read, rows written/rejected, seconds.",
              "(every job)", partition_by=("job",), schema=JOB_RUNS_SCHEMA, keys=("run_id",)),
]

CORE_JOBS = [
    JobSpec("register_tables", order=0, schedule="once", period="none", demo_args=once,
            description="Publish the table registry to meta.tables.", outputs=("meta.tables",)),
    JobSpec("selfcheck", order=1, schedule="once", period="none", demo_args=once,
            description="Deployment check: library on executors, Delta round trip, pseudonym expression.",
            outputs=("meta.selfcheck",)),
]


@lru_cache(maxsize=1)
def _gather() -> tuple[tuple[TableSpec, ...], tuple[JobSpec, ...]]:
    tables: list[TableSpec] = list(CORE_TABLES)
    jobs: list[JobSpec] = list(CORE_JOBS)
    for domain in DOMAINS:
        try:
            module = importlib.import_module(f"lifecircle.{domain}.registry")
        except ModuleNotFoundError as exc:
            if exc.name in (f"lifecircle.{domain}", f"lifecircle.{domain}.registry"):
                continue
            raise
        tables += list(getattr(module, "TABLES", []))
        jobs += list(getattr(module, "JOBS", []))
    names = [t.name for t in tables]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"tables declared twice in the registry: {dupes}")
    return tuple(tables), tuple(ordered(jobs))


def all_tables() -> list[TableSpec]:
    return list(_gather()[0])


def all_jobs() -> list[JobSpec]:
    return list(_gather()[1])


def table(name: str) -> TableSpec:
    for spec in _gather()[0]:
        if spec.name == name:
            return spec
    raise KeyError(f"table {name!r} is not in the table registry (lifecircle tables lists them)")


def job_spec(name: str) -> JobSpec:
    for spec in _gather()[1]:
        if spec.name == name:
            return spec
    known = ", ".join(j.name for j in _gather()[1])
    raise KeyError(f"job {name!r} is not in the pipeline registry (known: {known})")
