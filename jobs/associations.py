"""Product associations for one month: FP-growth on what each subscriber holds at month end (VAS products and
the plan) → gold.association_rules (support, confidence, lift over configured thresholds), and
gold.missing_product_recs (subscribers who hold a rule's antecedent but not its consequent)."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.core.spark import reuse
from lifecircle.runtime import JobContext, job
from lifecircle.value.associations import mine_rules, missing_product_recs, panorama_baskets


@job("associations", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    value = ctx.cfg.section("value")
    sec = value["associations"]
    sid = value["panorama"].get("subscriber_id", "subscriber_id")
    pano = ctx.read(value["panorama"]["table"]).where(F.col("month") == ctx.month)
    plan = sec.get("plan", "plan_id") if sec.get("include_plan", True) else None
    baskets = reuse(panorama_baskets(pano, sec["holdings"], plan, sid))
    rules = mine_rules(baskets.filter(F.size("items") > 0), float(sec["min_support"]), float(sec["min_confidence"]),
                       float(sec.get("min_lift", 0.0)))
    ctx.write("gold.association_rules", rules.withColumn("month", F.lit(ctx.month)), where={"month": ctx.month})
    saved = ctx.read("gold.association_rules").where(F.col("month") == ctx.month)
    recs = missing_product_recs(baskets, saved, sec.get("recommend_prefixes", ["vas:"]),
                                float(sec.get("min_antecedent_share", 1.0)), int(sec.get("max_recs", 3)))
    ctx.write("gold.missing_product_recs", recs.withColumn("month", F.lit(ctx.month)), where={"month": ctx.month})
    baskets.unpersist()


if __name__ == "__main__":
    raise SystemExit(main())
