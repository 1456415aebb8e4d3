"""Demo only: draw every target's response from the planted response parameters (the generator's truth, or
--params PATH with subscriber_id|msisdn, strategy, p_control, p_treated) and write channel feedback files
under <paths.raw>/campaign_feedback/<campaign>/simulated/, closing the loop for campaign_feedback."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import functions as F

from lifecircle.campaigns.definition import load_campaign
from lifecircle.campaigns.simulate import PARAM_COLUMNS, simulate_feedback
from lifecircle.core.errors import InputError
from lifecircle.core.paths import is_uri, resolve
from lifecircle.ingest.privacy import pii_key, pseudonymise
from lifecircle.runtime import JobContext, job


def _read_params(ctx: JobContext, path: str):
    p = path if is_uri(path) else resolve(path)
    if not is_uri(p) and not Path(p).exists():
        raise InputError(f"{p}: planted campaign response parameters not found (run generate, or pass --params)")
    if p.endswith(".csv"):
        df = ctx.spark.read.option("header", True).csv(p)
    elif not is_uri(p) and (Path(p) / "_delta_log").exists():
        df = ctx.spark.read.format("delta").load(p)
    else:
        df = ctx.spark.read.parquet(p)
    if "subscriber_id" not in df.columns and "msisdn" in df.columns:
        key = pii_key(ctx.cfg.get("privacy.pii_key_env"))
        df = df.withColumn("subscriber_id", pseudonymise(F.col("msisdn").cast("string"), key))
    missing = [c for c in PARAM_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{p}: response parameters lack column(s) {', '.join(missing)}")
    return df.select(*PARAM_COLUMNS)


@job("campaign_simulate", description=__doc__, args=[
    (["--campaign"], {"required": True}),
    (["--params"], {"default": None, "help": "response parameters (default <paths.truth>/campaign_response)"}),
])
def main(ctx: JobContext) -> None:
    campaign = load_campaign(ctx.cfg, ctx.args.campaign)
    sim = ctx.cfg.section("campaigns")["simulation"]
    params = _read_params(ctx, ctx.args.params or f"{ctx.cfg.get('paths.truth')}/campaign_response")
    targets = ctx.read("gold.campaign_targets").where(F.col("campaign_id") == campaign.id)
    rows = simulate_feedback(targets, params, campaign, sim["reach_rate"], int(sim["seed"]))
    raw = ctx.cfg.get("paths.raw")
    out = f"{raw if is_uri(raw) else resolve(raw)}/campaign_feedback/{campaign.id}/simulated"
    rows.coalesce(1).write.mode("overwrite").option("header", True).csv(out)
    ctx.log.info("simulated feedback for %s -> %s", campaign.id, out)


if __name__ == "__main__":
    raise SystemExit(main())
