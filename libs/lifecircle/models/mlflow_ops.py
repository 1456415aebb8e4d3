"""MLflow for churn: log a trained model's run (parameters, periods, counts, metrics, tables, plots, the Spark
PipelineModel), register it as a new version with alias `challenger`, and promote it to `champion` only
when it beats the current champion on the same validation rows, with the reason logged.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame

from lifecircle.core.log import get_logger
from lifecircle.core.tracking import log_spark_model
from lifecircle.models.evaluation import auc_scores, write_plots
from lifecircle.models.features import LABEL
from lifecircle.models.trainer import TrainedChurn
from lifecircle.models.training import PROB, with_probability

CHAMPION = "champion"
CHALLENGER = "challenger"
FEATURES_ARTIFACT = "churn/features.json"
PROFILE_ARTIFACT = "churn/reason_profile.json"
log = get_logger("churn.mlflow")


def log_trained(trained: TrainedChurn, params: dict[str, Any]) -> str:
    """Inside an active run: log parameters, counts, validation metrics, tables, plots and the PipelineModel;
    returns the logged model's URI."""
    import mlflow

    r = trained.result
    mlflow.log_params({**{k: str(v) for k, v in params.items()}, "model_kind": r.kind,
                       **{f"model_{k}": v for k, v in r.params.items()},
                       "n_numeric": len(trained.spec.numeric_like), "n_categorical": len(trained.spec.categorical)})
    mlflow.log_metrics({k: float(v) for k, v in trained.counts.items()})
    mlflow.log_metrics(trained.validation.metrics("val_"))
    mlflow.log_dict({"deciles": trained.validation.deciles}, "evaluation/deciles.json")
    mlflow.log_dict(trained.validation.confusion, "evaluation/confusion_matrix.json")
    mlflow.log_dict({"calibration": trained.validation.calibration}, "evaluation/calibration.json")
    mlflow.log_dict({"candidates": r.candidates}, "evaluation/candidates.json")
    mlflow.log_dict(r.importances, "evaluation/feature_importances.json")
    mlflow.log_dict(trained.spec.to_dict(), FEATURES_ARTIFACT)
    mlflow.log_dict(trained.profile, PROFILE_ARTIFACT)
    with tempfile.TemporaryDirectory() as tmp:
        for png in write_plots(trained.validation, r.importances, Path(tmp)):
            mlflow.log_artifact(str(png), "plots")
    return log_spark_model(r.model, "model")


@dataclass
class Promotion:
    """The registry outcome of one training run."""

    version: str
    promoted: bool
    reason: str
    challenger_metric: float
    champion_metric: float | None
    champion_version: str | None


def champion_version(client: Any, name: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, CHAMPION).version)
    except Exception:  # no registered model or no alias yet
        return None


def validation_auc(model: PipelineModel, valid: DataFrame) -> float:
    """AUC of `model` on labelled rows (`label` 0/1)."""
    return auc_scores(with_probability(model.transform(valid)).select(LABEL, PROB), LABEL, PROB)["auc"]


def outdated_profile(run_id: str) -> str | None:
    """Why the reason profile logged in run `run_id` cannot explain today's scores (absent, or made by an
    older reason method), or None when it can: such a champion cannot serve score_churn."""
    import mlflow

    from lifecircle.models.reasons import REASON_METHOD

    try:
        profile = mlflow.artifacts.load_dict(f"runs:/{run_id}/{PROFILE_ARTIFACT}")
    except Exception:
        return "it has no reason profile"
    method = profile.get("method") if isinstance(profile, dict) else None
    return None if method == REASON_METHOD else f"its reason profile is of an older method ({method or 'z-score'})"


def register_and_promote(name: str, model_uri: str, run_id: str, challenger_metric: float, valid: DataFrame,
                         min_improvement: float = 0.0,
                         champion_check: Callable[[str], str | None] | None = None) -> Promotion:
    """Register `model_uri` as a new version of `name` with alias challenger; evaluate the current champion on
    the same validation rows and move `champion` to the new version only if it is better by more than
    `min_improvement` (or there is no usable champion: `champion_check(champion run id)` may name why it is
    unusable beyond scoring, e.g. outdated_profile). Tags the version and the run with the decision."""
    import mlflow
    import mlflow.spark
    from mlflow import MlflowClient

    client = MlflowClient()
    mv = mlflow.register_model(model_uri, name)
    version = str(mv.version)
    client.set_registered_model_alias(name, CHALLENGER, version)
    current = champion_version(client, name)
    champ_metric: float | None = None
    if current is None:
        promoted, reason = True, "no champion yet"
    elif champion_check and (unusable := champion_check(client.get_model_version(name, current).run_id)):
        promoted, reason = True, f"champion v{current} cannot serve: {unusable}"
    else:
        try:
            champ = mlflow.spark.load_model(f"models:/{name}@{CHAMPION}")
            champ_metric = validation_auc(champ, valid)
        except Exception as exc:  # e.g. the champion needs columns the table no longer has
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            promoted, reason = True, f"champion v{current} cannot score the validation month ({first})"
        else:
            promoted = challenger_metric > champ_metric + min_improvement
            cmp = ">" if promoted else "<="
            reason = (f"challenger AUC {challenger_metric:.4f} {cmp} champion v{current} AUC {champ_metric:.4f}"
                      f" + {min_improvement} on the same validation month")
    if promoted:
        client.set_registered_model_alias(name, CHAMPION, version)
    decision = "promoted" if promoted else "not_promoted"
    for k, v in (("promotion", decision), ("promotion_reason", reason)):
        client.set_model_version_tag(name, version, k, v)
        client.set_tag(run_id, k, v)
    metrics = {"promotion_challenger_auc": challenger_metric}
    if champ_metric is not None:
        metrics["promotion_champion_auc"] = champ_metric
    for k, v in metrics.items():
        client.log_metric(run_id, k, v)
    log.info("model %s v%s: %s (%s)", name, version, decision, reason)
    return Promotion(version, promoted, reason, challenger_metric, champ_metric, current)


def load_champion(name: str) -> tuple[PipelineModel, dict[str, Any], dict[str, Any], str]:
    """The champion PipelineModel with its feature spec, reason profile and version."""
    import mlflow
    import mlflow.spark
    from mlflow import MlflowClient

    client = MlflowClient()
    mv = client.get_model_version_by_alias(name, CHAMPION)
    model = mlflow.spark.load_model(f"models:/{name}@{CHAMPION}")
    spec = mlflow.artifacts.load_dict(f"runs:/{mv.run_id}/{FEATURES_ARTIFACT}")
    profile = mlflow.artifacts.load_dict(f"runs:/{mv.run_id}/{PROFILE_ARTIFACT}")
    return model, spec, profile, str(mv.version)


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=str)
