"""Monthly social graph from silver voice CDR and SMS: ties, graph features, communities, leaders, family circles.

`--months A:B` computes a range of months in one pass with the tables of one run per month: every party is keyed
by its month (lifecircle.core.month_keys), so the months' graphs sit side by side, disjoint, in one set of graph
iterations, and each month's PageRank is rescaled on its own."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.core.month_keys import key_month, key_subject, keyed, month_of, unkeyed
from lifecircle.core.periods import add_months
from lifecircle.core.spark import reuse
from lifecircle.features.panorama import month_filter
from lifecircle.runtime import MONTHS_ARG, JobContext, job
from lifecircle.social import features as S
from lifecircle.social.edges import EdgeRules, contact_events, graph_vertices, pair_edges, tie_vertices
from lifecircle.social.graph import DST, ID, SRC


def _parties_keyed(df: DataFrame) -> DataFrame:
    """Voice or SMS rows with both parties keyed by the month of the contact."""
    return keyed(keyed(df, month_of("date"), "subscriber_id"), month_of("date"), "contact_id")


@job("social_graph", description=__doc__, args=[MONTHS_ARG], needs="month")
def main(ctx: JobContext) -> None:
    months = ctx.months
    period = {"month": months}
    section = ctx.cfg.section("social")
    rules = EdgeRules.from_config(section.get("edges", {}))
    params = S.graph_params(section)
    voice = _parties_keyed(month_filter(ctx.read("silver.voice_cdr"), months))
    sms = _parties_keyed(month_filter(ctx.read("silver.sms"), months))

    parties = reuse(graph_vertices(voice, sms, months))
    pairs = reuse(pair_edges(contact_events(voice, sms, months), parties, rules))
    kept = pairs.where("kept").drop("kept")
    ctx.write("gold.social_edges", kept.select(
        *[key_subject(c).alias(c) if c in (SRC, DST) else F.col(c) for c in kept.columns],
        key_month(SRC).alias("month")), where=period)
    edges = ctx.read("gold.social_edges")
    kept = reuse(keyed(keyed(edges.where(F.col("month").isin(*months)), "month", SRC), "month", DST))
    vertices = reuse(tie_vertices(parties, kept))

    metrics = reuse(S.graph_metrics(vertices, kept, params, graph_of=key_month(ID)))
    plain_vertices = unkeyed(vertices, ID)
    plain_metrics = unkeyed(metrics, ID, "community_id")
    comp = unkeyed(S.competitor_share(pairs, rules.drop_networks), "subscriber_id")
    family = unkeyed(S.family_circles(vertices, kept, params), ID, "family_circle_id")
    # window features read M-2..M: this pass's own months, and the table's months before the pass
    earlier = ctx.read_optional("gold.social_features")
    earlier = earlier.where(F.col("month") < months[0]) if earlier is not None else None
    trend = S.competitor_trend(comp, earlier, months)
    subscribers = ctx.read_optional("silver.subscriber")
    if subscribers is not None:
        subs = subscribers.where(F.col("month").between(add_months(months[0], -2), months[-1]))
        window = edges.where(F.col("month").between(add_months(months[0], -2), months[-1]) & F.col("strong"))
        contagion = S.churn_contagion(window.select(SRC, DST, "month"), subs, months)
        base = subs.where(F.col("month").isin(*months)).select("subscriber_id", "month")
        # a month's members as gold.social_features holds them: subscriber vertices and the month's subscribers
        in_features = plain_vertices.select(ID, "month", "is_subscriber").join(
            base.select(F.col("subscriber_id").alias(ID), "month", F.lit(True).alias("_base")), [ID, "month"], "left")
        comm = plain_metrics.select(ID, "month", "community_id", "community_size").join(
            in_features.select(ID, "month", (F.col("is_subscriber") | F.coalesce("_base", F.lit(False)))
                               .alias("is_subscriber")), [ID, "month"], "left")
        circle = S.circle_churn(comm, earlier, subs, months)
    else:
        ctx.log.warning("silver.subscriber not written yet: churn contagion features are 0")
        contagion = ctx.spark.createDataFrame([], "subscriber_id string, month string, strong_contacts long, "
                                              "contagion_churned_1m long, contagion_share_1m double, "
                                              "contagion_churned_3m long, contagion_share_3m double")
        subs, circle, base = None, None, None
    features = S.assemble_features(plain_vertices, plain_metrics, comp, trend, contagion, family, months, base, circle)
    ctx.write("gold.social_features", features, where=period)
    ctx.write("gold.communities", S.communities(plain_vertices, plain_metrics, subs, months), where=period)

    vas = ctx.read_optional("silver.vas_orders")
    if vas is not None:
        feats = ctx.read("gold.social_features").where(F.col("month").isin(*months))
        ctx.write("gold.leaders", S.leaders(feats, vas, months, params), where=period)
    else:
        ctx.log.warning("silver.vas_orders not written yet: no leaders for %s", ", ".join(months))
    for df in (metrics, kept, pairs, vertices, parties):  # cached on a cluster; local checkpoints go with GC
        df.unpersist()


if __name__ == "__main__":
    raise SystemExit(main())
