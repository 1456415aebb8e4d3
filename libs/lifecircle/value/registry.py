"""Tables and jobs of lifecircle.value (gathered by lifecircle.registry)."""

from __future__ import annotations

from pyspark.sql.types import StringType, StructField, StructType

from lifecircle.core.pipeline import JobSpec, latest_months
from lifecircle.core.tables import TableSpec
from lifecircle.value.plan_fit import PLAN_FIT_SCHEMA
from lifecircle.value.segments import MAPPING_SCHEMA, PROFILE_SCHEMA


def _with_month(schema: StructType) -> StructType:
    return StructType([*schema.fields, StructField("month", StringType(), False)])


M = ("month",)
TABLES: list[TableSpec] = [
    TableSpec("gold.plan_fit", "Plan fit: each subscriber's usage priced under every plan; the rule that fired "
              "(no_plan / wrong_type / step_up / step_down / none / unknown_plan) and the plan it recommends.",
              "plan_fit", M, _with_month(PLAN_FIT_SCHEMA), ("month", "subscriber_id"), columns_doc={
                  "current_bill": "yuan, usage priced under the current plan (pay as you go when there is none)",
                  "best_plan_id": "the plan the fired rule recommends (the current plan when none fired)",
                  "best_bill": "yuan under best_plan_id", "saving": "current_bill - best_bill (negative: an upsell)",
                  "usage_type": "voice / data / mixed, the kind of plan the usage calls for",
                  "recheck_next_month": "borderline: re-check the recommendation with next month's usage",
                  "recheck_reason": "small_saving / cheaper_plan_exists"}),
    TableSpec("gold.association_rules", "FP-growth association rules on product holdings (vas:<product>, "
              "plan:<plan>) at month end, filtered by support, confidence and lift.", "associations", M,
              keys=("month", "rule_id"), columns_doc={
                  "support": "share of subscribers holding antecedent and consequent",
                  "confidence": "share of antecedent holders who also hold the consequent",
                  "lift": "confidence / consequent_support"}),
    TableSpec("gold.missing_product_recs", "Missing-product recommendations: subscribers holding a rule's "
              "antecedent but not its consequent (best rule per product, top N per subscriber).",
              "associations", M, keys=("month", "subscriber_id", "item")),
    TableSpec("gold.segments", "Segment of each subscriber: behaviour and value k-means segments with stable ids, "
              "their combination (strategic segment, e.g. B2-V1), readable names, and sub-segments of the "
              "drilled-down segment.", "segment", M, keys=("month", "subscriber_id")),
    TableSpec("gold.segment_profiles", "Profile of every segment (behaviour, value, strategic, sub): size, share, "
              "means vs the population, z-scores, distinguishing features, name.", "segment", M,
              _with_month(PROFILE_SCHEMA), ("month", "level", "segment_id")),
    TableSpec("gold.segment_mapping", "This month's k-means clusters → stable segment ids, matched to last month's "
              "centroids (distance in standard deviations).", "segment", M, _with_month(MAPPING_SCHEMA),
              ("month", "level", "cluster")),
    TableSpec("gold.propensity", "Per subscriber and product not held: raw score, calibrated probability of "
              "ordering next month, expected value and eligibility; the model family set by the product's "
              "lifecycle stage.", "propensity", M, keys=("month", "subscriber_id", "product_id")),
    TableSpec("gold.next_best_offer", "The eligible product with the highest expected value per subscriber.",
              "propensity", M, keys=("month", "subscriber_id")),
    TableSpec("gold.product_lifecycle", "Each VAS product's holders, growth, lifecycle stage and model family, with "
              "its model's hold-out AUC and top-decile lift.", "propensity", M, keys=("month", "product_id")),
]

JOBS: list[JobSpec] = [
    JobSpec("segment", 60, "monthly", "Behaviour and value segments, profiles, names, stable ids, sub-segments.",
            inputs=("gold.panorama", "gold.segment_profiles"),
            outputs=("gold.segments", "gold.segment_profiles", "gold.segment_mapping"), demo_args=latest_months),
    JobSpec("plan_fit", 62, "monthly", "Price usage under every plan; seed 000's four plan-fit rules.",
            inputs=("gold.panorama",), outputs=("gold.plan_fit",), demo_args=latest_months),
    JobSpec("associations", 64, "monthly", "FP-growth rules on product holdings and missing-product recommendations.",
            inputs=("gold.panorama",), outputs=("gold.association_rules", "gold.missing_product_recs"),
            demo_args=latest_months),
    JobSpec("propensity", 66, "monthly", "Per-product propensity by lifecycle stage and the next best offer.",
            inputs=("gold.panorama", "silver.vas_orders", "silver.vas_products", "gold.segments",
                    "gold.association_rules"),
            outputs=("gold.propensity", "gold.next_best_offer", "gold.product_lifecycle"), demo_args=latest_months),
]
