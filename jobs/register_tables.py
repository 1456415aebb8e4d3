"""Publish the table registry (every Delta table's layer, partitioning, schema, owner, path) to meta.tables."""

from __future__ import annotations

from lifecircle.registry import TABLES_SCHEMA, all_tables
from lifecircle.runtime import JobContext, job


@job("register_tables", description=__doc__)
def main(ctx: JobContext) -> None:
    records = [spec.as_record(ctx.cfg) for spec in all_tables()]
    rows = [tuple(r[f.name] for f in TABLES_SCHEMA.fields) for r in records]
    ctx.write("meta.tables", ctx.spark.createDataFrame(rows, TABLES_SCHEMA), mode="overwrite")


if __name__ == "__main__":
    raise SystemExit(main())
