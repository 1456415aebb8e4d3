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
