"""Planted-truth checks of the retention plan on a generated province (the issue's acceptance numbers):
how much richer quadrant A is in future high-value churners than a random pick, and how often the matched
offer answers the planted churn cause. Truth rows must already carry subscriber_id
(lifecircle.value.evaluation.truth_subscribers)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.core.periods import add_months

# planted cause (lifecircle.generate.spec.CHURN_CAUSES) → offer kinds that answer it
EXPECTED_KINDS: dict[str, tuple[str, ...]] = {
    "plan_mismatch": ("plan_migration",),
    "bundle_expiry": ("tenure_upgrade",),
    "competitor_poaching": ("device_subsidy", "tenure_upgrade", "family_sharing", "data_pack"),
    "complaints": ("service_care",),
    "bill_decline": ("plan_migration", "data_pack"),
    "moving_away": ("relocation", "family_sharing"),
    "contagion": ("family_sharing",),
}


def _labelled(plan: DataFrame, truth: DataFrame, month: str, horizon: int) -> DataFrame:
    later = [add_months(month, k) for k in range(1, horizon + 1)]
    t = truth.select("subscriber_id", F.col("churn_month").isin(*later).alias("future_churner"), "churn_cause")
    return plan.join(t, "subscriber_id", "left").withColumn(
        "future_churner", F.coalesce(F.col("future_churner"), F.lit(False)))


def quadrant_a_lift(plan: DataFrame, truth: DataFrame, month: str, horizon: int = 3) -> dict[str, float]:
    """One month of gold.retention_plan + truth (subscriber_id, churn_month) in; the share of future churners
    (in the next `horizon` months) with ARPU at or above the month's median in quadrant A, the same share over
    everyone (a random pick), and their ratio (the lift). One quantile pass and one aggregation."""
    df = _labelled(plan, truth, month, horizon)
    median = df.agg(F.percentile_approx("arpu", 0.5, 1000)).first()[0] or 0.0
    target = (F.col("future_churner") & (F.col("arpu") >= F.lit(median))).cast("double")
    r = df.agg(F.avg(target).alias("base"), F.avg(F.when(F.col("quadrant") == "A", target)).alias("a"),
               F.sum((F.col("quadrant") == "A").cast("int")).alias("n_a")).first()
    base, a = float(r["base"] or 0.0), float(r["a"] or 0.0)
    return {"a_share": a, "random_share": base, "lift": a / base if base else 0.0, "a_subscribers": float(r["n_a"] or 0)}


def _agreement_frame(plan: DataFrame, truth: DataFrame, month: str, horizon: int) -> DataFrame:
    """Future churners with a known cause, each with `ok` = 1.0 when the matched offer kind answers the cause."""
    df = _labelled(plan, truth, month, horizon).where(
        F.col("future_churner") & F.col("churn_cause").isin(*EXPECTED_KINDS))
    expected = F.create_map(*[x for c, kinds in EXPECTED_KINDS.items()
                              for x in (F.lit(c), F.array(*[F.lit(k) for k in kinds]))])
    ok = F.coalesce(F.array_contains(expected[F.col("churn_cause")], F.col("offer_kind")), F.lit(False)).cast("double")
    return df.withColumn("ok", ok)


def offer_agreement(plan: DataFrame, truth: DataFrame, month: str, horizon: int = 3) -> dict[str, float]:
    """One month of gold.retention_plan + truth (subscriber_id, churn_month, churn_cause) in; among future
    churners with a known cause (not 'other'), the share whose matched offer kind answers that cause
    (EXPECTED_KINDS), overall and for plan_mismatch."""
    r = _agreement_frame(plan, truth, month, horizon).agg(
        F.count(F.lit(1)).alias("n"), F.avg("ok").alias("agree"),
        F.avg(F.when(F.col("churn_cause") == "plan_mismatch", F.col("ok"))).alias("pm")).first()
    return {"known_cause_churners": float(r["n"] or 0), "agreement": float(r["agree"] or 0.0),
            "plan_mismatch_agreement": float(r["pm"] or 0.0)}


def offer_agreement_by_cause(plan: DataFrame, truth: DataFrame, month: str, horizon: int = 3) -> dict[str, dict]:
    """offer_agreement per planted cause, with the offer kinds those churners got (what to fix when it is low)."""
    cells = _agreement_frame(plan, truth, month, horizon).groupBy(
        "churn_cause", F.coalesce("offer_kind", F.lit("none")).alias("kind")).agg(
        F.count(F.lit(1)).alias("n"), F.sum("ok").alias("agreeing"))
    got: dict[str, dict] = {}
    for r in cells.collect():  # ok: causes x offer kinds, a few dozen rows
        c = got.setdefault(r["churn_cause"], {"n": 0, "agreeing": 0.0, "offer_kinds": {}})
        c["n"] += int(r["n"])
        c["agreeing"] += float(r["agreeing"] or 0.0)
        c["offer_kinds"][r["kind"]] = int(r["n"])
    return {cause: {"n": c["n"], "agreement": c["agreeing"] / c["n"], "offer_kinds": c["offer_kinds"]}
            for cause, c in got.items()}
