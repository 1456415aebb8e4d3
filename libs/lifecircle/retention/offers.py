"""Matched policy (seed 003 政策适配): retention offers from conf/offers.yaml mapped to churn reason ×
segment × plan fit, with eligibility and cost. Backward adaptation picks each subscriber's best
eligible offer (or `no_eligible_offer`); forward adaptation counts the subscribers each offer fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lifecircle.core.config import config_expr
from lifecircle.core.errors import ConfigError

NO_OFFER = "no_eligible_offer"
OFFER_KINDS = ("plan_migration", "data_pack", "tenure_upgrade", "family_sharing", "device_subsidy",
               "vas_trial", "service_care", "relocation")
PLAN_FIT_RULES = ("no_plan", "wrong_type", "step_up", "step_down", "none", "unknown_plan")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# score of a reason match by the reason's position in top_reasons (strongest first)
REASON_POSITION_SCORE = (3.0, 2.0, 1.0)


@dataclass(frozen=True)
class Offer:
    """One validated retention offer of offers.yaml."""

    offer_id: str
    kind: str
    name_zh: str
    name_en: str
    reasons: tuple[str, ...]
    segments: tuple[str, ...]
    plan_fit: tuple[str, ...]
    eligible_if: str
    cost: float
    weight: float
    talking_zh: str
    talking_en: str


def _str_list(raw: Any, where: str, allowed: tuple[str, ...] | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ConfigError(f"{where}: must be a list of strings (got {raw!r})")
    if allowed is not None:
        bad = [x for x in raw if x not in allowed]
        if bad:
            raise ConfigError(f"{where}: unknown value(s) {bad} (allowed: {', '.join(allowed)})")
    return tuple(raw)


def _text(raw: Any, where: str, required: bool = True) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str) or (required and not raw.strip()):
        raise ConfigError(f"{where}: must be a non-empty string (got {raw!r})")
    return raw


def _number(raw: Any, where: str, default: float | None = None) -> float:
    if raw is None and default is not None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0:
        raise ConfigError(f"{where}: must be a number >= 0 (got {raw!r})")
    return float(raw)


def parse_offers(doc: Any, families: tuple[str, ...] | None = None) -> list[Offer]:
    """The offers.yaml mapping → validated Offers in file order; ConfigError names the bad field
    (`offers.yaml: offers.<id>.<field>: ...`). `families` are the known churn reason families."""
    if not isinstance(doc, dict) or not isinstance(doc.get("offers"), dict) or not doc["offers"]:
        raise ConfigError("offers.yaml: offers: must be a non-empty mapping of offer id -> offer")
    out = []
    for oid, o in doc["offers"].items():
        w = f"offers.yaml: offers.{oid}"
        if not isinstance(oid, str) or not _ID.match(oid):
            raise ConfigError(f"{w}: offer id must be lower_snake_case")
        if oid == NO_OFFER:
            raise ConfigError(f"{w}: '{NO_OFFER}' is reserved for subscribers without an offer")
        if not isinstance(o, dict):
            raise ConfigError(f"{w}: must be a mapping")
        unknown = sorted(set(o) - {"kind", "name_zh", "name_en", "reasons", "segments", "plan_fit", "eligible_if",
                                   "cost", "weight", "talking_zh", "talking_en"})
        if unknown:
            raise ConfigError(f"{w}.{unknown[0]}: unknown field")
        kind = _text(o.get("kind"), f"{w}.kind")
        if kind not in OFFER_KINDS:
            raise ConfigError(f"{w}.kind: {kind!r} is not one of {', '.join(OFFER_KINDS)}")
        out.append(Offer(
            offer_id=oid, kind=kind, name_zh=_text(o.get("name_zh"), f"{w}.name_zh"),
            name_en=_text(o.get("name_en"), f"{w}.name_en"),
            reasons=_str_list(o.get("reasons"), f"{w}.reasons", families),
            segments=_str_list(o.get("segments"), f"{w}.segments", None),
            plan_fit=_str_list(o.get("plan_fit"), f"{w}.plan_fit", PLAN_FIT_RULES),
            eligible_if=_text(o.get("eligible_if"), f"{w}.eligible_if"),
            cost=_number(o.get("cost"), f"{w}.cost"), weight=_number(o.get("weight"), f"{w}.weight", 0.0),
            talking_zh=_text(o.get("talking_zh"), f"{w}.talking_zh", required=False),
            talking_en=_text(o.get("talking_en"), f"{w}.talking_en", required=False),
        ))
    return out


def _eligible(df: DataFrame, o: Offer) -> Column:
    return F.coalesce(config_expr(df, o.eligible_if, f"offers.yaml: offers.{o.offer_id}.eligible_if"), F.lit(False))


def _reason_score(o: Offer) -> Column:
    if not o.reasons:
        return F.lit(0.0)
    wanted = F.array(*[F.lit(r) for r in o.reasons])
    score = F.lit(None).cast("double")
    for i, s in reversed(list(enumerate(REASON_POSITION_SCORE))):
        score = F.when(F.array_contains(wanted, F.try_element_at(F.col("top_reasons"), F.lit(i + 1))), F.lit(s)).otherwise(score)
    return score  # null = the offer answers none of the subscriber's reasons


def _segment_ok(o: Offer) -> Column:
    if not o.segments:
        return F.lit(True)
    allowed = F.array(*[F.lit(s) for s in o.segments])
    return F.coalesce(F.array_contains(allowed, F.col("strategic_segment"))
                      | F.array_contains(allowed, F.col("value_segment"))
                      | F.array_contains(allowed, F.col("behaviour_segment")), F.lit(False))


def _plan_fit_ok(o: Offer) -> Column:
    if not o.plan_fit:
        return F.lit(True)
    return F.coalesce(F.col("plan_fit_rule").isin(*o.plan_fit), F.lit(False))


def match_offers(df: DataFrame, offers: list[Offer]) -> DataFrame:
    """Plan rows (top_reasons, plan_fit_rule, strategic/value/behaviour_segment and the columns the
    eligibility predicates name) in; adds `eligible_offers` (array of offer ids that fit), `offer_id`
    (best one, or 'no_eligible_offer'), `offer_kind`, `offer_name_zh/en`, `offer_cost`, `offer_reason_score`."""
    cands = []
    for order, o in enumerate(offers):
        rs = _reason_score(o) if o.reasons else F.lit(0.0)
        fits = _eligible(df, o) & _segment_ok(o) & _plan_fit_ok(o) & rs.isNotNull()
        # struct order = preference: reason match, then weight, then lower cost, then file order
        cands.append(F.when(fits, F.struct(
            (rs * F.lit(10.0) + F.lit(o.weight)).alias("score"), F.lit(-o.cost).alias("neg_cost"),
            F.lit(-order).alias("neg_order"), F.lit(o.offer_id).alias("offer_id"), rs.alias("reason_score"))))
    fitting = F.filter(F.array(*cands), lambda x: x.isNotNull())
    out = df.withColumn("_fit", fitting)
    best = F.array_max(F.col("_fit"))
    kind = F.create_map(*[x for o in offers for x in (F.lit(o.offer_id), F.lit(o.kind))])
    name_zh = F.create_map(*[x for o in offers for x in (F.lit(o.offer_id), F.lit(o.name_zh))])
    name_en = F.create_map(*[x for o in offers for x in (F.lit(o.offer_id), F.lit(o.name_en))])
    oid = F.coalesce(best["offer_id"], F.lit(NO_OFFER))
    return (out.withColumns({
        "eligible_offers": F.transform(F.col("_fit"), lambda x: x["offer_id"]),
        "offer_id": oid,
        "offer_cost": F.coalesce(-best["neg_cost"], F.lit(0.0)),
        "offer_reason_score": best["reason_score"],
    }).withColumns({
        "offer_kind": kind[F.col("offer_id")], "offer_name_zh": name_zh[F.col("offer_id")],
        "offer_name_en": name_en[F.col("offer_id")],
    }).drop("_fit"))


def offer_talking(offers: list[Offer], lang: str) -> Column:
    """The chosen offer's talking point in `lang` (zh/en) with {plan} and {product} filled; null without one."""
    tmpl = F.create_map(*[x for o in offers for x in (F.lit(o.offer_id), F.lit(getattr(o, f"talking_{lang}")))])
    t = tmpl[F.col("offer_id")]
    t = F.replace(t, F.lit("{plan}"), F.coalesce(F.col("best_plan_id"), F.lit("")))
    t = F.replace(t, F.lit("{product}"), F.coalesce(F.col("nbo_product_id"), F.lit("")))
    return F.when(F.length(t) > 0, t)


def offer_fit(plan: DataFrame, offers: list[Offer]) -> DataFrame:
    """Plan rows (month, eligible_offers, offer_id, in_plan, offer_cost) in; per offer out (forward
    adaptation): fit_subscribers (eligible), best_for_subscribers, in_plan_subscribers, in_plan_cost — one
    row per configured offer plus 'no_eligible_offer', zeros included."""
    spark = plan.sparkSession
    dim = spark.createDataFrame([(o.offer_id, o.kind, i) for i, o in enumerate(offers)]
                                + [(NO_OFFER, None, len(offers))], "offer_id string, offer_kind string, offer_order int")
    fit = (plan.select("month", F.explode("eligible_offers").alias("offer_id"))
           .groupBy("month", "offer_id").agg(F.count(F.lit(1)).alias("fit_subscribers")))
    best = (plan.groupBy("month", "offer_id").agg(
        F.count(F.lit(1)).alias("best_for_subscribers"),
        F.sum(F.when(F.col("in_plan"), 1).otherwise(0)).alias("in_plan_subscribers"),
        F.sum(F.when(F.col("in_plan"), F.col("offer_cost")).otherwise(0.0)).alias("in_plan_cost")))
    months = plan.select("month").distinct()
    grid = months.crossJoin(F.broadcast(dim))
    return (grid.join(fit, ["month", "offer_id"], "left").join(best, ["month", "offer_id"], "left")
            .select("month", "offer_id", "offer_kind",
                    F.coalesce("fit_subscribers", F.lit(0)).cast("long").alias("fit_subscribers"),
                    F.coalesce("best_for_subscribers", F.lit(0)).cast("long").alias("best_for_subscribers"),
                    F.coalesce("in_plan_subscribers", F.lit(0)).cast("long").alias("in_plan_subscribers"),
                    F.coalesce("in_plan_cost", F.lit(0.0)).cast("double").alias("in_plan_cost"),
                    "offer_order"))
