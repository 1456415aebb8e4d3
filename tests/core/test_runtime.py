"""The job contract: a job runs in-process by name, logs and records its run, and fails with one line."""

from __future__ import annotations

from lifecircle.core.delta_io import read_delta
from lifecircle.registry import table
from lifecircle.runtime import run_script


def test_register_tables_job_writes_meta_tables_and_job_runs(spark, tmp_cfg):
    assert run_script("register_tables", ["--env", "test"], spark=spark, cfg=tmp_cfg) == 0
    names = {r.name for r in read_delta(spark, table("meta.tables").path(tmp_cfg)).collect()}
    assert {"meta.tables", "meta.job_runs"} <= names
    runs = read_delta(spark, table("meta.job_runs").path(tmp_cfg)).collect()
    assert [(r.job, r.status, r.rows_written["meta.tables"]) for r in runs] == [
        ("register_tables", "succeeded", len(names))]


def test_bad_arguments_fail_with_one_line(spark, tmp_cfg, capsys):
    assert run_script("register_tables", ["--month", "2026-13"], spark=spark, cfg=tmp_cfg) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ERROR register_tables: month '2026-13' must look like YYYY-MM (e.g. 2026-10)"]


def test_unknown_job_script(capsys):
    assert run_script("no_such_job", []) == 2
    assert "no job script" in capsys.readouterr().err


def test_a_fresh_demo_clears_only_the_local_data_paths(tmp_path):
    from lifecircle.cli import _clear_demo_data
    from tests.conftest import make_config

    cfg = make_config(tmp_path / "data", "paths.mlflow=s3a://bucket/mlflow")
    for sub in ("tables/gold/x", "lists/c1", "raw/voice_cdr"):
        (tmp_path / "data" / sub).mkdir(parents=True)
        (tmp_path / "data" / sub / "f").write_text("old")
    (tmp_path / "data" / "reports").mkdir()  # empty: nothing to report
    (tmp_path / "keep.txt").write_text("not the demo's")
    assert _clear_demo_data(cfg) == ["raw", "tables", "lists"]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["reports"]
    assert (tmp_path / "keep.txt").read_text() == "not the demo's"


def test_reuse_computes_once_and_keeps_the_rows(spark):
    from pyspark.sql import functions as F

    from lifecircle.core.spark import reuse

    calls = spark.sparkContext.accumulator(0)

    def count(i):
        calls.add(1)
        return i

    df = reuse(spark.range(5).select(F.udf(count, "long")("id").alias("id")))
    assert sorted(r.id for r in df.collect()) == [0, 1, 2, 3, 4]
    assert df.where("id > 2").count() == 2  # read back, not recomputed
    assert calls.value == 5
