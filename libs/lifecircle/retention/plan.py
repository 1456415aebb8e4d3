"""Assemble the retention plan row per subscriber: churn scores × panorama, with segments, plan fit, next
best offer, family circle and the highest early-warning alert left-joined when those tables exist; then
priority, offers, budget cut, channels and the card."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.retention.card import with_cards
from lifecircle.retention.channels import assign_channels, parse_channels
from lifecircle.retention.offers import Offer, match_offers
from lifecircle.retention.priority import budget_cut, thresholds, with_priority, with_quadrant

# optional inputs: their columns (renamed on the plan row) and SQL types, null when the table is absent
OPTIONAL_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "segments": {c: (c, "string") for c in ("behaviour_segment", "behaviour_name", "value_segment", "value_name",
                                              "strategic_segment", "strategic_name", "sub_segment", "sub_name")},
    "plan_fit": {"current_plan_id": ("current_plan_id", "string"), "best_plan_id": ("best_plan_id", "string"),
                 "saving": ("saving", "double"), "rule": ("plan_fit_rule", "string")},
    "next_best_offer": {"product_id": ("nbo_product_id", "string"), "propensity": ("nbo_propensity", "double"),
                        "expected_value": ("nbo_expected_value", "double")},
    "social": {"family_circle_id": ("family_circle_id", "string"), "family_size": ("family_size", "int")},
    "circles": {"home_store_id": ("circle_home_store_id", "string"),
                "home_district": ("circle_home_district", "string")},
}
PANORAMA_DEFAULTS = {"arpu": "double", "tenure_months": "double", "region_store_id": "string",
                     "region_district": "string"}


def _attach(base: DataFrame, df: DataFrame | None, cols: dict[str, tuple[str, str]]) -> DataFrame:
    """Left-join `cols` of `df` (one row per subscriber_id) onto base, renamed and cast; nulls when df is None."""
    if df is None:
        return base.withColumns({new: F.lit(None).cast(t) for new, t in cols.values()})
    have = set(df.columns)
    sel = [F.col(c).cast(t).alias(new) if c in have else F.lit(None).cast(t).alias(new) for c, (new, t) in cols.items()]
    right = df.select(F.col("subscriber_id"), *sel).dropDuplicates(["subscriber_id"])
    return base.drop(*[new for new, _ in cols.values() if new in base.columns]).join(right, "subscriber_id", "left")


def top_alerts(alerts: DataFrame | None) -> DataFrame | None:
    """gold.alerts rows (subscriber_id, rule, level, level_rank) in; the highest-level alert per subscriber out
    (alert_level, alert_rank, alert_rule, alert_rules = every rule triggered)."""
    if alerts is None:
        return None
    best = F.max(F.struct(F.col("level_rank"), F.col("level"), F.col("rule")))
    return (alerts.groupBy("subscriber_id").agg(best.alias("_b"), F.sort_array(F.collect_set("rule")).alias("alert_rules"))
            .select("subscriber_id", F.col("_b.level").alias("alert_level"), F.col("_b.level_rank").alias("alert_rank"),
                    F.col("_b.rule").alias("alert_rule"), "alert_rules"))


def assemble(scores: DataFrame, panorama: DataFrame, optional: dict[str, DataFrame | None],
             alerts: DataFrame | None) -> DataFrame:
    """One month's churn scores and panorama (plus optional inputs keyed by OPTIONAL_COLUMNS' names) in; one row
    per scored subscriber out: every panorama column, the scores, the optional columns (null when absent),
    home_store_id / home_district (life circle first, else the panorama's region) and the top alert."""
    pano = panorama.drop("month", *[c for c in scores.columns if c not in ("subscriber_id",)])
    for c, t in PANORAMA_DEFAULTS.items():
        if c not in pano.columns:
            pano = pano.withColumn(c, F.lit(None).cast(t))
    base = scores.join(pano, "subscriber_id", "inner")
    for name, cols in OPTIONAL_COLUMNS.items():
        base = _attach(base, optional.get(name), cols)
    base = _attach(base, top_alerts(alerts), {"alert_level": ("alert_level", "string"),
                                              "alert_rank": ("alert_rank", "int"),
                                              "alert_rule": ("alert_rule", "string"),
                                              "alert_rules": ("alert_rules", "array<string>")})
    return base.withColumns({
        "home_store_id": F.coalesce(F.col("circle_home_store_id"), F.col("region_store_id").cast("string")),
        "home_district": F.coalesce(F.col("circle_home_district"), F.col("region_district").cast("string")),
    })


PLAN_COLUMNS = (
    "subscriber_id", "month", "churn_probability", "rank", "decile", "risk_grade", "top_reasons", "model_version",
    "arpu", "tenure_months", "home_store_id", "home_district", "strategic_segment", "strategic_name",
    "value_segment", "behaviour_segment", "plan_fit_rule", "current_plan_id", "best_plan_id", "recommended_plan",
    "nbo_product_id", "family_circle_id", "family_size", "expected_months", "value_at_stake", "response_rate",
    "efficiency", "priority", "high_churn", "high_efficiency", "quadrant", "eligible_offers", "offer_id",
    "offer_kind", "offer_name_zh", "offer_name_en", "offer_cost", "offer_reason_score", "plan_rank",
    "cumulative_cost", "in_plan", "preferred_channel", "channel", "channel_rank", "alert_level", "alert_rank",
    "alert_rule", "alert_rules", "traits", "talking_points_zh", "talking_points_en", "card_json", "script_zh",
    "script_en",
)


def build_plan(base: DataFrame, section: dict[str, Any], offers: list[Offer]) -> DataFrame:
    """An assembled month (see assemble) and the retention config section in; PLAN_COLUMNS out. Runs one
    quantile pass when the quadrant thresholds are quantiles."""
    scored = with_priority(base, section.get("value") or {}, section.get("response") or {})
    t = thresholds(scored, section.get("quadrants") or {})
    planned = budget_cut(match_offers(with_quadrant(scored, t), offers), section.get("budget") or {})
    routed = assign_channels(planned, parse_channels(section.get("channels")))
    carded = with_cards(routed, (section.get("card") or {}).get("talking_points") or {}, offers)
    return carded.select(*PLAN_COLUMNS)
