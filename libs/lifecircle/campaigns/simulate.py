"""Closed loop on the simulator: draw each target's response from planted parameters (p_control without
contact, p_treated with its strategy), reproducibly from a seed, and produce channel feedback rows."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.campaigns.definition import CONTROL, Campaign
from lifecircle.campaigns.targeting import hash_unit

PARAM_COLUMNS = ("subscriber_id", "strategy", "p_control", "p_treated")


def align_params(params: DataFrame, campaign: Campaign) -> DataFrame:
    """Planted parameters keyed by strategy id or offer id → (subscriber_id, group, p) per arm: p_treated
    for each strategy group and the mean p_control for the control group."""
    by_offer = {s.offer_id: s.id for s in campaign.strategies}
    ids = [s.id for s in campaign.strategies]
    offer_map = F.create_map(*sum(([F.lit(k), F.lit(v)] for k, v in by_offer.items()), [])) if by_offer else None
    sid = F.when(F.col("strategy").isin(*ids), F.col("strategy"))
    if offer_map is not None:
        sid = sid.otherwise(F.element_at(offer_map, F.col("strategy")))
    p = params.withColumn("group", sid).where(F.col("group").isNotNull())
    treated = p.select("subscriber_id", "group", F.col("p_treated").cast("double").alias("p"))
    control = p.groupBy("subscriber_id").agg(F.avg(F.col("p_control").cast("double")).alias("p")) \
        .withColumn("group", F.lit(CONTROL)).select("subscriber_id", "group", "p")
    return treated.unionByName(control)


def simulate_feedback(targets: DataFrame, params: DataFrame, campaign: Campaign, reach_rate: dict[str, float],
                      seed: int) -> DataFrame:
    """Targets (subscriber_id, group, strategy_id, channel) + planted parameters → feedback rows in the
    channel file format. A treated target responds with p_treated whether reached or not (so the planted
    intention-to-treat effect is p_treated - p_control); reached responders accept, reached non-responders
    decline or ask to be called back; a response without reach, and any control response, is `converted`."""
    arms = align_params(params, campaign)
    reach = F.create_map(*sum(([F.lit(k), F.lit(float(v))] for k, v in reach_rate.items()), []))
    day = campaign.start + dt.timedelta(days=min(3, (campaign.end - campaign.start).days))
    ts = F.lit(f"{day.isoformat()} 10:00:00")
    df = (targets.join(arms, ["subscriber_id", "group"], "left")
          .withColumn("_resp", hash_unit(F.concat_ws("|", "subscriber_id", F.lit("respond")), seed) < F.coalesce("p", F.lit(0.0)))
          .withColumn("_reach", hash_unit(F.concat_ws("|", "subscriber_id", F.lit("reach")), seed)
                      < F.coalesce(F.element_at(reach, F.col("channel")), F.lit(1.0)))
          .withColumn("_cb", hash_unit(F.concat_ws("|", "subscriber_id", F.lit("callback")), seed) < 0.2))
    treated = F.col("group") != CONTROL
    final = (F.when(~treated, F.when(F.col("_resp"), F.lit("converted")))
             .when(F.col("_reach") & F.col("_resp"), F.lit("accepted"))
             .when(F.col("_reach") & F.col("_cb"), F.lit("call_back_later"))
             .when(F.col("_reach"), F.lit("declined"))
             .when(F.col("_resp"), F.lit("converted"))
             .otherwise(F.lit("contacted")))
    df = df.withColumn("outcome", final).where(F.col("outcome").isNotNull())
    return df.select(
        "subscriber_id", F.coalesce("strategy_id", F.lit("")).alias("strategy_id"),
        F.when(F.col("outcome") == "converted", F.lit("none")).otherwise(F.col("channel")).alias("channel"),
        ts.alias("contact_time"), "outcome",
        F.when(F.col("outcome") == "declined", F.lit("not_interested")).otherwise(F.lit("")).alias("decline_reason"))
