"""Ingest a campaign's channel feedback files (<paths.raw>/campaign_feedback/<campaign>/**.csv) into
gold.contact_history, quarantining bad rows with reason codes, and log the reconciliation per channel."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import functions as F

from lifecircle.campaigns.definition import load_campaign
from lifecircle.campaigns.feedback import RAW_SCHEMA, parse_feedback, reconciliation
from lifecircle.core.errors import InputError
from lifecircle.core.paths import is_uri, resolve
from lifecircle.core.spark import reuse
from lifecircle.runtime import JobContext, job


@job("campaign_feedback", description=__doc__, args=[(["--campaign"], {"required": True})])
def main(ctx: JobContext) -> None:
    campaign = load_campaign(ctx.cfg, ctx.args.campaign)
    raw_root = ctx.cfg.get("paths.raw")
    folder = f"{raw_root if is_uri(raw_root) else resolve(raw_root)}/campaign_feedback/{campaign.id}"
    if not is_uri(folder) and not any(Path(folder).rglob("*.csv")):
        raise InputError(f"{folder}: no feedback files (*.csv) for campaign {campaign.id}")
    raw = (ctx.spark.read.option("header", True).option("mode", "PERMISSIVE")
           .option("columnNameOfCorruptRecord", "_corrupt_record").option("recursiveFileLookup", True)
           .option("pathGlobFilter", "*.csv").schema(RAW_SCHEMA).csv(folder)
           .withColumn("source_file", F.input_file_name()))
    targets = ctx.read("gold.campaign_targets").where(F.col("campaign_id") == campaign.id)
    good, bad = parse_feedback(reuse(raw), campaign, targets)
    ctx.write("gold.contact_history", good, where={"campaign_id": campaign.id})
    n_bad = ctx.write("meta.campaign_feedback_quarantine", bad, where={"campaign_id": campaign.id})
    ctx.reject(n_bad)
    for r in reconciliation(targets, ctx.read("gold.contact_history").where(F.col("campaign_id") == campaign.id)
                            ).collect():  # ok: a few reconciliation rows per campaign
        ctx.log.info("reconciliation %s", r.asDict())


if __name__ == "__main__":
    raise SystemExit(main())
