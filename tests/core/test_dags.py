"""The Airflow DAGs parse in a real DagBag, with tags, retries and one SparkSubmitOperator per job."""

from __future__ import annotations

import os

import pytest

from lifecircle.core.paths import project_root
from lifecircle.registry import all_jobs


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_home")
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(project_root() / "airflow_dags"))


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert {"lifecircle_daily", "lifecircle_monthly", "lifecircle_campaign"} <= set(dagbag.dag_ids)


def test_every_task_has_tags_retries_and_a_job(dagbag):
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    scheduled = {j.name: j for j in all_jobs() if j.schedule in ("daily", "monthly", "campaign")}
    seen = set()
    for dag_id in ("lifecircle_daily", "lifecircle_monthly", "lifecircle_campaign"):
        dag = dagbag.dags[dag_id]
        assert "lifecircle" in dag.tags
        for task in dag.tasks:
            assert isinstance(task, SparkSubmitOperator)
            assert task.retries >= 1, f"{dag_id}.{task.task_id} has no retries"
            assert task.execution_timeout is not None
            assert task.application.endswith(f"jobs/{task.task_id}.py")
            seen.add(task.task_id)
    assert seen == set(scheduled)
