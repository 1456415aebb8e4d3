"""Build a campaign's target list for a scoring month: rule over the joined gold view, seed 004's contact
policy, frequency caps and priority across campaigns, the global holdout, then N strategy groups + one
untouched control, stratified by risk decile and reproducible from the campaign's seed."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F
from pyspark.sql.types import DateType, IntegerType, StringType, StructField, StructType

from lifecircle.campaigns.definition import CONTROL, all_campaigns, load_campaign
from lifecircle.campaigns.store import audit_history, record_transition
from lifecircle.campaigns.targeting import (
    GOLD_VIEW_TABLES,
    apply_rule,
    joined_view,
    max_list_size,
    policy_flags,
    split_groups,
    subscriber_tags,
)
from lifecircle.campaigns.workflow import LAUNCHED, current_state
from lifecircle.core.errors import LifecircleError
from lifecircle.core.spark import reuse
from lifecircle.runtime import JobContext, job

_OTHER = StructType([
    StructField("campaign_id", StringType(), False), StructField("priority", IntegerType(), False),
    StructField("start", DateType(), False), StructField("end", DateType(), False),
])


def _registered(name: str) -> bool:
    from lifecircle.registry import all_tables

    return any(t.name == name for t in all_tables())


@job("campaign_build", description=__doc__, needs="month", args=[
    (["--campaign"], {"required": True, "help": "campaign id (conf/campaigns/<id>.yaml)"}),
    (["--auto-approve"], {"default": None, "metavar": "ACTOR",
                          "help": "demo only: submit and approve every level as ACTOR-<level> "
                                  "(allowed in campaigns.auto_approve_envs)"}),
])
def main(ctx: JobContext) -> None:
    cfg, spark = ctx.cfg, ctx.spark
    settings = ctx.cfg.section("campaigns")
    campaign = load_campaign(cfg, ctx.args.campaign)
    history = audit_history(spark, cfg, campaign.id)
    if current_state(history) in (LAUNCHED, "closed"):
        raise LifecircleError(f"campaign {campaign.id} is {current_state(history)}: its list is frozen")

    view = joined_view([subscriber_tags(df) if name == "gold.tags" else df for name in GOLD_VIEW_TABLES
                        if _registered(name) and (df := ctx.read_optional(name)) is not None], ctx.month)
    matched = apply_rule(view, campaign)
    rank_col = "churn_probability" if "churn_probability" in view.columns else None
    matched = matched.select("subscriber_id", "decile", *([rank_col] if rank_col else []))

    others = ctx.read_optional("gold.campaign_targets")
    other_targets = None
    if others is not None:
        defs = [(c.id, c.priority, c.start, c.end) for c in all_campaigns(cfg) if c.id != campaign.id]
        if defs:
            other_targets = (others.where(F.col("campaign_id") != campaign.id)
                             .join(F.broadcast(spark.createDataFrame(defs, _OTHER)), "campaign_id")
                             .select("subscriber_id", "campaign_id", "priority", "start", "end",
                                     (F.col("group") != CONTROL).alias("treated")))
    flagged = reuse(policy_flags(
        matched, campaign, settings["contact_policy"], settings["global_holdout"],
        vas_orders=ctx.read_optional("silver.vas_orders"),
        service_contacts=ctx.read_optional("silver.service_contacts"),
        contact_history=ctx.read_optional("gold.contact_history"),
        do_not_contact=ctx.read_optional("gold.do_not_contact"),
        other_targets=other_targets,
    ))
    kept = flagged.where(F.col("excluded_reason").isNull()).drop("excluded_reason")
    limit = max_list_size(campaign)
    n_kept = kept.count()
    # Rank and cut only when the channels/budget cannot take everyone (a global sort otherwise avoided).
    grouped = reuse(split_groups(kept, campaign, rank_col, limit if n_kept > limit else None))
    month = F.lit(ctx.month)
    targets = grouped.where(F.col("excluded_reason").isNull()).select(
        F.lit(campaign.id).alias("campaign_id"), month.alias("month"), "subscriber_id", "group", "strategy_id",
        "channel", F.col("decile").cast("int").alias("decile"))
    excluded = (flagged.where(F.col("excluded_reason").isNotNull()).select("subscriber_id", "decile", "excluded_reason")
                .unionByName(grouped.where(F.col("excluded_reason").isNotNull())
                             .select("subscriber_id", "decile", "excluded_reason")))
    exclusions = excluded.select(F.lit(campaign.id).alias("campaign_id"), month.alias("month"), "subscriber_id",
                                 F.col("decile").cast("int").alias("decile"), "excluded_reason")
    ctx.write("gold.campaign_targets", targets, where={"campaign_id": campaign.id})
    ctx.write("gold.campaign_exclusions", exclusions, where={"campaign_id": campaign.id})
    sizes = {r["group"]: r["n"] for r in ctx.read("gold.campaign_targets")
             .where(F.col("campaign_id") == campaign.id).groupBy("group").agg(F.count("*").alias("n")).collect()}  # ok: one row per group
    ctx.log.info("campaign %s: %d kept after policy (limit %d); groups %s", campaign.id, n_kept, limit, sizes)
    flagged.unpersist()
    grouped.unpersist()

    if ctx.args.auto_approve:
        if ctx.cfg.env not in settings.get("auto_approve_envs", []):
            raise LifecircleError(f"--auto-approve is only allowed in envs {settings.get('auto_approve_envs')}, "
                                  f"not {ctx.cfg.env}")
        if current_state(audit_history(spark, cfg, campaign.id)) == "draft":
            actor = ctx.args.auto_approve
            record_transition(spark, cfg, campaign, "submit", f"{actor}-owner", comment="auto (demo)")
            for level in campaign.approvals:
                record_transition(spark, cfg, campaign, "approve", f"{actor}-{level}", level,
                                  comment=f"auto-approved by the demo run {dt.date.today()}")


if __name__ == "__main__":
    raise SystemExit(main())
