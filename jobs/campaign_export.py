"""Launch a campaign: one encrypted list file per channel (Fernet, key from privacy.lists_key_env) under
<paths.lists>/<campaign>/. Refused unless every approval level has signed off; records the launch."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import functions as F

from lifecircle.campaigns.crypto import csv_bytes, encrypt, lists_key
from lifecircle.campaigns.definition import CONTROL, load_campaign
from lifecircle.campaigns.store import audit_history, record_transition
from lifecircle.campaigns.workflow import LAUNCHED, current_state
from lifecircle.core.paths import resolve
from lifecircle.runtime import JobContext, job

LIST_HEADER = ("campaign_id", "subscriber_id", "strategy_id", "offer_id", "channel", "script")


@job("campaign_export", description=__doc__, args=[
    (["--campaign"], {"required": True}),
    (["--by"], {"default": "campaign_export", "help": "who launches (recorded in meta.campaign_audit)"}),
])
def main(ctx: JobContext) -> None:
    campaign = load_campaign(ctx.cfg, ctx.args.campaign)
    key = lists_key(ctx.cfg.get("privacy.lists_key_env"))  # fail before anything else if the key is missing
    if current_state(audit_history(ctx.spark, ctx.cfg, campaign.id)) != LAUNCHED:
        record_transition(ctx.spark, ctx.cfg, campaign, "launch", ctx.args.by)  # refuses without approvals
    treated = (ctx.read("gold.campaign_targets")
               .where((F.col("campaign_id") == campaign.id) & (F.col("group") != CONTROL))
               .select("subscriber_id", "strategy_id", "channel"))
    out_dir = Path(resolve(ctx.cfg.get("paths.lists"))) / campaign.id
    out_dir.mkdir(parents=True, exist_ok=True)
    for channel, capacity in sorted(campaign.capacities.items()):
        # A channel list is bounded by the channel's capacity (a call centre's or store's weekly workload),
        # so collecting it to the driver is safe; the clear CSV is built in memory and only ciphertext is written.
        rows = treated.where(F.col("channel") == channel).orderBy("subscriber_id").limit(capacity).collect()  # ok: bounded by capacity
        body = csv_bytes(LIST_HEADER, (
            (campaign.id, r["subscriber_id"], r["strategy_id"], campaign.strategy(r["strategy_id"]).offer_id,
             channel, campaign.strategy(r["strategy_id"]).script) for r in rows))
        path = out_dir / f"{campaign.id}_{channel}.csv.fernet"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(encrypt(body, key))
        tmp.replace(path)
        path.chmod(0o600)
        ctx.log.info("list %s: %d subscribers -> %s (encrypted)", channel, len(rows), path)
        ctx.notes[channel] = len(rows)


if __name__ == "__main__":
    raise SystemExit(main())
