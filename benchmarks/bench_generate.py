"""Generate a province of a given size and print rows per second per core for each feed.

    .venv/bin/python benchmarks/bench_generate.py --size tiny --months 2026-04:2026-10 --out /tmp/bench_province

Each feed is written by itself here and timed (records → lines with defects → renamed files; the job
writes all feeds in one plan, which is faster);
rows/s/core divides by the session's cores (local[N]). Do not run `medium` on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import time

from lifecircle.core.config import load_config
from lifecircle.core.spark import build_session
from lifecircle.generate import output
from lifecircle.generate.spec import make_spec


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--size", default="tiny")
    p.add_argument("--months", default="2026-04:2026-10")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", default="/tmp/bench_province")
    p.add_argument("--env", default="local")
    a = p.parse_args()
    cfg = load_config(a.env)
    spark = build_session("bench-generate", cfg)
    cores = spark.sparkContext.defaultParallelism
    spec = make_spec(a.size, a.months, a.seed)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    _, counts = output.generate_province(spark, spec, a.out, only_feed_timings=timings)
    total_s = time.perf_counter() - t0
    print(f"size={a.size} subscribers={spec.n_subs} months={len(spec.months)} cores={cores} total={total_s:.1f}s")
    print(f"{'feed':20s} {'rows':>10s} {'seconds':>8s} {'rows/s/core':>12s}")
    for feed, rows in counts.items():
        secs = timings[feed]
        print(f"{feed:20s} {rows:10d} {secs:8.1f} {rows / secs / cores:12.0f}")
    rows = sum(counts.values())
    print(f"{'all':20s} {rows:10d} {total_s:8.1f} {rows / total_s / cores:12.0f}")
    spark.stop()


if __name__ == "__main__":
    main()
