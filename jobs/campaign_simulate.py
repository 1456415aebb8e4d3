"""Demo only: draw every target's response from the planted response parameters (the generator's truth, or
--params PATH with subscriber_id|msisdn, strategy, p_control, p_treated) and write channel feedback files
under <paths.raw>/campaign_feedback/<campaign>/simulated/, closing the loop for campaign_feedback."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.campaigns.definition import load_campaign
from lifecircle.campaigns.simulate import simulate_feedback
from lifecircle.campaigns.store import read_params
from lifecircle.core.paths import is_uri, resolve
from lifecircle.runtime import JobContext, job


@job("campaign_simulate", description=__doc__, args=[
    (["--campaign"], {"required": True}),
    (["--params"], {"default": None, "help": "response parameters (default <paths.truth>/campaign_response)"}),
])
def main(ctx: JobContext) -> None:
    campaign = load_campaign(ctx.cfg, ctx.args.campaign)
    sim = ctx.cfg.section("campaigns")["simulation"]
    params = read_params(ctx.spark, ctx.cfg, ctx.args.params or f"{ctx.cfg.get('paths.truth')}/campaign_response")
    targets = ctx.read("gold.campaign_targets").where(F.col("campaign_id") == campaign.id)
    rows = simulate_feedback(targets, params, campaign, sim["reach_rate"], int(sim["seed"]))
    raw = ctx.cfg.get("paths.raw")
    out = f"{raw if is_uri(raw) else resolve(raw)}/campaign_feedback/{campaign.id}/simulated"
    rows.coalesce(1).write.mode("overwrite").option("header", True).csv(out)
    ctx.log.info("simulated feedback for %s -> %s", campaign.id, out)


if __name__ == "__main__":
    raise SystemExit(main())
