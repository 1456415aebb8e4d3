"""Why a subscriber scores high: each feature's contribution = its global importance x how far the
subscriber's value sits from the non-churners' in the direction churners differ (numeric: a clipped
z-score against the non-churner mean; categorical: the value's churn-rate lift over the base rate);
features roll up into reason families by configured column-name patterns. All native expressions.
See docs/churn.md.
"""

from __future__ import annotations

import re
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lifecircle.models.features import LABEL, FeatureSpec

REASON_DETAIL_TYPE = "array<struct<family:string,feature:string,score:double>>"


def family_of(column: str, families: dict[str, list[str]]) -> str | None:
    """The first reason family whose column-name patterns (regex, case-insensitive) match, else None."""
    for fam, patterns in (families or {}).items():
        for p in patterns or []:
            if re.search(p, column, flags=re.IGNORECASE):
                return fam
    return None


def reason_profile(prepared: DataFrame, spec: FeatureSpec, importances: dict[str, float],
                   families: dict[str, list[str]], max_features: int = 40) -> dict[str, Any]:
    """Prepared training rows (imputed i__/k__ columns and `label`) in; the small JSON profile that scoring
    needs out: per numeric feature the non-churner mean/std and churn direction, per category value its
    churn-rate lift, the base rate, importances and families (two aggregations)."""
    top = [c for c, v in sorted(importances.items(), key=lambda kv: -kv[1]) if v > 0][:max_features]
    nums = [c for c in spec.numeric_like if c in top]
    cats = [c for c in spec.categorical if c in top]
    y = F.col(LABEL)
    aggs = [F.avg(y).alias("base_rate")]
    for i, c in enumerate(nums):
        x = F.col(spec.imp_col(c))
        aggs += [F.avg(F.when(y == 0, x)).alias(f"m0_{i}"), F.stddev(F.when(y == 0, x)).alias(f"s0_{i}"),
                 F.avg(F.when(y == 1, x)).alias(f"m1_{i}")]
    row = prepared.agg(*aggs).first().asDict()
    base = float(row["base_rate"] or 0.0)
    numeric = {}
    for i, c in enumerate(nums):
        m0, s0, m1 = row[f"m0_{i}"], row[f"s0_{i}"], row[f"m1_{i}"]
        if m0 is None or m1 is None or not s0:
            continue
        numeric[c] = {"mean0": float(m0), "std0": float(s0), "direction": 1.0 if m1 >= m0 else -1.0}
    categorical: dict[str, dict[str, float]] = {c: {} for c in cats}
    if cats and base > 0:
        pairs = F.explode(F.array(*[F.struct(F.lit(c).alias("col"), F.col(spec.cat_col(c)).alias("value"))
                                    for c in cats]))
        rows = (prepared.select(pairs.alias("p"), y).groupBy("p.col", "p.value")
                .agg(F.avg(y).alias("rate")).collect())  # ok: one row per feature bucket
        for r in rows:
            categorical[r["col"]][r["value"]] = float(r["rate"]) / base
    return {
        "base_rate": base, "numeric": numeric, "categorical": categorical,
        "importances": {c: importances[c] for c in top},
        "families": {c: family_of(c, families) for c in top},
    }


def _contributions(spec: FeatureSpec, profile: dict[str, Any], clip: float) -> list[tuple[str, str | None, Column]]:
    out = []
    imp = profile["importances"]
    for c, p in profile["numeric"].items():
        z = (F.col(spec.imp_col(c)) - F.lit(p["mean0"])) / F.lit(p["std0"]) * F.lit(p["direction"])
        s = F.least(F.greatest(F.coalesce(z, F.lit(0.0)), F.lit(0.0)), F.lit(clip))
        out.append((c, profile["families"].get(c), s * F.lit(imp[c])))
    for c, lifts in profile["categorical"].items():
        if not lifts:
            continue
        lookup = F.create_map(*[x for v, lift in lifts.items() for x in (F.lit(v), F.lit(lift - 1.0))])
        s = F.least(F.greatest(F.coalesce(lookup[F.col(spec.cat_col(c))], F.lit(0.0)), F.lit(0.0)), F.lit(clip))
        out.append((c, profile["families"].get(c), s * F.lit(imp[c])))
    return out


def add_reasons(prepared: DataFrame, spec: FeatureSpec, profile: dict[str, Any], top_k: int = 3,
                clip: float = 3.0, unmapped: str = "feature") -> DataFrame:
    """Prepared rows in; plus `top_reasons` (array<string>: the top-k families, strongest first) and
    `reason_details` (the top-k features with family and contribution) out.

    `unmapped="feature"` lets a feature without a family stand as its own reason (operators' own tables);
    `"drop"` keeps only the configured families in `top_reasons` (the panorama)."""
    contribs = _contributions(spec, profile, clip)
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
    fam_scores = F.array(*[F.struct(sum(scores[1:], scores[0]).cast("double").alias("score"),
                                    F.lit(fam).alias("family")) for fam, scores in by_family.items()]) \
        if by_family else F.array().cast("array<struct<score:double,family:string>>")
    top_fam = F.slice(F.sort_array(F.filter(fam_scores, lambda x: x["score"] > 0), asc=False), 1, top_k)
    top_feat = F.slice(F.sort_array(F.filter(feats, lambda x: x["score"] > 0), asc=False), 1, top_k)
    return (prepared
            .withColumn("top_reasons", F.transform(top_fam, lambda x: x["family"]))
            .withColumn("reason_details", F.transform(top_feat, lambda x: F.struct(
                x["family"].alias("family"), x["feature"].alias("feature"),
                F.round(x["score"], 4).alias("score")))))
