"""Score the life circles against the generator's planted truth, and time the life_circle job.

    .venv/bin/python benchmarks/bench_circles.py --months 2026-08:2026-10 [--env local] \
        [--set paths.data_root=data/small] [--run]

With --run it first runs `life_circle` for each month (timed) on the silver tables already there; then,
for the last month, it prints precision / recall / F1 of home cell, work cell and every planted circle
(truth from <paths.truth>/subscribers, keyed by raw msisdn and pseudonymised with LIFECIRCLE_PII_KEY).
Exit status 1 when home/work precision < 0.95 or recall < 0.90, or another circle's F1 < 0.85.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "libs"))

from lifecircle.circles.evaluate import evaluate_month  # noqa: E402
from lifecircle.core.config import load_config  # noqa: E402
from lifecircle.core.paths import resolve  # noqa: E402
from lifecircle.core.periods import month_range  # noqa: E402
from lifecircle.core.spark import build_session  # noqa: E402
from lifecircle.ingest.privacy import pii_key  # noqa: E402
from lifecircle.registry import table  # noqa: E402

GENRES = ("pop", "rock", "symphony", "folk", "football", "basketball", "auto", "tech")


def passes(row: dict) -> bool:
    if row["circle"] in ("home_cell", "work_cell"):
        return (row["precision"] or 0) >= 0.95 and (row["recall"] or 0) >= 0.90
    return (row["f1"] or 0) >= 0.85


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--months", required=True, help="YYYY-MM or YYYY-MM:YYYY-MM; scored on the last")
    p.add_argument("--env", default="local")
    p.add_argument("--set", dest="overrides", action="append", default=[])
    p.add_argument("--run", action="store_true", help="run life_circle for every month first")
    args = p.parse_args(argv)
    cfg = load_config(args.env, overrides=args.overrides)
    spark = build_session("bench_circles", cfg)
    months = month_range(args.months)
    if args.run:
        from lifecircle.runtime import run_script

        for m in months:
            t0 = time.perf_counter()
            rc = run_script("life_circle", ["--month", m, "--env", args.env,
                                            *[x for o in args.overrides for x in ("--set", o)]], spark=spark, cfg=cfg)
            print(f"life_circle {m}: rc={rc} {time.perf_counter() - t0:.1f}s")
            if rc:
                return rc
    month = months[-1]
    truth = spark.read.parquet(f"{resolve(cfg.get('paths.truth')).rstrip('/')}/subscribers")
    features = spark.read.format("delta").load(table("gold.circle_features").path(cfg))
    tags = spark.read.format("delta").load(table("gold.tags").path(cfg))
    rows = [r.asDict() for r in evaluate_month(features, tags, truth, month, pii_key(), GENRES).collect()]
    print(f"\nLife circles vs truth, {month} (tags valid in the month)\n")
    print("| circle | tp | fp | fn | precision | recall | F1 | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    ok = True
    for r in rows:
        good = passes(r)
        ok &= good or r["tp"] + r["fn"] == 0
        print(f"| {r['circle']} | {r['tp']} | {r['fp']} | {r['fn']} | {r['precision']} | {r['recall']} | {r['f1']} | "
              f"{'ok' if good else 'MISS'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
