"""Privacy audit of a month: no clear subscriber number, name, ID number or IMEI from the raw feeds may appear in
any silver or gold table (whole values, inside arrays, or embedded in text/JSON). Writes meta.privacy_audit (one
row per table scanned) and fails loudly, naming the tables, when anything leaked."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.core.errors import QualityGateError
from lifecircle.feeds import FEEDS
from lifecircle.ingest.privacy import audit_tables, clear_identifiers, month_slice, string_columns
from lifecircle.registry import all_tables
from lifecircle.runtime import JobContext, job

NOT_IDENTIFYING = {"birth_date"}  # kept out of the clear set: a date alone matches too much and identifies nobody
NAME_COLUMNS = {"name"}


@job("privacy_audit", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    month = ctx.month
    sources = []
    for feed, spec in FEEDS.items():
        name = f"bronze.{feed}"
        columns = [c for c in spec.pii_columns if c not in NOT_IDENTIFYING]
        if not columns or not ctx.exists(name):
            continue
        bronze = month_slice(ctx.read(name), ctx.spec(name).partition_by, month)
        sources += [(bronze, c, 2 if c in NAME_COLUMNS else 11) for c in columns]
    clear = clear_identifiers(sources)

    scanned = {}
    for spec in all_tables():
        if spec.layer not in ("silver", "gold") or not ctx.exists(spec.name):
            continue
        scanned[spec.name] = month_slice(ctx.read(spec.name), spec.partition_by, month)
    leaks = audit_tables(scanned, clear, int(ctx.cfg.get("privacy.audit_threads", 4)))
    found = {r["table"]: r for r in leaks.groupBy("table").agg(
        F.sum("leaked_values").alias("leaked_values"), F.sort_array(F.collect_list("column")).alias("columns"),
        F.min("example_masked").alias("example_masked")).collect()}  # ok: one row per leaking table
    rows = [(month, name, len(string_columns(df)), int(found[name]["leaked_values"]) if name in found else 0,
             list(found[name]["columns"]) if name in found else [],
             found[name]["example_masked"] if name in found else None)
            for name, df in sorted(scanned.items())]
    audit = ctx.spark.createDataFrame(rows, ctx.spec("meta.privacy_audit").schema)
    ctx.write("meta.privacy_audit", audit, where={"month": month})
    ctx.log.info("privacy audit %s: %d tables, %d columns scanned; %d leaking", month, len(rows),
                 sum(r[2] for r in rows), len(found))
    if found:
        ctx.reject(sum(int(r["leaked_values"]) for r in found.values()))
        detail = ", ".join(f"{t} ({', '.join(r['columns'])})" for t, r in sorted(found.items()))
        raise QualityGateError(f"clear identifiers from the raw feeds found beyond the silver boundary in {detail}")


if __name__ == "__main__":
    raise SystemExit(main())
