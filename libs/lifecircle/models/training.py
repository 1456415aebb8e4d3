"""Model selection for churn: one preprocessing pipeline fit once, its assembled vectors cached, then
gradient-boosted trees, random forest and logistic regression over a small parameter grid, each scored
on the validation set; the best becomes the last stage of one PipelineModel (preparation + model).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import GBTClassifier, LogisticRegression, RandomForestClassifier
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.core.errors import ConfigError
from lifecircle.core.log import get_logger
from lifecircle.core.spark import reuse
from lifecircle.models.evaluation import auc_scores
from lifecircle.models.features import FEATURES, LABEL, WEIGHT, FeatureSpec, preprocessing_stages, safe_name

PROB = "churn_probability"
ESTIMATORS = {"gbt": GBTClassifier, "rf": RandomForestClassifier, "lr": LogisticRegression}
log = get_logger("churn.training")


def grid(section: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The (model kind, parameters) combinations to try, from `candidates` and `grid.<kind>` in churn config."""
    out = []
    for kind in section.get("candidates", ["gbt", "rf", "lr"]):
        if kind not in ESTIMATORS:
            raise ConfigError(f"churn.candidates: unknown model '{kind}' (known: {', '.join(ESTIMATORS)})")
        params = (section.get("grid") or {}).get(kind) or {}
        keys = sorted(params)
        for values in itertools.product(*[params[k] if isinstance(params[k], list) else [params[k]] for k in keys]):
            out.append((kind, dict(zip(keys, values))))
    if not out:
        raise ConfigError("churn.candidates is empty: nothing to train")
    return out


def make_estimator(kind: str, params: dict[str, Any], seed: int, weighted: bool = True):
    est = ESTIMATORS[kind](featuresCol=FEATURES, labelCol=LABEL, **params)
    if weighted:
        est.setWeightCol(WEIGHT)
    if kind in ("gbt", "rf"):
        est.setSeed(seed)
    return est


def with_probability(df: DataFrame) -> DataFrame:
    """A model's output in, plus `churn_probability` (the positive class's probability, a double) out."""
    return df.withColumn(PROB, vector_to_array(F.col("probability")).getItem(1))


@dataclass
class TrainResult:
    """The chosen PipelineModel and what the search saw."""

    model: PipelineModel
    kind: str
    params: dict[str, Any]
    validation_auc: float
    candidates: list[dict[str, Any]] = field(default_factory=list)
    importances: dict[str, float] = field(default_factory=dict)  # source column -> share


def slot_names(df: DataFrame) -> list[str]:
    """The assembled vector's slot names from its ML attribute metadata, in slot order."""
    attrs = df.schema[FEATURES].metadata.get("ml_attr", {}).get("attrs", {})
    slots: dict[int, str] = {}
    for group in attrs.values():
        for a in group:
            slots[int(a["idx"])] = a.get("name", str(a["idx"]))
    return [slots.get(i, str(i)) for i in range(len(slots))]


def source_column(slot: str, spec: FeatureSpec) -> str:
    """Map a vector slot name (i__x, o__x_value) back to its source column."""
    for c in spec.numeric_like:
        if slot == spec.imp_col(c):
            return c
    for c in sorted(spec.numeric, key=len, reverse=True):
        if slot.startswith(f"b__{safe_name(c)}_") or slot == f"b__{safe_name(c)}":
            return c
    for c in sorted(spec.categorical, key=len, reverse=True):
        if slot.startswith(f"o__{safe_name(c)}_") or slot == f"o__{safe_name(c)}":
            return c
    return slot


def importances(model: Any, kind: str, slots: list[str], spec: FeatureSpec,
                slot_std: list[float] | None = None) -> dict[str, float]:
    """Global importance per source column (sums to 1): tree importances, or |coefficient| x slot std for LR."""
    if kind == "lr":
        coef = model.coefficients.toArray()
        std = slot_std or [1.0] * len(coef)
        raw = [abs(float(c)) * float(s) for c, s in zip(coef, std)]
    else:
        raw = [float(v) for v in model.featureImportances.toArray()]
    per: dict[str, float] = {}
    for name, v in zip(slots, raw):
        src = source_column(name, spec)
        per[src] = per.get(src, 0.0) + v
    total = sum(per.values()) or 1.0
    return {k: v / total for k, v in sorted(per.items(), key=lambda kv: -kv[1])}


def slot_stddevs(vec: DataFrame, size: int) -> list[float]:
    """Sample standard deviation of each assembled slot, to scale LR coefficients: one pass of MLlib's vector
    Summarizer (one `getItem` aggregate per slot re-expanded the whole vector for each of ~1,800 slots: 43 s on
    the demo's 1,900 rows)."""
    from pyspark.ml.stat import Summarizer

    row = vec.select(Summarizer.metrics("variance").summary(F.col(FEATURES)).alias("s")).first()
    variance = row["s"]["variance"].toArray() if row is not None else []
    if len(variance) != size:
        raise ValueError(f"feature vectors have {len(variance)} slots, expected {size}")
    return [math.sqrt(v) if v > 0 else 0.0 for v in variance]


def fit_select(train: DataFrame, valid: DataFrame, spec: FeatureSpec, section: dict[str, Any],
               refit: bool = False, weighted: bool = True) -> TrainResult:
    """Labelled, weighted train and validation frames in; the best candidate by validation AUC out.

    Preprocessing is fit on `train` only; assembled vectors of both sets are cached once and reused by every
    candidate. With `refit` the winner is refit on train + validation (same parameters)."""
    seed = int(section.get("seed", 42))
    partitions = int(section.get("train_partitions", 4))
    prep = Pipeline(stages=preprocessing_stages(spec, int(section.get("numeric_bins", 0)))).fit(train)
    keep = [FEATURES, LABEL, WEIGHT]
    train_vec = reuse(prep.transform(train).select(*keep).repartition(partitions))
    valid_vec = reuse(prep.transform(valid).select(*keep).repartition(partitions))
    slots = slot_names(train_vec)
    results: list[dict[str, Any]] = []
    best: tuple[float, str, dict[str, Any], Any] | None = None
    try:
        for kind, params in grid(section):
            t0 = time.perf_counter()
            model = make_estimator(kind, params, seed, weighted).fit(train_vec)
            auc = auc_scores(with_probability(model.transform(valid_vec)), LABEL, PROB)["auc"]
            seconds = time.perf_counter() - t0
            results.append({"kind": kind, "params": params, "validation_auc": auc, "seconds": round(seconds, 2)})
            log.info("candidate %s %s: validation AUC %.4f (%.1fs)", kind, params, auc, seconds)
            if best is None or auc > best[0]:
                best = (auc, kind, params, model)
        assert best is not None
        auc, kind, params, model = best
        if refit:
            model = make_estimator(kind, params, seed, weighted).fit(train_vec.unionByName(valid_vec))
        std = slot_stddevs(train_vec, len(slots)) if kind == "lr" else None
        imp = importances(model, kind, slots, spec, std)
    finally:
        train_vec.unpersist()
        valid_vec.unpersist()
    full = PipelineModel(stages=list(prep.stages) + [model])
    return TrainResult(model=full, kind=kind, params=params, validation_auc=auc, candidates=results,
                       importances=imp)


def score(model: PipelineModel, df: DataFrame) -> DataFrame:
    """Any frame with the feature columns in; the same frame plus `churn_probability` out (helper columns dropped)."""
    out = with_probability(model.transform(df))
    helpers = [c for c in out.columns if c not in df.columns and c != PROB]
    return out.drop(*helpers)
