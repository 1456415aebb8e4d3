"""Channel lists: each in-plan subscriber goes to the first configured channel (outbound call, SMS, store,
customer manager, ...) whose condition holds and that still has capacity, in plan order."""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lifecircle.core.config import config_expr
from lifecircle.core.errors import ConfigError


def parse_channels(channels_cfg: Any) -> list[tuple[str, int, str]]:
    """retention.channels mapping → [(channel, capacity, SQL condition)] in config order; ConfigError names the field."""
    if not isinstance(channels_cfg, dict) or not channels_cfg:
        raise ConfigError("retention.channels: must be a non-empty mapping of channel -> {capacity, when}")
    out = []
    for name, c in channels_cfg.items():
        if not isinstance(c, dict):
            raise ConfigError(f"retention.channels.{name}: must be a mapping with capacity and when")
        cap = c.get("capacity")
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise ConfigError(f"retention.channels.{name}.capacity: must be an integer >= 0 (got {cap!r})")
        when = c.get("when", "true")
        if not isinstance(when, str) or not when.strip():
            raise ConfigError(f"retention.channels.{name}.when: must be a SQL condition (got {when!r})")
        out.append((str(name), cap, when))
    return out


def _cond(df: DataFrame, name: str, when: str) -> Column:
    return F.coalesce(config_expr(df, when, f"retention.channels.{name}.when"), F.lit(False))


def assign_channels(df: DataFrame, channels: list[tuple[str, int, str]]) -> DataFrame:
    """Plan rows (in_plan, plan_rank and the columns the conditions name) in; adds preferred_channel (first
    channel whose condition holds, capacity ignored), channel (assigned within capacity, in-plan only; null when
    every fitting channel is full) and channel_rank (1 = first on that channel's list)."""
    pref = F.lit(None).cast("string")
    for name, _, when in reversed(channels):
        pref = F.when(_cond(df, name, when), F.lit(name)).otherwise(pref)
    out = df.withColumns({"preferred_channel": pref, "channel": F.lit(None).cast("string"),
                          "channel_rank": F.lit(None).cast("int")})
    for name, cap, when in channels:
        cand = F.col("in_plan") & F.col("channel").isNull() & _cond(df, name, when)
        w = Window.partitionBy("_c").orderBy(F.col("plan_rank").asc_nulls_last(), F.col("subscriber_id"))
        out = out.withColumn("_c", cand).withColumn("_r", F.row_number().over(w))
        take = F.col("_c") & (F.col("_r") <= F.lit(cap))
        out = out.withColumns({
            "channel": F.when(take, F.lit(name)).otherwise(F.col("channel")),
            "channel_rank": F.when(take, F.col("_r")).otherwise(F.col("channel_rank")),
        }).drop("_c", "_r")
    return out


def channel_lists(plan: DataFrame) -> DataFrame:
    """Plan rows in; the assigned subscribers per channel out (month, channel, channel_rank, subscriber_id,
    quadrant, priority, offer_id, alert_level)."""
    return (plan.where(F.col("channel").isNotNull())
            .select("month", "channel", "channel_rank", "subscriber_id", "quadrant", "priority", "offer_id",
                    "alert_level"))
