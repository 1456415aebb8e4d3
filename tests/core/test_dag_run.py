"""A real Airflow run of the DAGs on the tiny generated province: `airflow dags test` in a fresh Airflow home
(SQLite metadata database), every task a real `spark-submit` in local mode through the Spark provider.

The daily DAG ingests one day; the monthly DAG then runs silver, usage_monthly and the panorama for that month (its other
tasks are marked successful with `--mark-success-pattern` to keep the suite short: each is one more
spark-submit of a job the other tests already run). The tables must appear with the interval's period:
the daily run at 03:00 on 2026-10-02 ingests 2026-10-01, the monthly run on 2026-11-02 processes 2026-10.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from lifecircle.cli import submit_env
from lifecircle.core.paths import project_root

RUN_ONLY = ("silver", "usage_monthly", "panorama")


def _airflow(env: dict[str, str], *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    airflow = Path(sys.executable).parent / "airflow"
    proc = subprocess.run([str(airflow), *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"airflow {' '.join(args)} failed:\n{(proc.stdout + proc.stderr)[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory, tiny_province) -> dict[str, str]:
    home = tmp_path_factory.mktemp("airflow_run")
    data = home / "data"
    env = submit_env()
    env.update({
        "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(project_root() / "airflow_dags"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW_CONN_SPARK_DEFAULT": '{"conn_type": "spark", "host": "local[2]"}',
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        # the scheduled jobs use the test overlay, this run's data folder and the tiny province's raw feeds
        "LIFECIRCLE_ENV": "test", "LIFECIRCLE__AIRFLOW__ENV": "test", "LIFECIRCLE__AIRFLOW__PY_FILES": "",
        "LIFECIRCLE__PATHS__DATA_ROOT": str(data), "LIFECIRCLE__PATHS__RAW": str(tiny_province.raw),
    })
    _airflow(env, "db", "migrate")
    return env


def test_daily_then_monthly_dag_runs_write_bronze_silver_and_gold(airflow_env, spark):
    _airflow(airflow_env, "dags", "test", "lifecircle_daily", "2026-10-02T03:00:00+08:00")
    skip = "(?!(" + "|".join(RUN_ONLY) + ")$).*"  # Airflow fullmatches it: every other task id
    _airflow(airflow_env, "dags", "test", "lifecircle_monthly", "2026-11-02T06:00:00+08:00",
             "--mark-success-pattern", skip)

    tables = Path(airflow_env["LIFECIRCLE__PATHS__DATA_ROOT"]) / "tables"
    manifest = spark.read.format("delta").load(str(tables / "meta" / "file_manifest"))
    daily = manifest.where(F.col("feed") == "voice_cdr").select("period").distinct().collect()
    assert [r["period"] for r in daily] == ["2026-10-01"]
    cdr = spark.read.format("delta").load(str(tables / "silver" / "voice_cdr"))
    assert [str(r["date"]) for r in cdr.select("date").distinct().collect()] == ["2026-10-01"]
    panorama = spark.read.format("delta").load(str(tables / "gold" / "panorama"))
    months = {r["month"]: r["n"] for r in panorama.groupBy("month").agg(F.count("*").alias("n")).collect()}
    assert list(months) == ["2026-10"] and months["2026-10"] > 200
    runs = spark.read.format("delta").load(str(tables / "meta" / "job_runs"))
    assert {(r["job"], r["status"]) for r in runs.select("job", "status").distinct().collect()} == {
        ("ingest", "succeeded"), ("silver", "succeeded"), ("usage_monthly", "succeeded"), ("panorama", "succeeded")}
