"""Tables and jobs of lifecircle.campaigns (gathered by lifecircle.registry)."""

from __future__ import annotations

from pyspark.sql.types import DateType, IntegerType, StringType, StructField, StructType, TimestampType

from lifecircle.campaigns.workflow import AUDIT_SCHEMA
from lifecircle.core.pipeline import DemoPlan, JobSpec
from lifecircle.core.tables import TableSpec

TARGETS_SCHEMA = StructType([
    StructField("campaign_id", StringType(), False),
    StructField("month", StringType(), False),
    StructField("subscriber_id", StringType(), False),
    StructField("group", StringType(), False),
    StructField("strategy_id", StringType(), True),
    StructField("channel", StringType(), True),
    StructField("decile", IntegerType(), True),
])
EXCLUSIONS_SCHEMA = StructType([
    StructField("campaign_id", StringType(), False),
    StructField("month", StringType(), False),
    StructField("subscriber_id", StringType(), False),
    StructField("decile", IntegerType(), True),
    StructField("excluded_reason", StringType(), False),
])
CONTACT_HISTORY_SCHEMA = StructType([
    StructField("campaign_id", StringType(), False),
    StructField("subscriber_id", StringType(), False),
    StructField("strategy_id", StringType(), True),
    StructField("channel", StringType(), False),
    StructField("contact_date", DateType(), False),
    StructField("contact_time", TimestampType(), True),
    StructField("outcome", StringType(), False),
    StructField("decline_reason", StringType(), True),
    StructField("source_file", StringType(), True),
])
DO_NOT_CONTACT_SCHEMA = StructType([
    StructField("subscriber_id", StringType(), False),
    StructField("reason", StringType(), True),
    StructField("added_date", DateType(), True),
])
QUARANTINE_SCHEMA = StructType([
    StructField("campaign_id", StringType(), False),
    StructField("source_file", StringType(), False),
    StructField("line", IntegerType(), True),
    StructField("reason", StringType(), False),
    StructField("raw", StringType(), True),
])

TABLES: list[TableSpec] = [
    TableSpec("meta.campaign_audit", "Approval workflow of every campaign: one row per transition, who and when.",
              "lifecircle campaign submit/approve/launch/close", partition_by=("campaign_id",), schema=AUDIT_SCHEMA,
              keys=("campaign_id", "seq")),
    TableSpec("gold.campaign_targets", "Targeted subscribers per campaign: random group (a strategy or the control), "
              "strategy, channel and risk decile.", "campaign_build", partition_by=("campaign_id",),
              schema=TARGETS_SCHEMA, keys=("campaign_id", "subscriber_id"),
              columns_doc={"group": "strategy id, or 'control' (untouched)",
                           "month": "the scoring month the list was built from"}),
    TableSpec("gold.campaign_exclusions", "Subscribers who matched a campaign's rule but were excluded, with the reason "
              "(contact policy, holdout, caps, priority, capacity).", "campaign_build", partition_by=("campaign_id",),
              schema=EXCLUSIONS_SCHEMA, keys=("campaign_id", "subscriber_id")),
    TableSpec("gold.contact_history", "Every channel contact and its outcome (contacted, reached, accepted, declined, "
              "call_back_later; converted = a response outside a channel).", "campaign_feedback",
              partition_by=("campaign_id",), schema=CONTACT_HISTORY_SCHEMA),
    TableSpec("gold.do_not_contact", "The global do-not-contact list (maintained by the administrator).",
              "administrator", schema=DO_NOT_CONTACT_SCHEMA, keys=("subscriber_id",)),
    TableSpec("meta.campaign_feedback_quarantine", "Feedback rows refused by campaign_feedback, with a reason code.",
              "campaign_feedback", partition_by=("campaign_id",), schema=QUARANTINE_SCHEMA),
    TableSpec("gold.campaign_evaluation", "Per campaign, strategy group vs control and outcome: values, uplift with "
              "95% CI and p-value, costs and ROI.", "campaign_evaluate", partition_by=("campaign_id",),
              keys=("campaign_id", "group", "outcome")),
    TableSpec("gold.campaign_uplift", "Per campaign and subscriber: T-learner response probability per arm, expected "
              "net incremental value per strategy and the recommended strategy.", "campaign_evaluate",
              partition_by=("campaign_id",), keys=("campaign_id", "subscriber_id")),
]


def _campaign_month(plan: DemoPlan) -> list[list[str]]:
    return [["--campaign", c, "--month", plan.months[-1]] for c in plan.campaigns] if plan.months else []


def _build_demo(plan: DemoPlan) -> list[list[str]]:
    return [[*a, "--auto-approve", "demo"] for a in _campaign_month(plan)]


def _campaign_only(plan: DemoPlan) -> list[list[str]]:
    return [["--campaign", c] for c in plan.campaigns]


_GOLD_VIEW = ("gold.churn_scores",)
JOBS: list[JobSpec] = [
    JobSpec("campaign_build", 80, "campaign", "Apply a campaign's rule, contact policy, caps and priority; split "
            "the list into N strategy groups + control, stratified by risk decile.",
            inputs=(*_GOLD_VIEW, "silver.vas_orders", "silver.service_contacts"),  # + gold.contact_history of earlier campaigns
            outputs=("gold.campaign_targets", "gold.campaign_exclusions"), period="campaign", demo_args=_build_demo),
    JobSpec("campaign_export", 82, "campaign", "Launch: write one encrypted list file per channel (Fernet).",
            inputs=("gold.campaign_targets", "meta.campaign_audit"), outputs=(), period="campaign",
            demo_args=_campaign_only),
    JobSpec("campaign_simulate", 84, "campaign", "Demo only: draw responses from the planted response parameters "
            "and write channel feedback files.", inputs=("gold.campaign_targets",), outputs=(), period="campaign",
            demo_args=_campaign_only),
    JobSpec("campaign_feedback", 86, "campaign", "Ingest channel feedback files into the contact history, quarantining "
            "bad rows.", inputs=("gold.campaign_targets",),
            outputs=("gold.contact_history", "meta.campaign_feedback_quarantine"), period="campaign",
            demo_args=_campaign_only),
    JobSpec("campaign_evaluate", 88, "campaign", "Evaluate every strategy group against the control; uplift model; "
            "HTML report.", inputs=("gold.campaign_targets", "gold.contact_history"),
            outputs=("gold.campaign_evaluation", "gold.campaign_uplift"), period="campaign", demo_args=_campaign_only),
]
