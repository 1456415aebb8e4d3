"""Monthly social graph from silver voice CDR and SMS: ties, graph features, communities, leaders, family circles."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.core.periods import add_months
from lifecircle.core.spark import reuse
from lifecircle.features.panorama import month_filter
from lifecircle.runtime import JobContext, job
from lifecircle.social import features as S
from lifecircle.social.edges import EdgeRules, contact_events, graph_vertices, pair_edges, tie_vertices
from lifecircle.social.graph import DST, SRC


@job("social_graph", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    month = ctx.month
    section = ctx.cfg.section("social")
    rules = EdgeRules.from_config(section.get("edges", {}))
    params = S.graph_params(section)
    voice = month_filter(ctx.read("silver.voice_cdr"), month)
    sms = month_filter(ctx.read("silver.sms"), month)

    parties = reuse(graph_vertices(voice, sms, month))
    pairs = reuse(pair_edges(contact_events(voice, sms, month), parties, rules))
    kept = pairs.where("kept").drop("kept")
    ctx.write("gold.social_edges", kept.withColumn("month", F.lit(month)), where={"month": month})
    kept = reuse(ctx.read("gold.social_edges").where(F.col("month") == month))
    vertices = reuse(tie_vertices(parties, kept))

    metrics = reuse(S.graph_metrics(vertices, kept, params))
    comp = S.competitor_share(pairs, rules.drop_networks)
    previous = ctx.read_optional("gold.social_features")
    trend = S.competitor_trend(comp, previous, month)
    subscribers = ctx.read_optional("silver.subscriber")
    window = ctx.read("gold.social_edges").where(
        F.col("month").between(add_months(month, -2), month) & F.col("strong")).select(SRC, DST, "month")
    if subscribers is not None:
        subscribers = subscribers.where(F.col("month").between(add_months(month, -2), month))
        contagion = S.churn_contagion(window, subscribers, month)
        circle = S.circle_churn(metrics.select(S.ID, "community_id", "community_size"), previous, subscribers, month)
        base = subscribers.where(F.col("month") == month).select("subscriber_id")
    else:
        ctx.log.warning("silver.subscriber not written yet: churn contagion features are 0")
        contagion = ctx.spark.createDataFrame([], "subscriber_id string, strong_contacts long, "
                                              "contagion_churned_1m long, contagion_share_1m double, "
                                              "contagion_churned_3m long, contagion_share_3m double")
        circle = None
        base = None
    family = S.family_circles(vertices, kept, params)
    feats = S.assemble_features(vertices, metrics, comp, trend, contagion, family, month, base, circle)
    ctx.write("gold.social_features", feats, where={"month": month})
    feats = ctx.read("gold.social_features").where(F.col("month") == month)

    ctx.write("gold.communities", S.communities(vertices, metrics, subscribers, month), where={"month": month})
    vas = ctx.read_optional("silver.vas_orders")
    if vas is not None:
        ctx.write("gold.leaders", S.leaders(feats, vas, month, params), where={"month": month})
    else:
        ctx.log.warning("silver.vas_orders not written yet: no leaders for %s", month)
    for df in (metrics, kept, pairs, vertices, parties):  # cached on a cluster; local checkpoints go with GC
        df.unpersist()


if __name__ == "__main__":
    raise SystemExit(main())
