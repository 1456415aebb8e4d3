"""Per-subscriber social features: degrees, PageRank, triangles, communities, competitor exposure, churn
contagion and family circles; plus the community summary and the community leaders.

All functions take DataFrames and parameters and return DataFrames. Churn contagion reads churn labels
of months M-2..M only (never later), so the features of month M can be used to predict churn in M+1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lifecircle.core.periods import add_months, month_bounds
from lifecircle.social.edges import COMPETITOR_NETWORKS, neighbours
from lifecircle.social.graph import DST, ID, SRC, Graph


@dataclass(frozen=True)
class GraphParams:
    """Algorithm settings (conf/social.yaml `graph`, `community`, `family`, `leaders`)."""

    backend: str = "auto"
    checkpoint_interval: int = 2
    local_checkpoints: bool = False
    pagerank_iter: int = 10
    lp_iter: int = 5
    lp_weighted: bool = True
    lp_include_self: bool = True
    family_min_home_calls: int = 4
    family_max_size: int = 6
    leader_reach_weight: float = 0.5
    leader_reach_columns: tuple[str, ...] = ("pagerank", "weighted_degree")
    leader_adoption_weight: float = 0.5
    leader_share: float = 0.2
    leader_max_per_community: int = 3
    leader_min_community_size: int = 4
    vas_lookback_months: int = 6


def graph_params(section: dict) -> GraphParams:
    """conf/social.yaml → GraphParams."""
    g, c = section.get("graph", {}) or {}, section.get("community", {}) or {}
    f, ld = section.get("family", {}) or {}, section.get("leaders", {}) or {}
    return GraphParams(
        backend=str(g.get("backend", "auto")), checkpoint_interval=int(g.get("checkpoint_interval", 2)),
        local_checkpoints=bool(g.get("local_checkpoints", False)), pagerank_iter=int(g.get("pagerank_iter", 10)),
        lp_iter=int(c.get("max_iter", 5)), lp_weighted=bool(c.get("weighted", True)),
        lp_include_self=bool(c.get("include_self", True)), family_min_home_calls=int(f.get("min_home_calls", 4)),
        family_max_size=int(f.get("max_size", 6)), leader_reach_weight=float(ld.get("reach_weight", 0.5)),
        leader_reach_columns=tuple(ld.get("reach_columns", ("pagerank", "weighted_degree"))),
        leader_adoption_weight=float(ld.get("adoption_weight", 0.5)), leader_share=float(ld.get("share", 0.2)),
        leader_max_per_community=int(ld.get("max_per_community", 3)),
        leader_min_community_size=int(ld.get("min_community_size", 4)),
        vas_lookback_months=int(ld.get("vas_lookback_months", 6)),
    )


def _month_index(col: str) -> F.Column:
    return F.substring(col, 1, 4).cast("int") * 12 + F.substring(col, 6, 2).cast("int")


def _month_number(month: str) -> int:
    """The `_month_index` of a `YYYY-MM` text."""
    return int(month[:4]) * 12 + int(month[5:7])


def _months(month: str | Sequence[str]) -> list[str]:
    return [month] if isinstance(month, str) else list(month)


def _with_month(df: DataFrame, months: Sequence[str]) -> DataFrame:
    """`df` with its `month` column; a frame of one month may come without one."""
    if "month" in df.columns:
        return df
    if len(months) != 1:
        raise ValueError(f"a frame for several months needs a month column (has {', '.join(df.columns)})")
    return df.withColumn("month", F.lit(months[0]))


def _to_targets(df: DataFrame, months: Sequence[str], back: int) -> DataFrame:
    """Rows with a `month` → one copy per month T of `months` that reads them (T-back <= month <= T), as `target`:
    the window features of every month of a pass at once."""
    start = F.to_date(F.concat(F.col("month"), F.lit("-01")))
    target = F.date_format(F.add_months(start, F.col("_k")), "yyyy-MM")
    return (df.withColumn("_k", F.explode(F.sequence(F.lit(0), F.lit(back))))
            .withColumn("target", target).drop("_k").where(F.col("target").isin(*months)))


def graph_metrics(vertices: DataFrame, edges: DataFrame, p: GraphParams, graph_of: Column | None = None) -> DataFrame:
    """Graph vertices + kept edges → id, degree, degree_on_net, degree_competitor, weighted_degree, reciprocity,
    pagerank, triangle_count, clustering_coefficient, community_id, community_size. `graph_of` (an expression over
    `id`) names the disjoint graphs held side by side (months), whose PageRanks are each rescaled on their own."""
    nb = neighbours(edges, ["weight", "reciprocal"])
    deg = nb.groupBy(ID).agg(
        F.count("*").alias("degree"),
        F.sum((F.col("nbr_network") == "on_net").cast("long")).alias("degree_on_net"),
        F.sum(F.col("nbr_network").isin(*COMPETITOR_NETWORKS).cast("long")).alias("degree_competitor"),
        F.round(F.sum("weight"), 4).alias("weighted_degree"),
        F.round(F.avg(F.col("reciprocal").cast("double")), 4).alias("reciprocity"),
    )
    v = vertices.select(ID)
    g = Graph(v, edges.select(SRC, DST, "weight"), weight_col="weight", backend=p.backend,
              checkpoint_interval=p.checkpoint_interval, local_checkpoints=p.local_checkpoints)
    pr = g.page_rank(max_iter=p.pagerank_iter, normalise_within=graph_of)
    cc = g.clustering_coefficient().select(ID, "triangle_count", "clustering_coefficient")
    lp = g.label_propagation(max_iter=p.lp_iter, weighted=p.lp_weighted, include_self=p.lp_include_self)
    sizes = lp.groupBy("label").agg(F.count("*").alias("community_size"))
    comm = lp.join(sizes, "label").select(ID, F.col("label").alias("community_id"), "community_size")
    return (
        v.join(deg, ID, "left").join(pr, ID, "left").join(cc, ID, "left").join(comm, ID, "left")
        .select(
            ID, *[F.coalesce(c, F.lit(0)).cast("long").alias(c) for c in ("degree", "degree_on_net", "degree_competitor")],
            F.coalesce("weighted_degree", F.lit(0.0)).alias("weighted_degree"),
            F.coalesce("reciprocity", F.lit(0.0)).alias("reciprocity"),
            "pagerank", "triangle_count", "clustering_coefficient", "community_id", "community_size",
        )
    )


def competitor_share(pairs: DataFrame, drop_networks: tuple[str, ...] = ("service",)) -> DataFrame:
    """All contact pairs of the month (before the tie filter) → subscriber_id, total_minutes,
    competitor_minutes_share (minutes with competitor numbers / minutes with non-service parties)."""
    nb = neighbours(pairs, ["minutes"]).where(~F.col("nbr_network").isin(*drop_networks))
    own = nb.join(
        pairs.select(F.col(SRC).alias(ID), F.col("src_is_subscriber").alias("_s"))
        .unionByName(pairs.select(F.col(DST).alias(ID), F.col("dst_is_subscriber").alias("_s")))
        .where("_s").select(ID).distinct(), ID,
    )
    # minutes are 2-decimal: summed as decimals, the share does not depend on the order of the sum
    minutes = F.col("minutes").cast("decimal(18,2)")
    agg = own.groupBy(ID).agg(
        F.sum(minutes).alias("total_minutes"),
        F.sum(F.when(F.col("nbr_network").isin(*COMPETITOR_NETWORKS), minutes).otherwise(0)).alias("_c"),
    )
    return agg.select(
        F.col(ID).alias("subscriber_id"), F.col("total_minutes").cast("double").alias("total_minutes"),
        F.when(F.col("total_minutes") > 0, F.round(F.col("_c") / F.col("total_minutes"), 4).cast("double")).alias(
            "competitor_minutes_share"),
    )


def competitor_trend(current: DataFrame, previous: DataFrame | None, month: str | Sequence[str]) -> DataFrame:
    """subscriber_id, competitor_minutes_share of `month` (or of several months, with a `month` column) + earlier
    gold.social_features rows → subscriber_id, month, competitor_share_trend_3m: least-squares slope per month over
    M-2..M (null with fewer than two months)."""
    months = _months(month)
    cur = _with_month(current, months).select("subscriber_id", "month", "competitor_minutes_share")
    hist = cur
    if previous is not None:
        hist = hist.unionByName(previous.where(
            (F.col("month") >= add_months(months[0], -2)) & ~F.col("month").isin(*months)).select(
            "subscriber_id", "month", "competitor_minutes_share"))
    hist = _to_targets(hist.where(F.col("competitor_minutes_share").isNotNull()), months, 2)
    # least squares in exact integers (months from M, shares in 1e-4): a 3-point slope often ends in a 5 at the
    # fifth decimal, and a floating-point sum in another order would round it the other way
    x = _month_index("month") - _month_index("target")
    y = F.round(F.col("competitor_minutes_share") * 10_000).cast("long")
    sums = hist.select("target", "subscriber_id", x.alias("x"), y.alias("y")).groupBy("target", "subscriber_id").agg(
        F.count("*").alias("n"), F.sum("x").alias("sx"), F.sum("y").alias("sy"),
        F.sum(F.col("x") * F.col("y")).alias("sxy"), F.sum(F.col("x") * F.col("x")).alias("sxx"))
    den = F.col("n") * F.col("sxx") - F.col("sx") * F.col("sx")
    num = F.col("n") * F.col("sxy") - F.col("sx") * F.col("sy")
    slope = sums.select("subscriber_id", F.col("target").alias("month"),
                        F.when(den != 0, num.cast("decimal(38,0)") / (den * 10_000)).alias("_slope"))
    return cur.select("subscriber_id", "month").join(slope, ["subscriber_id", "month"], "left").select(
        "subscriber_id", "month", F.round("_slope", 4).cast("double").alias("competitor_share_trend_3m"))


def churn_contagion(strong_edges: DataFrame, subscribers: DataFrame, month: str | Sequence[str]) -> DataFrame:
    """Strong ties (src, dst, month) + silver.subscriber (month, subscriber_id, churned) → subscriber_id, month,
    strong_contacts, contagion_churned_1m, contagion_share_1m, contagion_churned_3m, contagion_share_3m, for `month`
    or each of several months.

    Ties come from months M-2..M and churn labels from months M-2..M only: nothing after M is read, so the
    feature never sees the target month. Shares are over strong contacts who were our subscribers."""
    months = _months(month)
    ties = _to_targets(strong_edges.select(SRC, DST, "month"), months, 2)
    sym = ties.select("target", F.col(SRC).alias(ID), F.col(DST).alias("nbr")).unionByName(
        ties.select("target", F.col(DST).alias(ID), F.col(SRC).alias("nbr"))).distinct()
    labels = _to_targets(subscribers.select("subscriber_id", "month", "churned"), months, 2)
    churn = labels.groupBy("target", F.col("subscriber_id").alias("nbr")).agg(
        F.max(F.col("churned") & (F.col("month") == F.col("target"))).alias("_c1"),
        F.max("churned").alias("_c3"),
    )
    agg = sym.join(churn, ["target", "nbr"]).groupBy("target", ID).agg(
        F.count("*").alias("strong_contacts"),
        F.sum(F.col("_c1").cast("long")).alias("contagion_churned_1m"),
        F.sum(F.col("_c3").cast("long")).alias("contagion_churned_3m"),
    )
    return agg.select(
        F.col(ID).alias("subscriber_id"), F.col("target").alias("month"), "strong_contacts", "contagion_churned_1m",
        F.round(F.col("contagion_churned_1m") / F.col("strong_contacts"), 4).alias("contagion_share_1m"),
        "contagion_churned_3m",
        F.round(F.col("contagion_churned_3m") / F.col("strong_contacts"), 4).alias("contagion_share_3m"),
    )


def circle_churn(communities: DataFrame, previous: DataFrame | None, subscribers: DataFrame,
                 month: str | Sequence[str]) -> DataFrame:
    """The month's communities (id, community_id, community_size; with `month` for several months, and
    `is_subscriber` when non-subscriber vertices are among them) + earlier gold.social_features + silver.subscriber
    → subscriber_id, month, circle_churned_3m, circle_churn_share_3m: members of the subscriber's community who
    churned in M-2..M (圈子流失), each counted in the community the graph of their churn month put them in (a churner
    leaves the later graphs). The share is over this month's community size. Reads nothing after M.

    Earlier months count their subscribers only, as gold.social_features holds them; M counts every vertex."""
    months = _months(month)
    comm = _with_month(communities, months)
    sub_flag = F.coalesce(F.col("is_subscriber"), F.lit(True)) if "is_subscriber" in comm.columns else F.lit(True)
    members = comm.where(F.col("community_id").isNotNull()).select(
        F.col(ID).alias("subscriber_id"), "month", "community_id", sub_flag.alias("_sub"))
    if previous is not None:
        members = members.unionByName(
            previous.where((F.col("month") >= add_months(months[0], -2)) & ~F.col("month").isin(*months)
                           & F.col("community_id").isNotNull())
            .select("subscriber_id", "month", "community_id", F.lit(True).alias("_sub")))
    churned = subscribers.where(F.col("churned")).select("subscriber_id", "month").distinct()
    lost = members.join(churned, ["subscriber_id", "month"]).select(
        "month", "community_id", F.col("subscriber_id").alias("_churner"))
    pairs = (members.join(lost, ["month", "community_id"]).where(F.col("subscriber_id") != F.col("_churner"))
             .select("subscriber_id", "month", "_churner", "_sub"))
    counts = (_to_targets(pairs, months, 2).where((F.col("month") == F.col("target")) | F.col("_sub"))
              .groupBy("target", "subscriber_id").agg(F.countDistinct("_churner").alias("circle_churned_3m"))
              .withColumnRenamed("target", "month"))
    return (comm.select(F.col(ID).alias("subscriber_id"), "month", "community_size")
            .join(counts, ["subscriber_id", "month"], "left")
            .select("subscriber_id", "month",
                    F.coalesce("circle_churned_3m", F.lit(0)).cast("long").alias("circle_churned_3m"),
                    F.round(F.coalesce("circle_churned_3m", F.lit(0)) / F.greatest(F.col("community_size"), F.lit(1)),
                            4).alias("circle_churn_share_3m")))


def family_circles(vertices: DataFrame, edges: DataFrame, p: GraphParams) -> DataFrame:
    """Kept edges → id, family_circle_id, family_size: connected groups of 2..max_size parties linked by reciprocal
    ties with at least `family_min_home_calls` calls at home hours (evenings 19-22, weekends)."""
    fam = edges.where(F.col("reciprocal") & (F.col("home_calls") >= p.family_min_home_calls)).select(SRC, DST)
    members = fam.select(F.col(SRC).alias(ID)).unionByName(fam.select(F.col(DST).alias(ID))).distinct()
    g = Graph(members, fam, backend=p.backend, checkpoint_interval=p.checkpoint_interval,
              local_checkpoints=p.local_checkpoints)
    cc = g.connected_components()
    sizes = cc.groupBy("component").agg(F.count("*").alias("family_size"))
    return (
        cc.join(sizes, "component").where(F.col("family_size") <= p.family_max_size)
        .join(vertices.select(ID), ID)
        .select(ID, F.col("component").alias("family_circle_id"), "family_size")
    )


def communities(vertices: DataFrame, metrics: DataFrame, subscribers: DataFrame | None,
                month: str | Sequence[str]) -> DataFrame:
    """Graph vertices (id, network, is_subscriber) + metrics + silver.subscriber, of `month` (or of several months,
    with `month` columns) → community_id, month, size, subscribers, on_net_share, competitor_members,
    competitor_share, churned_members, churn_rate, triangles."""
    months = _months(month)
    m = _with_month(metrics, months).select(ID, "month", "community_id", "triangle_count").join(
        _with_month(vertices, months).select(ID, "month", "network", "is_subscriber"), [ID, "month"])
    if subscribers is not None:
        churned = subscribers.where(F.col("month").isin(*months) & F.col("churned")).select(
            F.col("subscriber_id").alias(ID), "month", F.lit(True).alias("_churned")).distinct()
        m = m.join(churned, [ID, "month"], "left")
    else:
        m = m.withColumn("_churned", F.lit(None).cast("boolean"))
    agg = m.groupBy("month", "community_id").agg(
        F.count("*").alias("size"),
        F.sum(F.col("is_subscriber").cast("long")).alias("subscribers"),
        F.sum((F.col("network") == "on_net").cast("long")).alias("_on"),
        F.sum(F.col("network").isin(*COMPETITOR_NETWORKS).cast("long")).alias("competitor_members"),
        F.sum(F.coalesce(F.col("_churned"), F.lit(False)).cast("long")).alias("churned_members"),
        (F.sum("triangle_count") / 3).cast("long").alias("triangles"),
    )
    return agg.select(
        "community_id", "month", "size", "subscribers",
        F.round(F.col("_on") / F.col("size"), 4).alias("on_net_share"), "competitor_members",
        F.round(F.col("competitor_members") / F.col("size"), 4).alias("competitor_share"), "churned_members",
        F.when(F.col("subscribers") > 0, F.round(F.col("churned_members") / F.col("subscribers"), 4)).alias("churn_rate"),
        "triangles",
    )


def leaders(features: DataFrame, vas_orders: DataFrame, month: str | Sequence[str], p: GraphParams) -> DataFrame:
    """Subscriber features (subscriber_id, community_id, community_size, pagerank, degree and the reach
    columns; with `month` for several months) + silver.vas_orders →
    month, community_id, subscriber_id, leader_rank, leader_score, reach_score, adoption_score, products_adopted,
    pagerank, degree, community_size: per community and month the members combining reach and early product
    adoption (adoption_score = community peers who ordered the same product after them, as a share of the
    community), with orders of the last `vas_lookback_months` months."""
    months = _months(month)
    f = _with_month(features, months).where(
        F.col("community_id").isNotNull() & (F.col("community_size") >= p.leader_min_community_size))
    first_day = month_bounds(add_months(months[0], -(p.vas_lookback_months - 1)))[0]
    last_day = month_bounds(months[-1])[1]
    orders = vas_orders.where((F.col("event") == "order") & (F.col("date") >= F.lit(first_day))
                              & (F.col("date") < F.lit(last_day))).select(
        "subscriber_id", "product_id", "event_time", F.date_format("date", "yyyy-MM").alias("month"))
    first_orders = (
        _to_targets(orders, months, p.vas_lookback_months - 1)
        .groupBy(F.col("target").alias("month"), "subscriber_id", "product_id")
        .agg(F.min("event_time").alias("first_order"))
    )
    adopt = first_orders.join(f.select("subscriber_id", "month", "community_id", "community_size"),
                              ["subscriber_id", "month"])
    # followers: community peers who first ordered the same product strictly later (pulled in after them);
    # a lone adopter pulls nobody, so early adoption only counts when the circle followed
    later = (Window.partitionBy("month", "community_id", "product_id").orderBy(-F.unix_timestamp("first_order"))
             .rangeBetween(Window.unboundedPreceding, -1))
    adoption = (
        adopt.withColumn("_followers", F.count(F.lit(1)).over(later))
        .groupBy("subscriber_id", "month").agg(
            F.least(F.lit(1.0), F.sum("_followers") / F.greatest(F.first("community_size") - 1, F.lit(1)))
            .alias("_early"), F.count("*").alias("products_adopted"))
    )
    w_comm = Window.partitionBy("month", "community_id")
    # reach: the mean in-community percentile of the configured centralities (PageRank: who the circle's
    # paths run through; weighted degree: how much of its calling and texting a member carries)
    reach = sum(F.percent_rank().over(w_comm.orderBy(c)) for c in p.leader_reach_columns) / len(p.leader_reach_columns)
    scored = (
        f.join(adoption, ["subscriber_id", "month"], "left")
        .withColumn("reach_score", F.round(reach, 4))
        .withColumn("adoption_score", F.round(F.coalesce("_early", F.lit(0.0)), 4))
        .withColumn("products_adopted", F.coalesce("products_adopted", F.lit(0)).cast("long"))
        .withColumn("leader_score", F.round(F.col("reach_score") * p.leader_reach_weight
                                            + F.col("adoption_score") * p.leader_adoption_weight, 4))
        .withColumn("leader_rank", F.row_number().over(
            w_comm.orderBy(F.desc("leader_score"), F.desc("pagerank"), "subscriber_id")))
    )
    quota = F.least(F.lit(p.leader_max_per_community),
                    F.greatest(F.lit(1), F.ceil(F.col("community_size") * p.leader_share).cast("int")))
    return scored.where(F.col("leader_rank") <= quota).select(
        "month", "community_id", "subscriber_id", F.col("leader_rank").cast("int").alias("leader_rank"),
        "leader_score", "reach_score", "adoption_score", "products_adopted", "pagerank", "degree", "community_size",
    )


FEATURE_COLUMNS = (
    "degree", "degree_on_net", "degree_competitor", "weighted_degree", "reciprocity", "pagerank", "triangle_count",
    "clustering_coefficient", "community_id", "community_size", "total_minutes", "competitor_minutes_share",
    "competitor_share_trend_3m", "strong_contacts", "contagion_churned_1m", "contagion_share_1m",
    "contagion_churned_3m", "contagion_share_3m", "circle_churned_3m", "circle_churn_share_3m", "family_circle_id",
    "family_size",
)


def assemble_features(
    vertices: DataFrame, metrics: DataFrame, comp: DataFrame, trend: DataFrame, contagion: DataFrame,
    family: DataFrame, month: str | Sequence[str], base: DataFrame | None = None, circle: DataFrame | None = None,
) -> DataFrame:
    """The parts above (of `month`, or of several months with `month` columns) → gold.social_features rows:
    subscriber_id, month and FEATURE_COLUMNS, one row per our subscriber in the graph (or per subscriber_id of
    `base` when given); counts default to 0 when absent."""
    months = _months(month)
    keys = ["subscriber_id", "month"]
    ids = _with_month(vertices, months).where("is_subscriber").select(F.col(ID).alias("subscriber_id"), "month")
    if base is not None:
        ids = ids.unionByName(_with_month(base, months).select(*keys)).distinct()
    m = _with_month(metrics, months).withColumnRenamed(ID, "subscriber_id")
    fam = _with_month(family, months).withColumnRenamed(ID, "subscriber_id")
    out = ids.join(m, keys, "left")
    for part in (comp, trend, contagion, fam):
        out = out.join(_with_month(part, months), keys, "left")
    if circle is not None:
        out = out.join(_with_month(circle, months), keys, "left")
    else:
        out = out.withColumns({"circle_churned_3m": F.lit(None).cast("long"),
                               "circle_churn_share_3m": F.lit(None).cast("double")})
    zero_long = ("degree", "degree_on_net", "degree_competitor", "triangle_count", "strong_contacts",
                 "contagion_churned_1m", "contagion_churned_3m", "circle_churned_3m")
    zero_double = ("weighted_degree", "reciprocity", "clustering_coefficient", "total_minutes",
                   "contagion_share_1m", "contagion_share_3m", "circle_churn_share_3m")
    cols = []
    for c in FEATURE_COLUMNS:
        if c in zero_long:
            cols.append(F.coalesce(F.col(c), F.lit(0)).cast("long").alias(c))
        elif c in zero_double:
            cols.append(F.coalesce(F.col(c).cast("double"), F.lit(0.0)).alias(c))
        elif c in ("community_size", "family_size"):
            cols.append(F.col(c).cast("long").alias(c))
        else:
            cols.append(F.col(c))
    return out.select("subscriber_id", "month", *cols)


