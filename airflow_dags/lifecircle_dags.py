"""Lifecircle's Airflow DAGs, generated from the pipeline registry: one SparkSubmitOperator per job.

- lifecircle_daily:    the daily jobs (ingest → quality gate → ...), period = the data interval's day: the run
                       at 03:00 on D+1 ingests the files of day D;
- lifecircle_monthly:  the monthly jobs (silver → circles → social → panorama → ... → retention plan),
                       period = the data interval's month: the run on the 2nd of M+1 processes month M.
Both use a data-interval cron timetable explicitly (Airflow 3's default cron timetable has no interval).
- lifecircle_campaign: the campaign jobs (build → export → feedback → evaluate), triggered manually
                       with the campaign id in the run's params.
Dependencies come from the tables each job reads and writes. Nothing runs at parse time but reading
the registry and the config; Spark starts only inside the tasks.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG, Param
from airflow.timetables.interval import CronDataIntervalTimetable

PROJECT = Path(os.environ.get("LIFECIRCLE_HOME", Path(__file__).resolve().parents[1]))
if str(PROJECT / "libs") not in sys.path:  # the scheduler may not have the package installed
    sys.path.insert(0, str(PROJECT / "libs"))

from lifecircle.core.config import load_config  # noqa: E402
from lifecircle.core.pipeline import JobSpec, upstream  # noqa: E402
from lifecircle.core.spark import jvm_jars, spark_settings  # noqa: E402
from lifecircle.registry import all_jobs  # noqa: E402

ENV = os.environ.get("LIFECIRCLE_ENV", "local")
CFG = load_config(ENV)
AIRFLOW = CFG.section("airflow")

_START = f"data_interval_start.in_timezone('{AIRFLOW['timezone']}')"  # the operator's local calendar
PERIOD_ARGS = {
    "month": ["--month", "{{ " + _START + ".strftime('%Y-%m') }}"],
    "date": ["--date", "{{ " + _START + ".strftime('%Y-%m-%d') }}"],
    "campaign": ["--campaign", "{{ params.campaign_id }}", "--month", "{{ params.month }}"],
    "none": [],
}


def _operator(spec: JobSpec) -> SparkSubmitOperator:
    settings = spark_settings(CFG, spec.name)
    jars = ",".join(jvm_jars(CFG)) or None
    packages = ",".join(CFG.get("spark.packages") or []) or None
    conf = {k: v for k, v in settings.items() if k not in ("spark.jars", "spark.jars.packages", "spark.app.name")}
    py_files = AIRFLOW.get("py_files")
    return SparkSubmitOperator(
        task_id=spec.name,
        application=str(PROJECT / spec.script),
        application_args=["--env", AIRFLOW["env"], *PERIOD_ARGS[spec.period], *spec.extra_args],
        conn_id=AIRFLOW["spark_conn_id"],
        name=f"lifecircle-{spec.name}",
        conf=conf,
        jars=jars,
        packages=packages,
        py_files=str(PROJECT / py_files) if py_files and not os.path.isabs(py_files) else py_files,
        env_vars={"LIFECIRCLE_HOME": str(PROJECT), "LIFECIRCLE_ENV": AIRFLOW["env"]},
        retries=int(AIRFLOW["retries"]),
        retry_delay=dt.timedelta(minutes=int(AIRFLOW["retry_delay_minutes"])),
        execution_timeout=dt.timedelta(minutes=int(AIRFLOW["execution_timeout_minutes"])),
        doc_md=spec.description,
    )


def _build(dag_id: str, schedule: str, schedule_expr: str | None, description: str,
           params: dict[str, Param] | None = None) -> DAG:
    jobs = [j for j in all_jobs() if j.schedule == schedule]
    with DAG(
        dag_id=dag_id,
        description=description,
        schedule=CronDataIntervalTimetable(schedule_expr, timezone=AIRFLOW["timezone"]) if schedule_expr else None,
        start_date=dt.datetime.fromisoformat(AIRFLOW["start_date"]),
        catchup=False,
        max_active_runs=1,
        tags=["lifecircle", schedule],
        params=params or {},
        default_args={"owner": AIRFLOW["owner"], "retries": int(AIRFLOW["retries"])},
        doc_md=__doc__,
    ) as dag:
        tasks = {j.name: _operator(j) for j in jobs}
        for j in jobs:
            parents = upstream(j, jobs)
            if not parents:  # no table dependency inside this DAG: keep registry order
                earlier = [o for o in jobs if o.order < j.order]
                parents = earlier[-1:] if earlier else []
            for p in parents:
                tasks[p.name] >> tasks[j.name]
    return dag


daily = _build("lifecircle_daily", "daily", AIRFLOW["daily_schedule"],
               "Ingest the day's raw files: bronze, quality gate, manifest.")
monthly = _build("lifecircle_monthly", "monthly", AIRFLOW["monthly_schedule"],
                 "The month's silver, circles, graph, panorama, models, scores and retention plan.")
campaign = _build(
    "lifecircle_campaign", "campaign", None,
    "Build, approve-check, export, collect feedback and evaluate one campaign.",
    params={"campaign_id": Param("retention_2026q4", type="string"),
            "month": Param("2026-10", type="string", pattern=r"^\d{4}-\d{2}$")},
)
