"""Evaluate a campaign: every strategy group against the untouched control (response, churn and revenue
over the next three months where the data exist), costs and ROI, channel execution statistics; writes
gold.campaign_evaluation and an HTML report under <paths.reports>/campaigns/<campaign>/."""

from __future__ import annotations

import json
from pathlib import Path

from pyspark.sql import functions as F

from lifecircle.campaigns.definition import CONTROL, load_campaign
from lifecircle.campaigns.evaluation import (
    EVAL_SCHEMA,
    as_rows,
    channel_statistics,
    evaluate_campaign,
    target_outcomes,
)
from lifecircle.campaigns.report import render_html
from lifecircle.campaigns.uplift import (
    fit_t_learner,
    planted_policy_value,
    qini_frame,
    score_t_learner,
    split,
)
from lifecircle.core.paths import resolve
from lifecircle.core.spark import reuse
from lifecircle.runtime import JobContext, job


@job("campaign_evaluate", description=__doc__, args=[
    (["--campaign"], {"required": True}),
    (["--params"], {"default": None, "help": "planted response parameters (CSV) to value the targeting policies"}),
    (["--top-share"], {"default": 0.3, "type": float, "help": "share of the list targeted in that comparison"}),
    (["--no-uplift"], {"action": "store_true", "help": "skip the uplift model (T-learner)"}),
])
def main(ctx: JobContext) -> None:
    campaign = load_campaign(ctx.cfg, ctx.args.campaign)
    targets = ctx.read("gold.campaign_targets").where(F.col("campaign_id") == campaign.id)
    month = targets.select(F.max("month")).first()[0]
    history = ctx.read("gold.contact_history").where(F.col("campaign_id") == campaign.id)
    outcomes = reuse(target_outcomes(targets, history, month, ctx.read_optional("silver.subscriber"),
                                     ctx.read_optional("silver.billing")))
    records = evaluate_campaign(outcomes, campaign)
    ctx.write("gold.campaign_evaluation", ctx.spark.createDataFrame(as_rows(records), EVAL_SCHEMA),
              where={"campaign_id": campaign.id})
    channels = [r.asDict() for r in channel_statistics(history).collect()]  # ok: one row per channel
    n_targets = outcomes.count()
    listed = outcomes.where("channel IS NOT NULL")
    hit = listed.agg(F.avg("contacted")).first()[0]
    summary = {"campaign": f"{campaign.id} ({campaign.name})", "goal": campaign.goal,
               "target": f"{campaign.target_metric} = {campaign.target_value}", "scoring month": month,
               "targets": n_targets, "list hit rate (treated targets with channel feedback)": hit}
    out = Path(resolve(ctx.cfg.get("paths.reports"))) / "campaigns" / campaign.id
    out.mkdir(parents=True, exist_ok=True)
    page = render_html(f"Campaign evaluation: {campaign.id}", summary, records,
                       {"Channel execution statistics": channels})
    (out / "evaluation.html").write_text(page, encoding="utf-8")
    ctx.log.info("report %s", out / "evaluation.html")
    uplift = {} if ctx.args.no_uplift else _uplift(ctx, campaign, outcomes, month)
    if uplift:
        (out / "uplift.json").write_text(json.dumps(uplift, indent=2), encoding="utf-8")
        ctx.log.info("uplift model: %s", json.dumps(uplift))
    outcomes.unpersist()


def _uplift(ctx: JobContext, campaign, outcomes, month: str) -> dict:
    """T-learner over the arms when every arm has enough responders; Qini/AUUC on the held-out part, and on
    planted parameters (when given) the incremental response of uplift targeting vs churn-score targeting."""
    scores = ctx.read_optional("gold.churn_scores")
    if scores is None:
        return {}
    feats = [c for c in ("churn_probability",) if c in scores.columns]
    data = outcomes.drop("decile").join(
        scores.where(F.col("month") == month).select("subscriber_id", "decile", *feats), "subscriber_id", "left")
    feats = ["decile", *feats]
    data = data.withColumn("decile", F.col("decile").cast("double"))
    per_arm = {r["group"]: r["r"] for r in data.groupBy("group").agg(F.sum("responded").alias("r")).collect()}  # ok: one row per arm
    if any(per_arm.get(a, 0) < 30 for a in campaign.groups):
        ctx.log.info("uplift model skipped: fewer than 30 responders in an arm (%s)", per_arm)
        return {}
    train, test = split(data, campaign.seed)
    models = fit_t_learner(train, feats, campaign)
    scored = reuse(score_t_learner(data, models, feats, campaign))
    ctx.write("gold.campaign_uplift", scored.select(
        F.lit(campaign.id).alias("campaign_id"), "subscriber_id", "group", F.col(f"p_{CONTROL}").alias("p_control"),
        F.create_map(*sum(([F.lit(s.id), F.col(f"uplift_{s.id}")] for s in campaign.strategies), [])).alias("uplift"),
        F.create_map(*sum(([F.lit(s.id), F.col(f"net_{s.id}")] for s in campaign.strategies), [])).alias("net_value"),
        "best_uplift", "recommended"), where={"campaign_id": campaign.id})
    held = scored.join(test.select("subscriber_id"), "subscriber_id")
    result: dict = {"features": feats, "qini": {}}
    for s in campaign.strategies:
        # the held-out part of one strategy group and the control, ranked and bucketed in Spark
        arm = held.where(F.col("group").isin(s.id, CONTROL))
        result["qini"][s.id] = qini_frame(arm, f"uplift_{s.id}", F.col("group") == s.id, "responded", "subscriber_id")
    params_path = ctx.args.params
    truth = f"{resolve(ctx.cfg.get('paths.truth'))}/campaign_response"
    if not params_path and Path(truth).exists():  # the demo: value the policies on the generator's truth
        params_path = truth
    if params_path:
        from lifecircle.campaigns.store import read_params

        params = read_params(ctx.spark, ctx.cfg, params_path)
        k = float(ctx.args.top_share)
        result["planted_incremental_responses_at_top"] = {
            "share": k,
            "uplift_model": planted_policy_value(scored, params, campaign, k, "best_uplift", "best_strategy"),
            "churn_score": planted_policy_value(scored, params, campaign, k, "churn_probability", None),
        }
    scored.unpersist()
    return result


if __name__ == "__main__":
    raise SystemExit(main())
