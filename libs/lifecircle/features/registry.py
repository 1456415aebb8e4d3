"""Tables and jobs of lifecircle.features (gathered by lifecircle.registry)."""

from __future__ import annotations

from lifecircle.core.pipeline import JobSpec, latest_months, month_span
from lifecircle.core.tables import TableSpec
from lifecircle.features.dictionary import columns_doc, usage_columns_doc
from lifecircle.features.olap import METRIC_DOCS

_USAGE_FACTS = ("silver.subscriber", "silver.billing", "silver.voice_cdr", "silver.sms", "silver.data_usage",
                "silver.vas_orders", "silver.service_contacts")

TABLES: list[TableSpec] = [
    TableSpec("gold.usage_monthly",
              "Monthly aggregates per subscriber (voice, SMS, data, VAS holdings, service, fees): the history the "
              "panorama's 3-month features read instead of rescanning CDRs.",
              "usage_monthly", partition_by=("month",), keys=("subscriber_id", "month"), columns_doc=usage_columns_doc()),
    TableSpec("gold.panorama",
              "Customer panorama (客户全景视图): one row per subscriber of the month (incl. churners of the month), "
              "~190 documented columns; see docs/data_dictionary.md.",
              "panorama", partition_by=("month",), keys=("subscriber_id", "month"), columns_doc=columns_doc()),
    TableSpec("gold.olap_cube",
              "OLAP cube: grouping sets of region level x brand x plan x segment with subscribers, active, ARPU, MOU, "
              "data, churn, on-net share, complaints.",
              "olap", partition_by=("month",), keys=("month", "grouping_set", "region_level", "region", "brand",
                                                      "plan_id", "segment"), columns_doc=dict(METRIC_DOCS)),
    TableSpec("gold.olap_top_n", "Top-N and Bottom-N cube cells per grouping set and metric.", "olap",
              partition_by=("month",), columns_doc={
                  **{k: METRIC_DOCS[k] for k in ("month", "grouping_set", "region_level", "region", "brand",
                                                 "plan_id", "segment")},
                  "metric": "the cube metric ranked", "direction": "top (highest) or bottom (lowest)",
                  "rank": "1 = highest (top) / lowest (bottom)", "value": "the metric's value"}),
    TableSpec("gold.olap_anomalies",
              "Cube cells whose month-over-month change is beyond the configured z-score among their grouping set.",
              "olap", partition_by=("month",), columns_doc={
                  **{k: METRIC_DOCS[k] for k in ("month", "grouping_set", "region_level", "region", "brand",
                                                 "plan_id", "segment")},
                  "metric": "the cube metric", "value": "value in M", "prev_value": "value in M-1",
                  "change": "value / prev_value - 1", "z_score": "z of change among the grouping set's cells",
                  "direction": "up / down"}),
]

JOBS: list[JobSpec] = [
    JobSpec("usage_monthly", order=36, schedule="monthly", period="month", demo_args=month_span,
            description="Monthly usage: each silver fact of the month aggregated once into gold.usage_monthly "
                        "(fees, voice, SMS, data, VAS holdings, service contacts, the bill-decline streak).",
            inputs=(*_USAGE_FACTS, "gold.usage_monthly"), outputs=("gold.usage_monthly",)),
    JobSpec("panorama", order=40, schedule="monthly", period="month", demo_args=month_span,
            description="Customer panorama for a month: gold.panorama from the profile, gold.usage_monthly of M, "
                        "M-1 and M-2, terminal, plan, circle and social columns.",
            inputs=("silver.subscriber", "silver.terminal", "silver.tac", "silver.tariffs", "gold.usage_monthly",
                    "gold.circle_features", "gold.social_features"),
            outputs=("gold.panorama",)),
    JobSpec("olap", order=45, schedule="monthly", period="month", demo_args=latest_months,
            description="OLAP cubes over the panorama with Top-N/Bottom-N cells and month-over-month anomalies "
                        "(segments from gold.segments of M, else M-1, when that table exists).",
            inputs=("gold.panorama", "gold.olap_cube"),
            outputs=("gold.olap_cube", "gold.olap_top_n", "gold.olap_anomalies")),
]
