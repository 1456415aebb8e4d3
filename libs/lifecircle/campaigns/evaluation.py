"""Campaign evaluation against the control group: per target the outcomes (response, contact, reach,
acceptance; churn and revenue over the next three months where the data exist), then per strategy group vs
control the uplift with its confidence interval and p-value, costs with the channel unit costs, and ROI."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

from lifecircle.campaigns.definition import CONTROL, Campaign
from lifecircle.campaigns.evaluate_file import aggregate_groups, evaluate_groups
from lifecircle.core.periods import add_months

EVAL_SCHEMA = StructType([
    StructField("campaign_id", StringType(), False), StructField("group", StringType(), False),
    StructField("outcome", StringType(), False), StructField("kind", StringType(), False),
    StructField("n_group", LongType(), False), StructField("n_control", LongType(), False),
    StructField("value_group", DoubleType(), True), StructField("value_control", DoubleType(), True),
    StructField("difference", DoubleType(), True), StructField("ci_low", DoubleType(), True),
    StructField("ci_high", DoubleType(), True), StructField("p_value", DoubleType(), True),
    StructField("contacted", LongType(), True), StructField("reached", LongType(), True),
    StructField("accepted", LongType(), True), StructField("contact_cost", DoubleType(), True),
    StructField("offer_cost", DoubleType(), True), StructField("incremental", DoubleType(), True),
    StructField("incremental_value", DoubleType(), True), StructField("roi", DoubleType(), True),
])


def target_outcomes(targets: DataFrame, history: DataFrame, month: str, subscriber: DataFrame | None = None,
                    billing: DataFrame | None = None) -> DataFrame:
    """Targets (subscriber_id, group, ...) + their contact history → one row per target with 0/1 columns
    responded, contacted, reached, accepted, and churned_3m / revenue_3m over the three months after `month`
    when silver.subscriber / silver.billing hold them."""
    h = history.groupBy("subscriber_id").agg(
        F.max(F.col("outcome").isin("accepted", "converted").cast("int")).alias("responded"),
        F.max((F.col("channel") != "none").cast("int")).alias("contacted"),
        F.max(F.col("outcome").isin("reached", "accepted", "declined", "call_back_later").cast("int")).alias("reached"),
        F.max((F.col("outcome") == "accepted").cast("int")).alias("accepted"))
    out = targets.join(h, "subscriber_id", "left").na.fill(0, ["responded", "contacted", "reached", "accepted"])
    after = [add_months(month, i) for i in (1, 2, 3)]
    if subscriber is not None:
        s = subscriber.where(F.col("month").isin(*after))
        churn = s.groupBy("subscriber_id").agg(F.max(F.col("churned").cast("int")).alias("churned_3m"))
        if s.limit(1).count():
            out = out.join(churn, "subscriber_id", "left")
    if billing is not None:
        b = billing.where(F.col("month").isin(*after))
        if b.limit(1).count():
            rev = b.groupBy("subscriber_id").agg(F.sum(F.col("total_fee").cast("double")).alias("revenue_3m"))
            out = out.join(rev, "subscriber_id", "left").na.fill(0.0, ["revenue_3m"])
    return out


def evaluate_campaign(outcomes: DataFrame, campaign: Campaign, confidence: float = 0.95) -> list[dict]:
    """Per strategy group vs control and per outcome column present: the comparison, execution counts,
    channel and offer costs, incremental responses and value, and ROI ((value - cost) / cost)."""
    cols = [c for c in ("responded", "churned_3m", "revenue_3m") if c in outcomes.columns]
    rows = [r.asDict() for r in aggregate_groups(outcomes, "group", cols).collect()]  # ok: one row per group
    comparisons = evaluate_groups(rows, cols, CONTROL, f"campaign {campaign.id}", confidence)["results"]
    execution = {r["group"]: r.asDict() for r in outcomes.groupBy("group").agg(
        F.sum("contacted").alias("contacted"), F.sum("reached").alias("reached"),
        F.sum("accepted").alias("accepted")).collect()}  # ok: one row per channel
    result = []
    for c in comparisons:
        g = c["group"]
        ex = execution.get(g, {})
        strategy = campaign.strategy(g)
        contact_cost = float(ex.get("contacted") or 0) * campaign.unit_cost(strategy.channel)
        offer_cost = float(ex.get("accepted") or 0) * strategy.offer_cost
        cost = contact_cost + offer_cost
        inc = (c["difference"] or 0.0) * c["n_group"]
        if c["outcome"] == "responded":
            value = inc * campaign.value_per_response
        elif c["outcome"] == "revenue_3m":
            value = inc
        else:  # churned_3m: fewer churners is the gain; valued at the response value
            value = -inc * campaign.value_per_response
        result.append({
            "campaign_id": campaign.id, "group": g, "outcome": c["outcome"], "kind": c["kind"],
            "n_group": c["n_group"], "n_control": c["n_control"], "value_group": c["value_group"],
            "value_control": c["value_control"], "difference": c["difference"], "ci_low": c["ci_low"],
            "ci_high": c["ci_high"], "p_value": c["p_value"], "contacted": int(ex.get("contacted") or 0),
            "reached": int(ex.get("reached") or 0), "accepted": int(ex.get("accepted") or 0),
            "contact_cost": contact_cost, "offer_cost": offer_cost, "incremental": inc, "incremental_value": value,
            "roi": (value - cost) / cost if cost else None,
        })
    return result


def channel_statistics(history: DataFrame) -> DataFrame:
    """Seed 000's execution statistics per channel: contacts, reach and success rates, declines, call-backs."""
    h = history.where(F.col("channel") != "none")
    return h.groupBy("channel").agg(
        F.countDistinct("subscriber_id").alias("contacted"),
        F.sum(F.col("outcome").isin("reached", "accepted", "declined", "call_back_later").cast("int")).alias("reached"),
        F.sum((F.col("outcome") == "accepted").cast("int")).alias("accepted"),
        F.sum((F.col("outcome") == "declined").cast("int")).alias("declined"),
        F.sum((F.col("outcome") == "call_back_later").cast("int")).alias("call_back_later"),
    ).withColumn("reach_rate", F.col("reached") / F.col("contacted")) \
     .withColumn("success_rate", F.col("accepted") / F.col("reached"))


def as_rows(records: Sequence[dict]) -> list[tuple]:
    return [tuple(r.get(f.name) for f in EVAL_SCHEMA.fields) for r in records]
