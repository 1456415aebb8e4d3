"""The churn trainer for any feature table, shared by `lifecircle churn fit|score` and the panorama jobs:
labelled rows in, a chosen PipelineModel plus its validation evaluation and reason profile out; and
scoring: a model and rows in, id, churn_probability, rank, decile and reasons out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.ml import PipelineModel
from pyspark.ml.feature import ImputerModel, SQLTransformer
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError
from lifecircle.core.spark import reuse
from lifecircle.models.evaluation import Evaluation, add_rank_decile, evaluate
from lifecircle.models.features import LABEL, FeatureSpec, class_counts, with_class_weights
from lifecircle.models.reasons import add_reasons, profile_options, reason_profile
from lifecircle.models.training import PROB, TrainResult, fit_select, with_probability


@dataclass
class TrainedChurn:
    """A trained churn model with everything needed to score, explain and report it."""

    result: TrainResult
    spec: FeatureSpec
    profile: dict[str, Any]
    validation: Evaluation
    counts: dict[str, int]

    @property
    def model(self) -> PipelineModel:
        return self.result.model


def train_churn(train: DataFrame, valid: DataFrame, spec: FeatureSpec, section: dict[str, Any],
                refit: bool = False) -> TrainedChurn:
    """Train and validation rows carrying `label` (0/1) in; the best model, its validation evaluation
    (probabilities from the model fit on train only) and the reason profile out."""
    pos, neg = class_counts(train)
    if pos == 0 or neg == 0:
        raise InputError(f"training rows have {pos} churners and {neg} non-churners: need both classes")
    weighted = bool(section.get("class_weights", True))
    train_w = with_class_weights(train, pos, neg, weighted)
    valid_w = with_class_weights(valid, pos, neg, weighted)
    result = fit_select(train_w, valid_w, spec, section, refit=False, weighted=weighted)
    scored = reuse(with_probability(result.model.transform(valid)).select(LABEL, PROB))
    try:
        ev = evaluate(scored, LABEL, PROB, float(section.get("operating_threshold", 0.5)))
    finally:
        scored.unpersist()
    vpos, vneg = class_counts(valid)
    if refit:
        result = fit_select(train_w.unionByName(valid_w), valid_w, spec,
                            {**section, "candidates": [result.kind],
                             "grid": {result.kind: {k: [v] for k, v in result.params.items()}}},
                            refit=False, weighted=weighted)
    # the profile reads only the parsed (k__) and imputed (i__) columns: the bucket, one-hot and assembler stages
    # would only widen the plan it has to optimise
    parse_impute = [s for s in result.model.stages if isinstance(s, SQLTransformer | ImputerModel)]
    prepared = PipelineModel(stages=parse_impute).transform(train)
    reasons = section.get("reasons") or {}
    profile = reason_profile(prepared, spec, result.importances, reasons.get("families") or {},
                             **profile_options(reasons))
    counts = {"train_rows": pos + neg, "train_churners": pos, "valid_rows": vpos + vneg, "valid_churners": vpos}
    return TrainedChurn(result=result, spec=spec, profile=profile, validation=ev, counts=counts)


def score_churn(model: PipelineModel, spec: FeatureSpec, profile: dict[str, Any], df: DataFrame, id_col: str,
                top_k: int = 3, clip: float = 3.0, unmapped: str = "feature", keep: tuple[str, ...] = (),
                importance_power: float = 0.25) -> DataFrame:
    """Rows with the model's feature columns and `id_col` in; id, churn_probability, rank, decile,
    top_reasons, reason_details (and any `keep` columns) out, ranked riskiest first."""
    out = with_probability(model.transform(df))
    out = add_reasons(out, spec, profile, top_k=top_k, clip=clip, unmapped=unmapped, importance_power=importance_power)
    out = out.select(id_col, *keep, PROB, "top_reasons", "reason_details")
    return add_rank_decile(out, PROB, tie_break=id_col)


def risk_grade(grades: dict[str, int]) -> Any:
    """`decile` in, `risk_grade` out: the first grade (in config order) whose upper decile bound holds it."""
    expr = None
    for grade, upto in grades.items():
        cond = F.col("decile") <= F.lit(int(upto))
        expr = F.when(cond, F.lit(grade)) if expr is None else expr.when(cond, F.lit(grade))
    return expr.otherwise(F.lit(None).cast("string")) if expr is not None else F.lit(None).cast("string")


def save_bundle(trained: TrainedChurn, folder: Path, meta: dict[str, Any]) -> None:
    """A model directory for the CLI: `pipeline/` (the Spark PipelineModel) and `churn_model.json`."""
    folder.mkdir(parents=True, exist_ok=True)
    trained.model.write().overwrite().save(str(folder / "pipeline"))
    doc = {
        **meta, "features": trained.spec.to_dict(), "profile": trained.profile,
        "model_kind": trained.result.kind, "model_params": trained.result.params,
        "validation_auc": trained.result.validation_auc, "candidates": trained.result.candidates,
        "validation": trained.validation.as_dict(), "counts": trained.counts,
    }
    (folder / "churn_model.json").write_text(json.dumps(doc, indent=2, default=str))


def load_bundle(folder: Path) -> tuple[PipelineModel, dict[str, Any]]:
    """The PipelineModel and metadata saved by save_bundle; InputError when the folder is not a model."""
    meta_path = folder / "churn_model.json"
    if not meta_path.exists() or not (folder / "pipeline").exists():
        raise InputError(f"{folder}: not a churn model directory (no churn_model.json / pipeline/)")
    return PipelineModel.load(str(folder / "pipeline")), json.loads(meta_path.read_text())
