"""Evaluate a campaign: every strategy group against the untouched control (response, churn and revenue
over the next three months where the data exist), costs and ROI, channel execution statistics; writes
gold.campaign_evaluation and an HTML report under <paths.reports>/campaigns/<campaign>/."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import functions as F

from lifecircle.campaigns.definition import load_campaign
from lifecircle.campaigns.evaluation import (
    EVAL_SCHEMA,
    as_rows,
    channel_statistics,
    evaluate_campaign,
    target_outcomes,
)
from lifecircle.campaigns.report import render_html
from lifecircle.core.paths import resolve
from lifecircle.runtime import JobContext, job


@job("campaign_evaluate", description=__doc__, args=[(["--campaign"], {"required": True})])
def main(ctx: JobContext) -> None:
    campaign = load_campaign(ctx.cfg, ctx.args.campaign)
    targets = ctx.read("gold.campaign_targets").where(F.col("campaign_id") == campaign.id)
    month = targets.select(F.max("month")).first()[0]
    history = ctx.read("gold.contact_history").where(F.col("campaign_id") == campaign.id)
    outcomes = target_outcomes(targets, history, month, ctx.read_optional("silver.subscriber"),
                               ctx.read_optional("silver.billing")).cache()
    records = evaluate_campaign(outcomes, campaign)
    ctx.write("gold.campaign_evaluation", ctx.spark.createDataFrame(as_rows(records), EVAL_SCHEMA),
              where={"campaign_id": campaign.id})
    channels = [r.asDict() for r in channel_statistics(history).collect()]  # one row per channel
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
    outcomes.unpersist()


if __name__ == "__main__":
    raise SystemExit(main())
