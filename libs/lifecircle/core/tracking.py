"""MLflow in one place: tracking/registry URIs from config (a local SQLite store and artifact folder
inside the data folder by default, a server URI on a cluster) and runs tagged with job, period, commit.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lifecircle.core.config import Config
from lifecircle.core.paths import is_uri, project_root, resolve


def git_commit() -> str:
    """The checkout's commit (or `unknown` outside a git work tree)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=project_root(), capture_output=True, text=True, timeout=5
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def tracking_uri(cfg: Config) -> str:
    uri = cfg.get("mlflow.tracking_uri", None)
    if uri:
        return uri
    folder = Path(resolve(cfg.get("paths.mlflow")))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def artifact_location(cfg: Config) -> str:
    loc = cfg.get("mlflow.artifact_location", None)
    if loc:
        return loc
    path = cfg.get("paths.mlflow")
    return f"{path}/artifacts" if is_uri(path) else str(Path(resolve(path)) / "artifacts")


def configure_mlflow(cfg: Config, experiment: str | None = None) -> str:
    """Point MLflow at the configured store and select (creating if needed) the experiment; returns its id."""
    import mlflow

    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    mlflow.set_tracking_uri(tracking_uri(cfg))
    registry = cfg.get("mlflow.registry_uri", None)
    mlflow.set_registry_uri(registry or tracking_uri(cfg))
    name = f"{cfg.get('mlflow.experiment_prefix')}/{experiment}" if experiment else cfg.get("mlflow.experiment_prefix")
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        exp_id = found.experiment_id
    else:
        exp_id = mlflow.create_experiment(name, artifact_location=f"{artifact_location(cfg)}/{name.replace('/', '_')}")
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id


@contextlib.contextmanager
def start_run(
    cfg: Config, job: str, period: str | None = None, experiment: str | None = None,
    run_name: str | None = None, tags: dict[str, Any] | None = None, nested: bool = False,
) -> Iterator[Any]:
    """An MLflow run tagged with the job, the data period, the git commit and the environment."""
    import mlflow

    if not nested:
        configure_mlflow(cfg, experiment or job)
    all_tags = {
        "lifecircle.job": job,
        "lifecircle.period": period or "",
        "lifecircle.env": cfg.env,
        "mlflow.source.git.commit": git_commit(),
    }
    all_tags.update({k: str(v) for k, v in (tags or {}).items()})
    with mlflow.start_run(run_name=run_name or f"{job}-{period or 'all'}", tags=all_tags, nested=nested) as run:
        yield run


def log_spark_model(model: Any, name: str) -> str:
    """Log a Spark ML model in the active run; returns its URI. Its requirements are pyspark's pin, given
    rather than inferred: MLflow infers them by reloading the model in a subprocess with its own Spark JVM
    (~25 s per model on this VM)."""
    import mlflow.spark

    info = mlflow.spark.log_model(model, name, pip_requirements=mlflow.spark.get_default_pip_requirements())
    return info.model_uri
