"""Action priority (seed 000 行动优先级评分): priority = churn probability × retention efficiency, where
efficiency = value at stake (ARPU × tenure-weighted expected remaining months) × the segment's expected
response to retention; quadrants A/B/C/D by churn and efficiency thresholds; a budget-aware cut."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lifecircle.core.errors import ConfigError

QUADRANTS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Thresholds:
    """High churn = churn_probability >= churn; high efficiency = efficiency >= efficiency."""

    churn: float
    efficiency: float


def _num(section: dict[str, Any], key: str, default: float) -> float:
    v = section.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
        raise ConfigError(f"retention.{key}: must be a number >= 0 (got {v!r})")
    return float(v)


def expected_months(tenure_months: Column, value_cfg: dict[str, Any]) -> Column:
    """Expected remaining months: base + months per tenure year × tenure years, capped at max."""
    base = _num(value_cfg, "base_months", 6.0)
    per_year = _num(value_cfg, "months_per_tenure_year", 2.0)
    cap = _num(value_cfg, "max_months", 24.0)
    m = F.lit(base) + F.lit(per_year) * F.coalesce(tenure_months.cast("double"), F.lit(0.0)) / F.lit(12.0)
    return F.least(m, F.lit(cap))


def response_rate(response_cfg: dict[str, Any]) -> Column:
    """The segment's expected response to retention: by strategic, then value, then behaviour segment id."""
    default = _num(response_cfg, "default", 0.3)
    by = response_cfg.get("by_segment") or {}
    if not isinstance(by, dict):
        raise ConfigError("retention.response.by_segment: must be a mapping of segment id -> rate")
    for k, v in by.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise ConfigError(f"retention.response.by_segment.{k}: must be a rate in [0, 1] (got {v!r})")
    if not by:
        return F.lit(default)
    m = F.create_map(*[x for k, v in by.items() for x in (F.lit(str(k)), F.lit(float(v)))])
    return F.coalesce(m[F.col("strategic_segment")], m[F.col("value_segment")], m[F.col("behaviour_segment")],
                      F.lit(default))


def with_priority(df: DataFrame, value_cfg: dict[str, Any], response_cfg: dict[str, Any]) -> DataFrame:
    """Rows with churn_probability, arpu, tenure_months and segment ids in; adds expected_months,
    value_at_stake (yuan), response_rate, efficiency (yuan expected to be kept) and priority."""
    arpu = F.greatest(F.coalesce(F.col("arpu").cast("double"), F.lit(0.0)), F.lit(0.0))
    return (df.withColumns({
        "expected_months": expected_months(F.col("tenure_months"), value_cfg),
        "response_rate": response_rate(response_cfg),
    }).withColumn("value_at_stake", arpu * F.col("expected_months"))
      .withColumn("efficiency", F.col("value_at_stake") * F.col("response_rate"))
      .withColumn("priority", F.coalesce(F.col("churn_probability"), F.lit(0.0)) * F.col("efficiency")))


def thresholds(df: DataFrame, quad_cfg: dict[str, Any]) -> Thresholds:
    """The month's thresholds: absolute ones from config when > 0, else the configured quantiles
    (one approximate-quantile pass over the scored rows)."""
    churn = _num(quad_cfg, "churn_probability_min", 0.0)
    eff = _num(quad_cfg, "efficiency_min", 0.0)
    cols, probs = [], []
    if churn <= 0:
        cols.append("churn_probability")
        probs.append(_num(quad_cfg, "churn_quantile", 0.8))
    if eff <= 0:
        cols.append("efficiency")
        probs.append(_num(quad_cfg, "efficiency_quantile", 0.5))
    if cols:
        row = df.agg(*[F.percentile_approx(c, p, 1000).alias(c) for c, p in zip(cols, probs)]).first()
        churn = churn if churn > 0 else float(row["churn_probability"] or 0.0)
        eff = eff if eff > 0 else float(row["efficiency"] or 0.0)
    return Thresholds(churn, eff)


def with_quadrant(df: DataFrame, t: Thresholds) -> DataFrame:
    """Rows with churn_probability and efficiency in; adds high_churn, high_efficiency and quadrant:
    A = high churn & high efficiency (first, seed 000), B = high churn only, C = high efficiency only, D = neither."""
    hc = F.coalesce(F.col("churn_probability") >= F.lit(t.churn), F.lit(False))
    he = F.coalesce(F.col("efficiency") >= F.lit(t.efficiency), F.lit(False))
    q = F.when(hc & he, "A").when(hc, "B").when(he, "C").otherwise("D")
    return df.withColumns({"high_churn": hc, "high_efficiency": he, "quadrant": q})


def budget_cut(df: DataFrame, budget_cfg: dict[str, Any]) -> DataFrame:
    """Rows with quadrant, priority and offer_cost in; adds plan_rank (1 = first to contact: quadrant order,
    then priority) for the budget's quadrants, cumulative_cost, and in_plan (within the top N and the spend
    budget; 0 = no cap). Subscribers without an eligible offer can still be in the plan (a contact only)."""
    quads = budget_cfg.get("quadrants", ["A", "B", "C"])
    if not isinstance(quads, list) or any(q not in QUADRANTS for q in quads):
        raise ConfigError(f"retention.budget.quadrants: must be a list of {', '.join(QUADRANTS)} (got {quads!r})")
    max_n = int(_num(budget_cfg, "max_subscribers", 0))
    max_spend = _num(budget_cfg, "max_spend", 0.0)
    qorder = F.create_map(*[x for i, q in enumerate(quads) for x in (F.lit(q), F.lit(i))])
    cand = F.coalesce(F.col("quadrant").isin(*quads), F.lit(False)) if quads else F.lit(False)
    # one window over the month's candidates: the cut is a global ranking (the plan is at most a few 100k rows)
    w = Window.partitionBy("_cand").orderBy(qorder[F.col("quadrant")], F.col("priority").desc_nulls_last(),
                                            F.col("subscriber_id"))
    out = df.withColumn("_cand", cand).withColumns({
        "_rank": F.row_number().over(w),
        "_cum": F.sum(F.coalesce(F.col("offer_cost"), F.lit(0.0))).over(w.rowsBetween(Window.unboundedPreceding, 0)),
    })
    ok = F.col("_cand")
    if max_n > 0:
        ok = ok & (F.col("_rank") <= max_n)
    if max_spend > 0:
        ok = ok & (F.col("_cum") <= max_spend)
    return (out.withColumns({
        "plan_rank": F.when(F.col("_cand"), F.col("_rank")),
        "cumulative_cost": F.when(F.col("_cand"), F.col("_cum")),
        "in_plan": ok,
    }).drop("_cand", "_rank", "_cum"))
