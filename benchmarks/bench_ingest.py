"""Ingestion throughput: bronze (ingest) and silver rows/s per core for the two largest feeds, voice CDR
and signalling, on an already generated province (`make demo` or `lifecircle run generate`).

    .venv/bin/python benchmarks/bench_ingest.py --date 2026-10-01 [--env local] [--raw data/raw]

Tables go to a fresh temporary folder (nothing of the demo is touched). Prints one JSON line per
feed and stage: rows, seconds, rows/s, rows/s per core (cores = Spark's default parallelism).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

from lifecircle.core.config import load_config
from lifecircle.core.paths import resolve
from lifecircle.core.spark import build_session
from lifecircle.registry import table
from lifecircle.runtime import run_script

FEEDS = ("voice_cdr", "signalling")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--env", default="local")
    ap.add_argument("--raw", default=None, help="raw folder (default: paths.raw of the config)")
    period = ap.add_mutually_exclusive_group(required=True)
    period.add_argument("--date")
    period.add_argument("--month")
    args = ap.parse_args()
    base = load_config(args.env)
    raw = args.raw or resolve(base.get("paths.raw"))
    scratch = tempfile.mkdtemp(prefix="bench_ingest_")
    cfg = load_config(args.env, overrides=[f"paths.data_root={scratch}", f"paths.raw={raw}"])
    spark = build_session("bench_ingest", cfg)
    cores = spark.sparkContext.defaultParallelism
    per = ["--date", args.date] if args.date else ["--month", args.month]
    if run_script("ingest", ["--feed", "cells"], spark=spark, cfg=cfg) != 0:
        raise SystemExit("could not ingest the cell catalogue")
    results = []
    for feed in FEEDS:
        t0 = time.perf_counter()
        if run_script("ingest", ["--feed", feed, *per], spark=spark, cfg=cfg) != 0:
            raise SystemExit(f"ingest of {feed} failed")
        bronze_s = time.perf_counter() - t0
        rows = spark.read.format("delta").load(table(f"bronze.{feed}").path(cfg)).count()
        results.append(("bronze", feed, rows, bronze_s))
    month = args.month or args.date[:7]
    t0 = time.perf_counter()
    # silver --date processes the daily feeds of that day (and the small reference catalogues)
    if run_script("silver", per if args.date else ["--month", month], spark=spark, cfg=cfg) != 0:
        raise SystemExit("silver failed")
    silver_s = time.perf_counter() - t0
    silver_rows = sum(spark.read.format("delta").load(table(f"silver.{f}").path(cfg)).count() for f in FEEDS)
    results.append(("silver", "+".join(FEEDS), silver_rows, silver_s))
    for stage, feed, rows, secs in results:
        print(json.dumps({"stage": stage, "feed": feed, "rows": rows, "seconds": round(secs, 2),
                          "rows_per_s": round(rows / secs), "rows_per_s_per_core": round(rows / secs / cores),
                          "cores": cores}))


if __name__ == "__main__":
    main()
