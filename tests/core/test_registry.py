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


def _spec(name, order, schedule="monthly", inputs=(), outputs=(), **kw):
    from lifecircle.core.pipeline import JobSpec

    return JobSpec(name, order=order, schedule=schedule, description=name, inputs=inputs, outputs=outputs, **kw)


def test_demo_prerequisites_follow_tables_and_barriers():
    from lifecircle.core.pipeline import demo_prerequisites

    jobs = [
        _spec("ingest", 1, schedule="daily", outputs=("bronze.x",)),
        _spec("silver", 2, inputs=("bronze.x",), outputs=("silver.x",)),
        _spec("circles", 3, inputs=("silver.x",), outputs=("gold.c",)),
        _spec("graph", 4, inputs=("silver.x",), outputs=("gold.g",)),
        _spec("panorama", 5, inputs=("gold.c", "gold.g"), outputs=("gold.p",)),
        _spec("train", 6, inputs=("gold.p",)),
        _spec("score", 7, inputs=("gold.p",), outputs=("gold.s",), after=("train",)),
        _spec("rewrite", 8, outputs=("gold.c",)),  # writes what circles wrote and panorama read
        _spec("audit", 9, gate=True),
    ]
    waits = demo_prerequisites(jobs)
    assert waits["silver"] == {"ingest"}
    assert waits["circles"] == waits["graph"] == {"ingest", "silver"}  # side by side
    assert waits["panorama"] == {"ingest", "silver", "circles", "graph"}
    assert waits["train"] == {"ingest", "silver", "circles", "graph", "panorama"}
    assert waits["score"] == waits["train"] | {"train"}  # the model it scores with, not a table, links them
    assert {"circles", "panorama"} <= waits["rewrite"] and "train" not in waits["rewrite"]
    assert waits["audit"] == {j.name for j in jobs} - {"audit"}  # a gate sees everything before it


def test_score_waits_for_training_in_the_registry_and_the_monthly_dag():
    from lifecircle.core.pipeline import demo_prerequisites, upstream

    jobs = all_jobs()
    waits = demo_prerequisites(jobs)
    assert "train_churn" in waits["score_churn"]
    score = next(j for j in jobs if j.name == "score_churn")
    assert "train_churn" in [j.name for j in upstream(score, jobs)]
    assert "social_graph" not in waits["life_circle"] and "life_circle" not in waits["social_graph"]
    assert waits["privacy_audit"] == {j.name for j in jobs} - {"privacy_audit"}
