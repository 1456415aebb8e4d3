"""Table I/O shared by the campaign jobs and the `lifecircle campaign` commands (the edges, not transforms):
the audit trail of the approval workflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lifecircle.campaigns.definition import Campaign
from lifecircle.campaigns.simulate import PARAM_COLUMNS
from lifecircle.campaigns.workflow import AUDIT_COLUMNS, AUDIT_SCHEMA, transition
from lifecircle.core.config import Config
from lifecircle.core.delta_io import read_delta, table_exists, write_delta
from lifecircle.core.errors import InputError
from lifecircle.core.paths import is_uri, resolve
from lifecircle.ingest.privacy import pii_key, pseudonymise

AUDIT_TABLE = "meta.campaign_audit"


def _path(cfg: Config, name: str) -> str:
    from lifecircle.registry import table

    return table(name).path(cfg)


def audit_history(spark: SparkSession, cfg: Config, campaign_id: str) -> list[dict[str, Any]]:
    """The campaign's audit rows (a handful per campaign), oldest first."""
    path = _path(cfg, AUDIT_TABLE)
    if not table_exists(spark, path):
        return []
    rows = read_delta(spark, path, AUDIT_TABLE).where(F.col("campaign_id") == campaign_id).collect()  # ok: one campaign's audit trail
    return sorted((r.asDict() for r in rows), key=lambda r: r["seq"])


def record_transition(spark: SparkSession, cfg: Config, campaign: Campaign, action: str, actor: str,
                      level: str | None = None, comment: str | None = None) -> dict[str, Any]:
    """Check the transition against the history and append it to meta.campaign_audit; returns the row."""
    row = transition(campaign.id, audit_history(spark, cfg, campaign.id), action, actor, campaign.approvals,
                     level, comment)
    df = spark.createDataFrame([tuple(row[c] for c in AUDIT_COLUMNS)], AUDIT_SCHEMA)
    write_delta(df, _path(cfg, AUDIT_TABLE), mode="append", partition_by=("campaign_id",))
    return row


def read_params(spark: SparkSession, cfg: Config, path: str) -> DataFrame:
    """Planted response parameters (CSV, Parquet or Delta; msisdn pseudonymised; offer_id read as strategy)."""
    p = path if is_uri(path) else resolve(path)
    if not is_uri(p) and not Path(p).exists():
        raise InputError(f"{p}: planted campaign response parameters not found (run generate, or pass --params)")
    if p.endswith(".csv"):
        df = spark.read.option("header", True).csv(p)
    elif not is_uri(p) and (Path(p) / "_delta_log").exists():
        df = spark.read.format("delta").load(p)
    else:
        df = spark.read.parquet(p)
    if "subscriber_id" not in df.columns and "msisdn" in df.columns:
        key = pii_key(cfg.get("privacy.pii_key_env"))
        df = df.withColumn("subscriber_id", pseudonymise(F.col("msisdn").cast("string"), key))
    if "strategy" not in df.columns and "offer_id" in df.columns:  # the generator's truth is keyed by offer
        df = df.withColumnRenamed("offer_id", "strategy")
    missing = [c for c in PARAM_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{p}: response parameters lack column(s) {', '.join(missing)}")
    return df.select(*PARAM_COLUMNS)
