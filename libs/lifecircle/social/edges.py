"""From silver voice CDR and SMS of one month to the social graph: contact events, vertices and undirected edges.

A call between two of our subscribers appears twice (the caller's MO and the callee's MT record), so
events are keyed by (caller, callee, time, kind) and deduplicated. Edges are undirected pairs
(src < dst) with counts per direction; a configurable rule keeps only real social ties (no one-off
contacts, no service numbers, no call centres = numbers contacted by very many distinct parties).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.core.periods import month_bounds
from lifecircle.social.graph import DST, ID, SRC

COMPETITOR_NETWORKS = ("competitor_a", "competitor_b")
EVENT_COLUMNS = ("caller", "callee", "ts", "date", "kind", "duration_s")


@dataclass(frozen=True)
class EdgeRules:
    """Edge weighting and the filter that turns contact pairs into social ties (conf/social.yaml `edges`)."""

    weight_calls: float = 1.0
    weight_minutes: float = 0.1
    weight_sms: float = 0.5
    min_interactions: int = 2
    drop_networks: tuple[str, ...] = ("service",)
    max_in_degree: int = 200
    home_hours: tuple[int, int] = (19, 22)
    strong_min_interactions: int = 3
    strong_requires_reciprocity: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> EdgeRules:
        e = dict(section or {})
        w = e.pop("weights", {}) or {}
        hh = e.pop("home_hours", [19, 22])
        return cls(
            weight_calls=float(w.get("calls", 1.0)), weight_minutes=float(w.get("minutes", 0.1)),
            weight_sms=float(w.get("sms", 0.5)), min_interactions=int(e.pop("min_interactions", 2)),
            drop_networks=tuple(e.pop("drop_networks", ["service"])), max_in_degree=int(e.pop("max_in_degree", 200)),
            home_hours=(int(hh[0]), int(hh[1])), strong_min_interactions=int(e.pop("strong_min_interactions", 3)),
            strong_requires_reciprocity=bool(e.pop("strong_requires_reciprocity", True)), extra=e,
        )


def _in_months(month: str | Sequence[str]) -> F.Column:
    """`date` within the month, or within a run of consecutive months (oldest first)."""
    months = [month] if isinstance(month, str) else list(month)
    first, last = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    return (F.col("date") >= F.lit(first)) & (F.col("date") < F.lit(last))


def contact_events(voice: DataFrame, sms: DataFrame, month: str | Sequence[str]) -> DataFrame:
    """silver.voice_cdr + silver.sms (any dates) → one row per distinct call/SMS of `month` (or months):
    caller, callee, ts, date, kind ('call'/'sms'), duration_s (0 for SMS)."""
    in_month = _in_months(month)

    def directed(df: DataFrame, time_col: str, kind: str, duration: F.Column) -> DataFrame:
        mo = F.col("direction") == "MO"
        return df.where(in_month & F.col("direction").isin("MO", "MT")).select(
            F.when(mo, F.col("subscriber_id")).otherwise(F.col("contact_id")).alias("caller"),
            F.when(mo, F.col("contact_id")).otherwise(F.col("subscriber_id")).alias("callee"),
            F.col(time_col).alias("ts"), "date", F.lit(kind).alias("kind"), duration.cast("long").alias("duration_s"),
        )

    calls = directed(voice, "start_time", "call", F.col("duration_s"))
    texts = directed(sms, "send_time", "sms", F.lit(0))
    return calls.unionByName(texts).dropDuplicates(["caller", "callee", "ts", "kind"])


def graph_vertices(voice: DataFrame, sms: DataFrame, month: str | Sequence[str]) -> DataFrame:
    """Every party seen in `month` (or months): id, network (on_net for our subscribers, else the contact's
    network), is_subscriber."""
    in_month = _in_months(month)
    parts = []
    for df in (voice, sms):
        d = df.where(in_month)
        parts.append(d.select(F.col("subscriber_id").alias(ID), F.lit("on_net").alias("network"), F.lit(True).alias("sub")))
        parts.append(d.select(F.col("contact_id").alias(ID), F.col("contact_network").alias("network"), F.lit(False).alias("sub")))
    allp = parts[0].unionByName(parts[1]).unionByName(parts[2]).unionByName(parts[3])
    agg = allp.groupBy(ID).agg(F.max("sub").alias("is_subscriber"), F.min("network").alias("_net"),
                               F.max(F.col("network") == "on_net").alias("_on"))
    return agg.select(
        ID, F.when(F.col("is_subscriber") | F.col("_on"), F.lit("on_net")).otherwise(F.col("_net")).alias("network"),
        "is_subscriber",
    )


def pair_edges(events: DataFrame, vertices: DataFrame, rules: EdgeRules) -> DataFrame:
    """Contact events + vertices → every undirected pair (src < dst) with calls, minutes, sms, active_days,
    contacts per direction, reciprocal, home_calls, weight, strong, the endpoints' networks and `kept`."""
    lo, hi = F.least("caller", "callee"), F.greatest("caller", "callee")
    hour = F.hour("ts")
    home = (hour >= rules.home_hours[0]) & (hour < rules.home_hours[1]) | F.dayofweek("ts").isin(1, 7)
    is_call = F.col("kind") == "call"
    daily = (
        events.where(F.col("caller") != F.col("callee"))
        .select(lo.alias(SRC), hi.alias(DST), "date", is_call.alias("_call"), (F.col("caller") == lo).alias("_fwd"),
                "duration_s", home.alias("_home"))
        .groupBy(SRC, DST, "date").agg(
            F.sum(F.col("_call").cast("long")).alias("calls"),
            F.sum(F.when(F.col("_call"), F.col("duration_s")).otherwise(0)).alias("seconds"),
            F.sum((~F.col("_call")).cast("long")).alias("sms"),
            F.sum(F.col("_fwd").cast("long")).alias("src_to_dst"),
            F.sum((~F.col("_fwd")).cast("long")).alias("dst_to_src"),
            F.sum((F.col("_call") & F.col("_home")).cast("long")).alias("home_calls"),
        )
    )
    pairs = daily.groupBy(SRC, DST).agg(
        F.sum("calls").alias("calls"), F.round(F.sum("seconds") / 60.0, 2).alias("minutes"), F.sum("sms").alias("sms"),
        F.count("*").alias("active_days"), F.sum("src_to_dst").alias("src_to_dst"),
        F.sum("dst_to_src").alias("dst_to_src"), F.sum("home_calls").alias("home_calls"),
    )
    v = vertices.select(ID, "network", "is_subscriber")
    pairs = (
        pairs.join(v.select(F.col(ID).alias(SRC), F.col("network").alias("src_network"),
                            F.col("is_subscriber").alias("src_is_subscriber")), SRC, "left")
        .join(v.select(F.col(ID).alias(DST), F.col("network").alias("dst_network"),
                       F.col("is_subscriber").alias("dst_is_subscriber")), DST, "left")
    )
    # call centres: parties that received contacts from more distinct parties than the limit
    received = pairs.select(F.explode(F.array(
        F.when(F.col("dst_to_src") > 0, F.col(SRC)), F.when(F.col("src_to_dst") > 0, F.col(DST)))).alias(ID)
    ).where(F.col(ID).isNotNull()).groupBy(ID).agg(F.count("*").alias("_in"))
    hubs = received.where(F.col("_in") > rules.max_in_degree).select(ID, F.lit(True).alias("_hub"))
    pairs = (
        pairs.join(hubs.withColumnRenamed(ID, SRC).withColumnRenamed("_hub", "_hs"), SRC, "left")
        .join(hubs.withColumnRenamed(ID, DST).withColumnRenamed("_hub", "_hd"), DST, "left")
    )
    interactions = F.col("calls") + F.col("sms")
    reciprocal = (F.col("src_to_dst") > 0) & (F.col("dst_to_src") > 0)
    dropped_net = F.col("src_network").isin(*rules.drop_networks) | F.col("dst_network").isin(*rules.drop_networks)
    kept = (interactions >= rules.min_interactions) & ~F.coalesce(dropped_net, F.lit(False)) & \
        F.col("_hs").isNull() & F.col("_hd").isNull()
    strong = interactions >= rules.strong_min_interactions
    if rules.strong_requires_reciprocity:
        strong = strong & reciprocal
    weight = (F.col("calls") * rules.weight_calls + F.col("minutes") * rules.weight_minutes
              + F.col("sms") * rules.weight_sms)
    return pairs.select(
        SRC, DST, "src_network", "dst_network",
        F.coalesce("src_is_subscriber", F.lit(False)).alias("src_is_subscriber"),
        F.coalesce("dst_is_subscriber", F.lit(False)).alias("dst_is_subscriber"),
        "calls", "minutes", "sms", "active_days", "src_to_dst", "dst_to_src", reciprocal.alias("reciprocal"),
        "home_calls", F.round(weight, 4).alias("weight"), (kept & strong).alias("strong"), kept.alias("kept"),
    )


def neighbours(edges: DataFrame, columns: Sequence[str] = ()) -> DataFrame:
    """Undirected edges → both directions: id, nbr, nbr_network, nbr_is_subscriber and the listed edge columns."""
    a = edges.select(F.col(SRC).alias(ID), F.col(DST).alias("nbr"), F.col("dst_network").alias("nbr_network"),
                     F.col("dst_is_subscriber").alias("nbr_is_subscriber"), *columns)
    b = edges.select(F.col(DST).alias(ID), F.col(SRC).alias("nbr"), F.col("src_network").alias("nbr_network"),
                     F.col("src_is_subscriber").alias("nbr_is_subscriber"), *columns)
    return a.unionByName(b)


def tie_vertices(vertices: DataFrame, kept: DataFrame) -> DataFrame:
    """The graph's vertices: our subscribers plus every party on a kept tie (one-off and service parties drop out)."""
    ends = kept.select(F.col(SRC).alias(ID)).unionByName(kept.select(F.col(DST).alias(ID))).distinct()
    on_tie = vertices.join(ends, ID, "left_semi")
    return vertices.where("is_subscriber").unionByName(on_tie).distinct()
