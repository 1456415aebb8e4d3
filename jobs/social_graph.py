"""Monthly social graph from silver voice CDR and SMS: ties, graph features, communities, leaders, family circles.

`--months A:B` computes a range of months in one pass with the tables of one run per month: every party is keyed
by its month (lifecircle.core.month_keys), so the months' graphs sit side by side, disjoint, in one set of graph
iterations, and each month's PageRank is rescaled on its own."""

from __future__ import annotations

from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.core.month_keys import key_month, key_subject, keyed, month_of
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


def _plain(df: DataFrame, key: str, *also_keyed: str) -> DataFrame:
    """Keyed rows → month, the plain `key` and the other columns (`also_keyed` ones unkeyed as well)."""
    rest = [key_subject(c).alias(c) if c in also_keyed else F.col(c) for c in df.columns if c not in (key, "month")]
    return df.select(key_month(key).alias("month"), key_subject(key).alias(key), *rest)


def _union(frames: list[DataFrame]) -> DataFrame:
    return reduce(DataFrame.unionByName, frames)


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
    kept = reuse(edges.where(F.col("month").isin(*months)).withColumns(
        {SRC: F.concat("month", F.lit("|"), SRC), DST: F.concat("month", F.lit("|"), DST)}))
    vertices = reuse(tie_vertices(parties, kept))

    metrics = reuse(S.graph_metrics(vertices, kept, params, graph_of=key_month(ID)))
    plain_vertices = _plain(vertices, ID)
    plain_metrics = _plain(metrics, ID, "community_id")
    comp = _plain(S.competitor_share(pairs, rules.drop_networks), "subscriber_id")
    family = _plain(S.family_circles(vertices, kept, params), ID, "family_circle_id")
    # each month reads its two months before: this pass's own, or the table's for months before the pass
    earlier = ctx.read_optional("gold.social_features")
    earlier = earlier.where(F.col("month") < months[0]) if earlier is not None else None
    own_members = plain_metrics.join(plain_vertices.where("is_subscriber").select("month", ID), ["month", ID])
    shares = comp.select("subscriber_id", "month", "competitor_minutes_share")
    members = own_members.select(F.col(ID).alias("subscriber_id"), "month", "community_id")
    if earlier is not None:
        shares = shares.unionByName(earlier.select("subscriber_id", "month", "competitor_minutes_share"))
        members = members.unionByName(earlier.select("subscriber_id", "month", "community_id"))
    subscribers = ctx.read_optional("silver.subscriber")
    if subscribers is None:
        ctx.log.warning("silver.subscriber not written yet: churn contagion features are 0")

    features, communities = [], []
    for month in months:
        in_month = F.col("month") == month
        v = plain_vertices.where(in_month).drop("month")
        m = plain_metrics.where(in_month).drop("month")
        c = comp.where(in_month).drop("month")
        trend = S.competitor_trend(c, shares, month)
        if subscribers is not None:
            subs = subscribers.where(F.col("month").between(add_months(month, -2), month))
            window = edges.where(F.col("month").between(add_months(month, -2), month) & F.col("strong")).select(
                SRC, DST, "month")
            contagion = S.churn_contagion(window, subs, month)
            circle = S.circle_churn(m.select(ID, "community_id", "community_size"), members, subs, month)
            base = subs.where(in_month).select("subscriber_id")
        else:
            contagion = ctx.spark.createDataFrame([], "subscriber_id string, strong_contacts long, "
                                                  "contagion_churned_1m long, contagion_share_1m double, "
                                                  "contagion_churned_3m long, contagion_share_3m double")
            subs, circle, base = None, None, None
        fam = family.where(in_month).drop("month")
        features.append(S.assemble_features(v, m, c, trend, contagion, fam, month, base, circle))
        communities.append(S.communities(v, m, subs, month))
    ctx.write("gold.social_features", _union(features), where=period)
    ctx.write("gold.communities", _union(communities), where=period)

    vas = ctx.read_optional("silver.vas_orders")
    if vas is not None:
        feats = ctx.read("gold.social_features").where(F.col("month").isin(*months))
        ctx.write("gold.leaders", _union([S.leaders(feats.where(F.col("month") == month), vas, month, params)
                                          for month in months]), where=period)
    else:
        ctx.log.warning("silver.vas_orders not written yet: no leaders for %s", ", ".join(months))
    for df in (metrics, kept, pairs, vertices, parties):  # cached on a cluster; local checkpoints go with GC
        df.unpersist()


if __name__ == "__main__":
    raise SystemExit(main())
