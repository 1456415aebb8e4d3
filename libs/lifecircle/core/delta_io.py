"""Delta read/write helpers: atomic partition-scoped overwrite, merge, append, and the row counts
each commit reports (so jobs log what they wrote without counting twice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession

from lifecircle.core.errors import InputError

WRITE_MODES = ("overwrite", "replace", "append", "merge")


def sql_literal(value: Any) -> str:
    """A Spark SQL literal for a partition value (strings quoted and escaped, dates typed)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP'{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE'{value.isoformat()}'"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def predicate(where: Mapping[str, Any]) -> str:
    """`{"month": "2026-10"}` → `month = '2026-10'`; a list/tuple value becomes `IN (...)`."""
    parts = []
    for col, value in where.items():
        if isinstance(value, list | tuple | set):
            values = ", ".join(sql_literal(v) for v in sorted(value))
            parts.append(f"`{col}` IN ({values})")
        else:
            parts.append(f"`{col}` = {sql_literal(value)}")
    return " AND ".join(parts) if parts else "true"


def table_exists(spark: SparkSession, path: str) -> bool:
    try:
        return DeltaTable.isDeltaTable(spark, path)
    except Exception:  # an unreachable file system reads as "not there"; the read will say why
        return False


def read_delta(spark: SparkSession, path: str, name: str | None = None, version: int | None = None) -> DataFrame:
    """Read a Delta table, or raise InputError naming the table and path if it is not there."""
    if not table_exists(spark, path):
        raise InputError(f"table {name or path} not found at {path} (has its producing job run?)")
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return reader.load(path)


def last_commit_millis(spark: SparkSession, path: str) -> int:
    """When the table's latest commit was written (epoch ms; 0 when there is none): a listing of its
    `_delta_log`, no Spark job. Lets a job skip rewriting a table whose source has not changed since."""
    jvm = spark._jvm  # type: ignore[attr-defined]
    log = jvm.org.apache.hadoop.fs.Path(path.rstrip("/") + "/_delta_log")
    fs = log.getFileSystem(spark._jsc.hadoopConfiguration())  # type: ignore[attr-defined]
    if not fs.exists(log):
        return 0
    times = [st.getModificationTime() for st in fs.listStatus(log) if st.getPath().getName().endswith(".json")]
    return max(times, default=0)


def _last_commit_rows(spark: SparkSession, path: str) -> int:
    metrics = DeltaTable.forPath(spark, path).history(1).select("operation", "operationMetrics").first()
    if metrics is None or metrics["operationMetrics"] is None:
        return 0
    m = metrics["operationMetrics"]
    if metrics["operation"] == "MERGE":
        return int(m.get("numTargetRowsInserted", 0)) + int(m.get("numTargetRowsUpdated", 0))
    # a replaceWhere on data columns rewrites touched files: their kept rows count as output but were copied
    return int(m.get("numOutputRows", 0)) - int(m.get("numCopiedRows", 0))


def write_delta(
    df: DataFrame,
    path: str,
    mode: str = "overwrite",
    partition_by: Sequence[str] = (),
    replace_where: Mapping[str, Any] | str | None = None,
    merge_keys: Sequence[str] = (),
) -> int:
    """Write `df` to the Delta table at `path`; returns the rows the commit wrote.

    - overwrite: replace the whole table atomically (schema may change);
    - replace: overwrite only the rows matching `replace_where` (Delta replaceWhere) — idempotent
      per partition, and Delta refuses rows outside the predicate;
    - append: add rows;
    - merge: upsert on `merge_keys` (update matches, insert the rest).
    """
    if mode not in WRITE_MODES:
        raise ValueError(f"write mode {mode!r} not in {WRITE_MODES}")
    spark = df.sparkSession
    exists = table_exists(spark, path)
    if mode == "merge":
        if not merge_keys:
            raise ValueError("merge needs merge_keys")
        if exists:
            cond = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in merge_keys)
            (
                DeltaTable.forPath(spark, path).alias("t")
                .merge(df.alias("s"), cond)
                .whenMatchedUpdateAll()
                .whenNotMatchedInsertAll()
                .execute()
            )
            return _last_commit_rows(spark, path)
        mode = "overwrite"
    writer = df.write.format("delta")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    if mode == "replace":
        if replace_where is None:
            raise ValueError("replace needs replace_where")
        if exists:
            cond = replace_where if isinstance(replace_where, str) else predicate(replace_where)
            writer.mode("overwrite").option("replaceWhere", cond).option("mergeSchema", "true").save(path)
        else:
            writer.mode("overwrite").save(path)
    elif mode == "append":
        writer.mode("append").option("mergeSchema", "true").save(path)
    else:
        writer.mode("overwrite").option("overwriteSchema", "true").save(path)
    return _last_commit_rows(spark, path)
