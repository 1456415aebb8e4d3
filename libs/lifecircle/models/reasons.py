"""Why a subscriber scores high: each feature's evidence = how much likelier churn is at the subscriber's
value than on average (the log of the smoothed churn-rate lift of the value's quantile bucket, or of the
category), counted only upwards and weighted by the feature's model importance to a configured power;
features roll up into reason families by configured column-name patterns, a family scoring as its strongest
feature. All native expressions. See docs/churn.md.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError
from lifecircle.models.features import LABEL, FeatureSpec

REASON_DETAIL_TYPE = "array<struct<family:string,feature:string,score:double>>"
# quantile cut points of a numeric feature: both tails finely, so a rare extreme value gets its own bucket
DEFAULT_QUANTILES = (0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99)
NULL_BUCKET = "null"
REASON_METHOD = "lift"  # the profile["method"] this code explains with; older profiles are refused


def family_of(column: str, families: dict[str, list[str]]) -> str | None:
    """The first reason family whose column-name patterns (regex, case-insensitive) match, else None."""
    for fam, patterns in (families or {}).items():
        for p in patterns or []:
            if re.search(p, column, flags=re.IGNORECASE):
                return fam
    return None


def scoring_options(reasons: dict[str, Any]) -> dict[str, Any]:
    """The `churn.reasons` config section → add_reasons keyword arguments (top_k, clip, importance_power)."""
    return {"top_k": int(reasons.get("top_k", 3)), "clip": float(reasons.get("evidence_clip", 3.0)),
            "importance_power": float(reasons.get("importance_power", 0.25))}


def profile_options(reasons: dict[str, Any]) -> dict[str, Any]:
    """The `churn.reasons` config section → reason_profile keyword arguments."""
    return {"max_features": int(reasons.get("max_features", 40)),
            "quantiles": tuple(reasons.get("quantiles") or DEFAULT_QUANTILES),
            "smoothing": float(reasons.get("smoothing", 100.0))}


def bucket_of(x: Column, cuts: list[float]) -> Column:
    """A numeric value's bucket label: the number of cut points below it ('0'..len(cuts)), 'null' for null."""
    n = sum((F.when(x > F.lit(float(c)), 1).otherwise(0) for c in cuts), F.lit(0))
    return F.when(x.isNull(), F.lit(NULL_BUCKET)).otherwise(n.cast("string"))


def reason_profile(prepared: DataFrame, spec: FeatureSpec, importances: dict[str, float],
                   families: dict[str, list[str]], max_features: int = 40,
                   quantiles: tuple[float, ...] | list[float] = DEFAULT_QUANTILES,
                   smoothing: float = 100.0) -> dict[str, Any]:
    """Prepared training rows (imputed i__/k__ columns and `label`) in; the small JSON profile that scoring
    needs out: per numeric feature its quantile cut points and each bucket's churn-rate lift, per category
    value its lift, the base rate, importances and families (two aggregations). Lifts are smoothed towards 1
    with `smoothing` pseudo-rows at the base rate, so a thin bucket cannot claim a large lift."""
    top = [c for c, v in sorted(importances.items(), key=lambda kv: -kv[1]) if v > 0][:max_features]
    nums = [c for c in spec.numeric_like if c in top]
    cats = [c for c in spec.categorical if c in top]
    y = F.col(LABEL)
    probs = sorted({float(q) for q in quantiles if 0.0 < float(q) < 1.0})
    aggs = [F.avg(y).alias("base_rate")]
    aggs += [F.percentile_approx(F.col(spec.imp_col(c)).cast("double"), probs, 10000).alias(f"q_{i}")
             for i, c in enumerate(nums)] if probs else []
    row = prepared.agg(*aggs).first().asDict()
    base = float(row["base_rate"] or 0.0)
    cuts = {c: sorted({float(v) for v in (row.get(f"q_{i}") or []) if v is not None}) for i, c in enumerate(nums)}
    labels = [F.struct(F.lit(c).alias("col"), bucket_of(F.col(spec.imp_col(c)).cast("double"), cuts[c]).alias("value"))
              for c in nums]
    labels += [F.struct(F.lit(c).alias("col"), F.col(spec.cat_col(c)).cast("string").alias("value")) for c in cats]
    lifts: dict[str, dict[str, float]] = {c: {} for c in nums + cats}
    if labels and base > 0:
        rows = (prepared.select(F.explode(F.array(*labels)).alias("p"), y).groupBy("p.col", "p.value")
                .agg(F.count(F.lit(1)).alias("n"), F.sum(y).alias("pos")).collect())  # ok: one row per bucket
        for r in rows:
            rate = (float(r["pos"] or 0.0) + smoothing * base) / (float(r["n"]) + smoothing)
            lifts[r["col"]][r["value"]] = rate / base
    return {
        "method": REASON_METHOD, "base_rate": base, "smoothing": smoothing,
        "numeric": {c: {"cuts": cuts[c], "lift": lifts[c]} for c in nums},
        "categorical": {c: lifts[c] for c in cats},
        "importances": {c: importances[c] for c in top},
        "families": {c: family_of(c, families) for c in top},
    }


def _evidence(key: Column, lifts: dict[str, float], clip: float) -> Column:
    """log(lift) of the value's bucket or category, clipped to [0, clip]; 0 for a value never seen in training."""
    if not lifts:
        return F.lit(0.0)
    lookup = F.create_map(*[x for v, lift in lifts.items() for x in (F.lit(v), F.lit(math.log(max(lift, 1e-9))))])
    return F.least(F.greatest(F.coalesce(lookup[key], F.lit(0.0)), F.lit(0.0)), F.lit(clip))


def _contributions(spec: FeatureSpec, profile: dict[str, Any], clip: float,
                   importance_power: float) -> list[tuple[str, str | None, Column]]:
    out = []
    imp = profile["importances"]
    for c, p in profile["numeric"].items():
        x = F.col(spec.imp_col(c)).cast("double")
        s = _evidence(bucket_of(x, p["cuts"]), p["lift"], clip)
        out.append((c, profile["families"].get(c), s * F.lit(float(imp[c]) ** importance_power)))
    for c, lifts in profile["categorical"].items():
        if not lifts:
            continue
        s = _evidence(F.col(spec.cat_col(c)).cast("string"), lifts, clip)
        out.append((c, profile["families"].get(c), s * F.lit(float(imp[c]) ** importance_power)))
    return out


def add_reasons(prepared: DataFrame, spec: FeatureSpec, profile: dict[str, Any], top_k: int = 3,
                clip: float = 3.0, unmapped: str = "feature", importance_power: float = 0.25) -> DataFrame:
    """Prepared rows in; plus `top_reasons` (array<string>: the top-k families, strongest first) and
    `reason_details` (the top-k features with family and contribution) out.

    `unmapped="feature"` lets a feature without a family stand as its own reason (operators' own tables);
    `"drop"` keeps only the configured families in `top_reasons` (the panorama)."""
    if profile.get("method") != REASON_METHOD:
        raise InputError("the churn model's reason profile predates lift-based reasons: retrain it (train_churn)")
    contribs = _contributions(spec, profile, clip, importance_power)
    if not contribs:
        return (prepared.withColumn("top_reasons", F.array().cast("array<string>"))
                .withColumn("reason_details", F.array().cast(REASON_DETAIL_TYPE)))
    feats = F.array(*[F.struct(score.cast("double").alias("score"), F.lit(fam or c).alias("family"),
                               F.lit(c).alias("feature")) for c, fam, score in contribs])
    by_family: dict[str, list[Column]] = {}
    for c, fam, score in contribs:
        if fam is None and unmapped != "feature":
            continue
        by_family.setdefault(fam or c, []).append(score)
    fam_scores = F.array(*[F.struct((F.greatest(*scores) if len(scores) > 1 else scores[0]).cast("double").alias("score"),
                                    F.lit(fam).alias("family")) for fam, scores in by_family.items()]) \
        if by_family else F.array().cast("array<struct<score:double,family:string>>")
    top_fam = F.slice(F.sort_array(F.filter(fam_scores, lambda x: x["score"] > 0), asc=False), 1, top_k)
    top_feat = F.slice(F.sort_array(F.filter(feats, lambda x: x["score"] > 0), asc=False), 1, top_k)
    return (prepared
            .withColumn("top_reasons", F.transform(top_fam, lambda x: x["family"]))
            .withColumn("reason_details", F.transform(top_feat, lambda x: F.struct(
                x["family"].alias("family"), x["feature"].alias("feature"),
                F.round(x["score"], 4).alias("score")))))
