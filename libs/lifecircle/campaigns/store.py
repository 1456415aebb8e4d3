"""Table I/O shared by the campaign jobs and the `lifecircle campaign` commands (the edges, not transforms):
the audit trail of the approval workflow."""

from __future__ import annotations

from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from lifecircle.campaigns.definition import Campaign
from lifecircle.campaigns.workflow import AUDIT_COLUMNS, AUDIT_SCHEMA, transition
from lifecircle.core.config import Config
from lifecircle.core.delta_io import read_delta, table_exists, write_delta

AUDIT_TABLE = "meta.campaign_audit"


def _path(cfg: Config, name: str) -> str:
    from lifecircle.registry import table

    return table(name).path(cfg)


def audit_history(spark: SparkSession, cfg: Config, campaign_id: str) -> list[dict[str, Any]]:
    """The campaign's audit rows (a handful per campaign), oldest first."""
    path = _path(cfg, AUDIT_TABLE)
    if not table_exists(spark, path):
        return []
    rows = read_delta(spark, path, AUDIT_TABLE).where(F.col("campaign_id") == campaign_id).collect()
    return sorted((r.asDict() for r in rows), key=lambda r: r["seq"])


def record_transition(spark: SparkSession, cfg: Config, campaign: Campaign, action: str, actor: str,
                      level: str | None = None, comment: str | None = None) -> dict[str, Any]:
    """Check the transition against the history and append it to meta.campaign_audit; returns the row."""
    row = transition(campaign.id, audit_history(spark, cfg, campaign.id), action, actor, campaign.approvals,
                     level, comment)
    df = spark.createDataFrame([tuple(row[c] for c in AUDIT_COLUMNS)], AUDIT_SCHEMA)
    write_delta(df, _path(cfg, AUDIT_TABLE), mode="append", partition_by=("campaign_id",))
    return row
