"""The table and pipeline registries are consistent: every job has a script, every output is a table."""

from __future__ import annotations

from lifecircle.core.paths import project_root
from lifecircle.core.pipeline import DemoPlan
from lifecircle.registry import all_jobs, all_tables


def test_every_job_has_a_script_and_declared_tables():
    tables = {t.name for t in all_tables()}
    for job in all_jobs():
        assert (project_root() / job.script).exists(), f"{job.name}: missing {job.script}"
        for name in job.outputs:
            assert name in tables, f"{job.name} writes undeclared table {name}"
        for name in job.inputs:
            assert name in tables, f"{job.name} reads undeclared table {name}"


def test_jobs_are_ordered_and_demo_args_are_lists():
    jobs = all_jobs()
    assert [j.order for j in jobs] == sorted(j.order for j in jobs)
    plan = DemoPlan(months=("2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"),
                    campaigns=("c1",))
    for job in jobs:
        runs = job.demo_args(plan)
        assert isinstance(runs, list) and all(isinstance(a, list) for a in runs), job.name


def test_only_bronze_tables_may_hold_pii():
    for t in all_tables():
        if t.pii:
            assert t.layer in ("bronze", "meta"), f"{t.name} is marked as holding PII outside bronze/meta"


def test_tables_cli_prints_paths(capsys):
    from lifecircle.cli import main

    assert main(["tables", "--json", "--env", "test"]) == 0
    out = capsys.readouterr().out
    assert '"name": "meta.tables"' in out and "/tables/meta/tables" in out
