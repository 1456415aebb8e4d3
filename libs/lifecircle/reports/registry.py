"""Tables and jobs of lifecircle.reports (gathered by lifecircle.registry)."""

from __future__ import annotations

from pyspark.sql.types import ArrayType, LongType, StringType, StructField, StructType, TimestampType

from lifecircle.core.pipeline import DemoPlan, JobSpec
from lifecircle.core.tables import TableSpec

REPORT_INDEX_SCHEMA = StructType([
    StructField("month", StringType(), False), StructField("report", StringType(), False),
    StructField("path", StringType(), False), StructField("generated_at", TimestampType(), False),
])

PRIVACY_AUDIT_SCHEMA = StructType([
    StructField("month", StringType(), False), StructField("table", StringType(), False),
    StructField("scanned_columns", LongType(), False), StructField("leaked_values", LongType(), False),
    StructField("leaked_columns", ArrayType(StringType()), False), StructField("example_masked", StringType(), True),
])

TABLES: list[TableSpec] = [
    TableSpec("gold.report_index", "Every generated report: month, kind, where the file is and when it was written.",
              "monthly_report", ("month",), REPORT_INDEX_SCHEMA, ("month", "report"), columns_doc={
                  "report": "report kind (monthly)", "path": "the HTML file (<paths.reports>/monthly_<month>.html)"}),
    TableSpec("meta.privacy_audit", "Privacy audit per month: every silver and gold table scanned for clear numbers, "
              "names, ID numbers and IMEIs from the raw feeds (zero leaked values expected).",
              "privacy_audit", ("month",), PRIVACY_AUDIT_SCHEMA, ("month", "table"), columns_doc={
                  "scanned_columns": "string, string-array, long and decimal columns scanned (values and digit runs)",
                  "leaked_values": "distinct clear identifiers found in the table's rows of the month",
                  "example_masked": "one leaked value, first 3 and last 2 characters only"}),
]

REPORT_INPUTS = ("gold.churn_scores", "gold.panorama", "gold.segments", "gold.segment_profiles", "gold.plan_fit",
                 "gold.association_rules", "gold.campaign_evaluation", "gold.retention_plan", "silver.subscriber")


def last_month(plan: DemoPlan) -> list[list[str]]:
    """The report of the latest month (the one every monthly gold table has been written for)."""
    return [["--month", plan.months[-1]]] if plan.months else []


JOBS: list[JobSpec] = [
    JobSpec("monthly_report", 95, "monthly", "HTML monthly report (churn by region and segment, lift, segment "
            "profiles, plan-fit savings, association rules, campaign results, retention quadrants), logged to MLflow.",
            inputs=REPORT_INPUTS, outputs=("gold.report_index",), period="month", demo_args=last_month),
    JobSpec("privacy_audit", 99, "monthly", "Privacy gate: no clear number, name, ID number or IMEI from the raw "
            "feeds in any silver or gold table of the month; fails naming the tables otherwise.",
            inputs=("bronze.subscriber_profile", "bronze.voice_cdr", "bronze.terminal", "gold.report_index"),
            outputs=("meta.privacy_audit",), period="month", demo_args=last_month, gate=True),
]
