"""The cluster path, proven: a Spark standalone master and worker on 127.0.0.1 (from the installed
PySpark), one job through `spark-submit --master spark://127.0.0.1:<port>` with the cluster profile,
its output table checked, both daemons stopped. Shows that the jars, the library zip and the config
ship to executors the way they would on a real cluster."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from lifecircle.core.paths import project_root

SPARK_CLASS = Path(sys.executable).parent / "spark-class"


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return s.getsockname()[1]
            except OSError:
                continue
    raise RuntimeError("no free port")


def _wait_for(check, seconds: float, what: str) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    work = tmp_path_factory.mktemp("standalone")
    port, ui = _free_port(7077), _free_port(0)
    import pyspark

    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable,
               SPARK_HOME=str(Path(pyspark.__file__).parent),
               SPARK_WORKER_DIR=str(work / "worker"), SPARK_LOG_DIR=str(work / "logs"))
    master_log = open(work / "master.log", "w")
    worker_log = open(work / "worker.log", "w")
    master = subprocess.Popen(
        [str(SPARK_CLASS), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
         "--webui-port", str(ui)], env=env, stdout=master_log, stderr=subprocess.STDOUT)
    url = f"spark://127.0.0.1:{port}"
    worker = None
    try:
        _wait_for(lambda: "I have been elected leader" in (work / "master.log").read_text(), 60, "the master")
        worker = subprocess.Popen(
            [str(SPARK_CLASS), "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
             "--cores", "2", "--memory", "2g", "--webui-port", str(_free_port(0))],
            env=env, stdout=worker_log, stderr=subprocess.STDOUT)
        _wait_for(lambda: "Successfully registered with master" in (work / "worker.log").read_text(), 60, "the worker")
        yield url, work
    finally:
        for proc in (worker, master):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        master_log.close()
        worker_log.close()


def test_job_runs_through_spark_submit_on_a_standalone_cluster(standalone, spark, tmp_path):
    from lifecircle.cli import submit_command, submit_env
    from lifecircle.core.config import load_config
    from lifecircle.core.delta_io import read_delta
    from lifecircle.registry import table

    url, work = standalone
    conf_dir = tmp_path / "conf"
    shutil.copytree(project_root() / "conf", conf_dir)
    cluster = yaml.safe_load((conf_dir / "cluster.example.yaml").read_text())
    # The cluster profile as shipped, with this machine's storage and the jars `make setup` cached
    # (a real cluster points data_root at hdfs:// or s3a:// and lists spark.packages instead).
    cluster["paths"]["data_root"] = f"file://{tmp_path / 'lake'}"
    cluster["spark"].update(jars_dir=".cache/jars", packages=[], driver_memory="1g", shuffle_partitions=4)
    cluster["spark"]["conf"] = {"spark.executor.memory": "1g", "spark.executor.cores": "1",
                                "spark.cores.max": "2", "spark.ui.enabled": "false",
                                "spark.pyspark.python": sys.executable}
    cluster["mlflow"] = {"tracking_uri": None, "artifact_location": None}
    (conf_dir / "cluster.yaml").write_text(yaml.safe_dump(cluster, allow_unicode=True))

    cmd = submit_command("selfcheck", [], env="cluster", master=url, conf_dir=str(conf_dir))
    assert cmd[1:3] == ["--master", url] and "--py-files" in cmd and "--jars" in cmd
    env = dict(submit_env(), SPARK_LOCAL_IP="127.0.0.1")
    # The driver must not import the library from the source tree: executors get it from the zip only.
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]

    cfg = load_config("cluster", conf_dir)
    rows = read_delta(spark, table("meta.selfcheck").path(cfg)).collect()
    assert sorted(r.partition for r in rows) == [0, 1, 2, 3]
    assert all(r.pseudonym_matches and r.lifecircle_version for r in rows)
    # executors really ran in the standalone worker, not in the driver
    app_dirs = list((work / "worker").glob("app-*"))
    assert app_dirs, "no application ran on the standalone worker"
