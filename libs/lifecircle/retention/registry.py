"""Tables and jobs of lifecircle.retention (gathered by lifecircle.registry)."""

from __future__ import annotations

from pyspark.sql import types as T

from lifecircle.core.pipeline import JobSpec, latest_months
from lifecircle.core.tables import TableSpec

CARD_ACCESS_LOG_SCHEMA = T.StructType([
    T.StructField("accessed_at", T.TimestampType(), False),
    T.StructField("who", T.StringType(), False),
    T.StructField("subscriber_id", T.StringType(), False),
    T.StructField("month", T.StringType(), True),
    T.StructField("found", T.BooleanType(), False),
])

M = ("month",)
TABLES: list[TableSpec] = [
    TableSpec(
        "gold.retention_plan", "Retention plan per subscriber and month: priority (churn x retention efficiency), "
        "quadrant A-D, matched offer, budget cut, channel, graded alert and the retention card (JSON, zh, en).",
        "retention_plan", M, keys=("month", "subscriber_id"), columns_doc={
            "expected_months": "tenure-weighted expected remaining months (retention.value)",
            "value_at_stake": "yuan: ARPU x expected_months",
            "response_rate": "expected response to retention for the subscriber's segment (retention.response)",
            "efficiency": "retention efficiency coefficient, yuan: value_at_stake x response_rate",
            "priority": "churn_probability x efficiency (expected yuan saved by acting)",
            "quadrant": "A high churn & high efficiency (first), B high churn, C high efficiency, D neither",
            "eligible_offers": "every offer of conf/offers.yaml this subscriber fits",
            "offer_id": "the best eligible offer, or no_eligible_offer",
            "plan_rank": "1 = first to contact (quadrant order, then priority); null outside the budget quadrants",
            "in_plan": "within this month's budget cut (retention.budget)",
            "channel": "assigned channel within capacity (in-plan only); preferred_channel ignores capacity",
            "alert_level": "highest early-warning level of gold.alerts (alert_rule: its rule)",
            "card_json": "the retention card (JSON)", "script_zh": "the card rendered in Chinese",
            "script_en": "the card rendered in English",
        }),
    TableSpec(
        "gold.offer_fit", "Forward adaptation (seed 003): per retention offer and month, the subscribers it fits, "
        "those it is the best offer for, and those in the plan with their cost.", "retention_plan", M,
        keys=("month", "offer_id"), columns_doc={
            "fit_subscribers": "subscribers eligible for the offer", "best_for_subscribers": "offer chosen as best",
            "in_plan_subscribers": "chosen and in the plan", "in_plan_cost": "yuan, cost for those in the plan"}),
    TableSpec(
        "gold.retention_channel_lists", "Per channel (customer manager, outbound call, store, SMS) the subscribers "
        "assigned to it for retention this month, within the channel's capacity.", "retention_plan", M,
        keys=("month", "channel", "subscriber_id")),
    TableSpec(
        "meta.card_access_log", "One row per `lifecircle card` look-up: who, when, the pseudonym, the month shown, "
        "whether a card was found.", "card", schema=CARD_ACCESS_LOG_SCHEMA),
]


JOBS: list[JobSpec] = [
    JobSpec("retention_plan", 70, "monthly", "Retention plan: priority quadrants, matched offers, budget cut, "
            "channel lists and the per-subscriber card.",
            inputs=("gold.churn_scores", "gold.panorama", "gold.alerts", "gold.segments", "gold.plan_fit",
                    "gold.next_best_offer", "gold.social_features", "gold.circle_features"),
            outputs=("gold.retention_plan", "gold.offer_fit", "gold.retention_channel_lists"),
            period="month", demo_args=latest_months),
]
