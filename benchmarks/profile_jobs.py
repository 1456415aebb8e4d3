"""Profile pipeline jobs in one session: wall time, Spark jobs, stages, tasks, task CPU and the slowest Spark jobs.

    .venv/bin/python benchmarks/profile_jobs.py [--env local] [--set KEY=VALUE] [--top 10] \
        "silver --month 2026-10" "life_circle --month 2026-10" ...

Each quoted argument is one job and its arguments, run in this process's SparkSession (as `make demo` runs
them). After each job the Spark UI's REST API lists the Spark jobs it started, so the counts are exact even
where wall time is noisy (this VM's timings vary by up to ±30 % between identical runs). Needs the UI on
(spark.ui_enabled, the default) and the pseudonymisation key in the environment, as the jobs do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "libs"))

from run import ui_json  # noqa: E402  (benchmarks/run.py: the Spark UI's REST API)

from lifecircle.core.config import load_config  # noqa: E402
from lifecircle.core.spark import build_session  # noqa: E402
from lifecircle.runtime import run_script  # noqa: E402


def _seconds(job: dict) -> float:
    def parse(s: str) -> dt.datetime:
        return dt.datetime.strptime(s[:23], "%Y-%m-%dT%H:%M:%S.%f")

    if not job.get("completionTime"):
        return 0.0
    return (parse(job["completionTime"]) - parse(job["submissionTime"])).total_seconds()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="local")
    p.add_argument("--set", dest="overrides", action="append", default=[])
    p.add_argument("--top", type=int, default=10, help="slowest Spark jobs to list per job")
    p.add_argument("jobs", nargs="+", help='a job and its arguments, quoted: "silver --month 2026-10"')
    a = p.parse_args(argv)
    cfg = load_config(a.env, None, a.overrides)
    spark = build_session("profile", cfg)
    if not spark.sparkContext.uiWebUrl:
        print("the Spark UI is off (spark.ui_enabled): no job list to read", file=sys.stderr)
        return 2
    seen = {j["jobId"] for j in ui_json(spark, "jobs") or []}
    worst = 0
    for spec in a.jobs:
        name, *args = shlex.split(spec)
        t = time.perf_counter()
        rc = run_script(name, args + ["--env", a.env] + sum((["--set", o] for o in a.overrides), []), spark=spark,
                        cfg=cfg)
        wall = time.perf_counter() - t
        spark.catalog.clearCache()
        jobs = [j for j in ui_json(spark, "jobs") or [] if j["jobId"] not in seen]
        seen |= {j["jobId"] for j in jobs}
        stage_ids = {s for j in jobs for s in j.get("stageIds", [])}
        stages = [s for s in ui_json(spark, "stages?status=complete") or [] if s["stageId"] in stage_ids]
        tasks = sum(s["numCompleteTasks"] for s in stages)
        cpu = sum(s.get("executorCpuTime", 0) for s in stages) / 1e9
        print(f"{spec}: exit {rc}, {wall:.1f} s wall, {len(jobs)} Spark jobs, {len(stages)} stages, {tasks} tasks, "
              f"{cpu:.1f} s task CPU", flush=True)
        for j in sorted(jobs, key=_seconds, reverse=True)[: a.top]:
            what = (j.get("description") or j["name"]).replace("\n", " ")[:100]
            print(f"    {_seconds(j):6.2f} s  job {j['jobId']:<6} {j.get('numTasks', 0):>4} tasks  {what}")
        worst = max(worst, rc)
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
