"""`make bench SIZE=small|medium`: generate the province once (cached), run every pipeline job with
timing in one SparkSession, and write a JSON and a Markdown table: wall time, rows in/out, rows per
second per core, peak driver memory, shuffle bytes and Python UDF plan nodes per job.

Domain benchmarks with a single-node reference (DuckDB) live beside this file (bench_*.py) and are
run after the pipeline on the same silver tables when present.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "libs"))


def ui_json(spark, path: str):
    url = spark.sparkContext.uiWebUrl
    if not url:
        return None
    app = spark.sparkContext.applicationId
    try:
        with urllib.request.urlopen(f"{url}/api/v1/applications/{app}/{path}", timeout=10) as r:
            return json.loads(r.read())
    except Exception:
        return None


def _shuffle_and_udfs(spark, since_stage: int, since_sql: int) -> tuple[int, int, int, int]:
    stages = ui_json(spark, "stages?status=complete") or []
    shuffle = sum(s.get("shuffleWriteBytes", 0) for s in stages if s.get("stageId", 0) >= since_stage)
    max_stage = max([s.get("stageId", 0) for s in stages] + [since_stage])
    sqls = ui_json(spark, "sql?details=true&planDescription=true&length=100000") or []
    udf_nodes = 0
    max_sql = since_sql
    for q in sqls:
        if q.get("id", 0) >= since_sql:
            plan = q.get("planDescription", "")
            udf_nodes += sum(plan.count(tok) for tok in ("BatchEvalPython", "ArrowEvalPython", "FlatMapGroupsInPandas",
                                                         "MapInPandas", "PythonUDF"))
        max_sql = max(max_sql, q.get("id", 0) + 1)
    return shuffle, udf_nodes, max_stage + 1, max_sql


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="small")
    p.add_argument("--months", default="2026-04:2026-10")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--jobs", nargs="*", default=None, help="only these jobs")
    p.add_argument("--out", default=None, help="results folder (default benchmarks/results/<size>)")
    ns = p.parse_args(argv)

    os.environ.setdefault("LIFECIRCLE_PII_KEY", "benchmark-only-pseudonymisation-key")
    from lifecircle.core.config import load_config
    from lifecircle.core.periods import month_range
    from lifecircle.core.pipeline import DemoPlan
    from lifecircle.core.spark import build_session
    from lifecircle.registry import all_jobs
    from lifecircle.runtime import run_script

    data_root = ROOT / "data" / "bench" / ns.size
    overrides = [f"paths.data_root={data_root}", "spark.ui_enabled=true"]
    cfg = load_config("local", overrides=overrides)
    out = Path(ns.out or ROOT / "benchmarks" / "results" / ns.size)
    out.mkdir(parents=True, exist_ok=True)
    spark = build_session(f"bench-{ns.size}", cfg)
    cores = spark.sparkContext.defaultParallelism
    plan = DemoPlan(months=tuple(month_range(ns.months)),
                    campaigns=tuple(sorted(x.stem for x in (ROOT / "conf" / "campaigns").glob("*.yaml"))))
    results = []
    stage0, sql0 = 0, 0
    for spec in all_jobs():
        if ns.jobs and spec.name not in ns.jobs:
            continue
        runs = spec.demo_args(plan)
        if spec.name == "generate":
            if (data_root / "raw" / "ref").exists():
                print(f"[bench] province {ns.size} cached in {data_root}", flush=True)
                continue
            runs = [["--size", ns.size, "--months", ns.months, "--seed", str(ns.seed), "--out", str(data_root)]]
        for argv_job in runs:
            t0 = time.perf_counter()
            rc = run_script(spec.name, [*argv_job, "--env", "local", *sum((["--set", o] for o in overrides), [])],
                            spark=spark, cfg=cfg)
            seconds = time.perf_counter() - t0
            shuffle, udfs, stage0, sql0 = _shuffle_and_udfs(spark, stage0, sql0)
            row = spark.read.format("delta").load(
                f"{cfg.get('paths.tables')}/meta/job_runs").where(f"job = '{spec.name}'").orderBy(
                "started_at", ascending=False).first()
            rows_out = sum((row["rows_written"] or {}).values()) if row else 0
            results.append({
                "job": spec.name, "args": " ".join(argv_job), "ok": rc == 0, "seconds": round(seconds, 2),
                "rows_out": rows_out, "rows_per_s_per_core": round(rows_out / seconds / cores, 1) if seconds else None,
                "shuffle_bytes": shuffle, "python_udf_plan_nodes": udfs,
                "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            })
            print(f"[bench] {spec.name:<18} {' '.join(argv_job):<28} {seconds:7.1f}s rows_out={rows_out} "
                  f"shuffle={shuffle / 1e6:.1f}MB udf_nodes={udfs}", flush=True)
            if rc != 0:
                break
    (out / "pipeline.json").write_text(json.dumps(results, indent=2))
    lines = ["| job | args | s | rows out | rows/s/core | shuffle MB | Python UDF nodes |", "|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['job']} | {r['args']} | {r['seconds']} | {r['rows_out']} | {r['rows_per_s_per_core']} | "
                     f"{r['shuffle_bytes'] / 1e6:.1f} | {r['python_udf_plan_nodes']} |")
    (out / "pipeline.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    for extra in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        print(f"[bench] {extra.name}", flush=True)
        subprocess.call([sys.executable, str(extra), "--data-root", str(data_root)], cwd=ROOT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
