"""Target lists: the rule over the joined gold view, seed 004's contact policy, frequency caps and priority
across campaigns, a global holdout, then N+1 random groups (N strategies + an untouched control) that are
reproducible from the seed and stratified by risk decile, with channel capacities and budget respected.

Every step is a DataFrame transform; the job reads the tables and writes `gold.campaign_targets` and
`gold.campaign_exclusions`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lifecircle.campaigns.definition import CONTROL, Campaign
from lifecircle.core.errors import ConfigError

# Exclusion reasons in the order they are checked; a subscriber gets the first that applies.
REASONS = (
    "global_holdout", "do_not_contact", "holds_product", "trial_without_order", "bulk_cancel",
    "active_cancel", "complained_about_product", "contacted_recently", "frequency_cap", "overlapping_campaign",
)
OVER_CAPACITY = "over_capacity_or_budget"  # ranked beyond what the channels and the budget can take
CHANNEL_CAPACITY = "channel_capacity"      # a rounding remainder beyond one channel's capacity
# The joined view, base first (its columns win on a name clash); tables not registered or not written are skipped.
GOLD_VIEW_TABLES = ("gold.churn_scores", "gold.panorama", "gold.segments", "gold.tags", "gold.circle_features",
                    "gold.social_features", "gold.plan_fit", "gold.next_best_offer")


def subscriber_tags(tags: DataFrame) -> DataFrame:
    """gold.tags (one row per subscriber, tag and value) → one row per subscriber and month with `tags`, the
    sorted 'category:tag' names, so that the view keeps one row per subscriber; rules read them with
    `array_contains(tags, 'preference:music')`."""
    return tags.groupBy("subscriber_id", "month").agg(
        F.array_sort(F.collect_set(F.concat_ws(":", "category", "tag"))).alias("tags"))


def joined_view(tables: Sequence[DataFrame], month: str) -> DataFrame:
    """Left-join the month's rows of the gold tables that exist on subscriber_id; a column already taken by
    an earlier table is dropped from later ones (first table wins, so list the base table first)."""
    if not tables:
        raise ConfigError("no gold table to build the campaign view from (need at least gold.churn_scores)")
    view: DataFrame | None = None
    taken: set[str] = set()
    for t in tables:
        if "month" in t.columns:
            t = t.where(F.col("month") == month)
        cols = [c for c in t.columns if c == "subscriber_id" or c not in taken]
        t = t.select(*cols)  # each gold table has one row per subscriber and month (its registry keys)
        view = t if view is None else view.join(t, "subscriber_id", "left")
        taken |= set(cols)
    assert view is not None
    if "month" not in view.columns:
        view = view.withColumn("month", F.lit(month))
    if "decile" not in view.columns:
        view = view.withColumn("decile", F.lit(None).cast("int"))
    return view


def apply_rule(view: DataFrame, campaign: Campaign) -> DataFrame:
    """Rows of the view matching the campaign's Spark SQL predicate; a bad rule names the file and field."""
    try:
        return view.where(F.expr(campaign.rule))
    except Exception as exc:  # ParseException / AnalysisException: unknown column, syntax
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        raise ConfigError(f"{campaign.source}: field 'rule': {campaign.rule!r} is not a valid predicate over "
                          f"the view ({first})") from exc


def hash_unit(col: str | Column, seed: int) -> Column:
    """A reproducible pseudo-random number in [0, 1) from a column and a seed (native xxhash64)."""
    c = F.col(col) if isinstance(col, str) else col
    return F.pmod(F.xxhash64(c, F.lit(int(seed))), F.lit(1_000_000)).cast("double") / 1_000_000.0


def holdout_flag(subscriber_id: str | Column, share: float, seed: int) -> Column:
    """True for the global holdout: the same subscribers for every campaign (depends only on the global seed)."""
    return hash_unit(subscriber_id, seed) < F.lit(float(share))


def _months_before(as_of: dt.date, months: int) -> Column:
    return F.add_months(F.lit(as_of), -int(months))


def policy_flags(
    candidates: DataFrame,
    campaign: Campaign,
    policy: dict,
    holdout: dict,
    vas_orders: DataFrame | None = None,
    service_contacts: DataFrame | None = None,
    contact_history: DataFrame | None = None,
    do_not_contact: DataFrame | None = None,
    other_targets: DataFrame | None = None,
) -> DataFrame:
    """Candidates (subscriber_id, ...) → the same rows plus `excluded_reason` (null = keep), seed 004's rules
    as of the campaign start: product holders, trials without order, bulk/active cancellations, complaints
    about the product, anyone contacted in any channel recently, the do-not-contact list, frequency caps and
    overlapping higher-priority campaigns (`other_targets`: subscriber_id, campaign_id, priority, start, end,
    treated)."""
    as_of = campaign.start
    sid = "subscriber_id"
    flags: dict[str, DataFrame] = {}
    before = F.to_date("event_time") < F.lit(as_of)
    product = campaign.product_id
    if vas_orders is not None:
        vas = vas_orders.where(before)
        prod = vas.where(F.col("product_id") == product) if product else None
        if prod is not None:
            last = prod.groupBy(sid).agg(F.max_by("event", "event_time").alias("_last"))
            flags["holds_product"] = last.where(F.col("_last") == "order").select(sid)
            recent = prod.where(F.to_date("event_time") >= _months_before(as_of, policy["trial_months"]))
            t = recent.groupBy(sid).agg(
                F.max(F.when(F.col("event") == "trial", F.col("event_time"))).alias("_trial"),
                F.max(F.when(F.col("event") == "order", F.col("event_time"))).alias("_order"))
            flags["trial_without_order"] = t.where(
                F.col("_trial").isNotNull() & (F.col("_order").isNull() | (F.col("_order") < F.col("_trial")))
            ).select(sid)
        # With a product the cancellation rules concern that product; without one, any product.
        canc = (prod if prod is not None else vas).where(F.col("event") == "unsubscribe")
        for reason, kind, key in (("bulk_cancel", "bulk", "bulk_cancel_months"),
                                  ("active_cancel", "active", "active_cancel_months")):
            flags[reason] = canc.where(
                (F.col("cancel_kind") == kind) & (F.to_date("event_time") >= _months_before(as_of, policy[key]))
            ).select(sid)
    if service_contacts is not None and product:
        flags["complained_about_product"] = service_contacts.where(
            (F.col("category") == "complaint") & (F.col("product_id") == product)
            & (F.to_date("contact_time") < F.lit(as_of))
            & (F.to_date("contact_time") >= _months_before(as_of, policy["complaint_months"]))
        ).select(sid)
    if contact_history is not None:
        real = contact_history.where((F.col("channel") != "none") & (F.col("contact_date") < F.lit(as_of)))
        flags["contacted_recently"] = real.where(
            F.col("contact_date") >= _months_before(as_of, policy["contacted_months"])).select(sid)
        cap_start = F.date_sub(F.lit(as_of), campaign.cap_window_days)
        past = (real.where(F.col("contact_date") >= cap_start)
                .select(sid, F.concat_ws("|", "campaign_id", "channel", "contact_date").alias("_k")))
    else:
        past = None
    overlapping = None
    if other_targets is not None:
        overlapping = other_targets.where(
            (F.col("campaign_id") != campaign.id) & (F.col("start") <= F.lit(campaign.end))
            & (F.col("end") >= F.lit(campaign.start)))
        planned = overlapping.where("treated").select(sid, F.concat_ws("|", "campaign_id").alias("_k"))
        past = planned if past is None else past.unionByName(planned)
        flags["overlapping_campaign"] = overlapping.where(
            (F.col("priority") > campaign.priority)
            | ((F.col("priority") == campaign.priority) & (F.col("campaign_id") < campaign.id))).select(sid)
    if past is not None:
        flags["frequency_cap"] = (past.groupBy(sid).agg(F.countDistinct("_k").alias("_n"))
                                  .where(F.col("_n") >= campaign.max_contacts).select(sid))
    if do_not_contact is not None:
        flags["do_not_contact"] = do_not_contact.select(sid)
    out = candidates
    for reason, df in flags.items():
        out = out.join(df.distinct().withColumn(f"_f_{reason}", F.lit(True)), sid, "left")
    reason_col = F.when(holdout_flag(sid, holdout["share"], holdout["seed"]), F.lit("global_holdout"))
    for reason in REASONS[1:]:
        if reason in flags:
            reason_col = reason_col.when(F.col(f"_f_{reason}"), F.lit(reason))
    return out.withColumn("excluded_reason", reason_col).drop(*[f"_f_{r}" for r in flags])


def max_list_size(campaign: Campaign) -> int:
    """The most subscribers the list can hold with equal N+1 groups: each channel's capacity over its
    share of the list, and the budget over the expected contact cost per listed subscriber."""
    share = 1.0 / len(campaign.groups)
    limits: list[float] = []
    for ch, cap in campaign.capacities.items():
        n_on = sum(1 for s in campaign.strategies if s.channel == ch)
        if n_on:
            limits.append(cap / (n_on * share))
    cost = sum(share * campaign.unit_cost(s.channel) for s in campaign.strategies)
    if cost > 0:
        limits.append(campaign.budget / cost)
    return int(math.floor(min(limits))) if limits else 2**31 - 1


def split_groups(kept: DataFrame, campaign: Campaign, rank_col: str | None = None,
                 max_size: int | None = None) -> DataFrame:
    """Kept rows (subscriber_id, decile, ...) → plus `group`, `strategy_id`, `channel`, `excluded_reason`.

    Rows beyond `max_size` (ranked by `rank_col` descending, e.g. churn probability, then by the seeded hash)
    are excluded as over capacity/budget. The rest are split within each decile in seeded-hash order,
    round-robin over the N+1 groups starting at a decile-dependent offset, so each group gets an equal share
    (±1) of every decile and the same seed gives the same groups. A remainder beyond a channel's capacity
    (rounding, at most one per decile) is excluded as channel_capacity.
    """
    k = len(campaign.groups)
    h = F.xxhash64(F.col("subscriber_id"), F.lit(campaign.seed))
    df = kept.withColumn("_h", h).withColumn("_stratum", F.coalesce(F.col("decile").cast("int"), F.lit(0)))
    if max_size is not None:
        order = ([F.col(rank_col).desc_nulls_last()] if rank_col else []) + [F.col("_h")]
        df = df.withColumn("_rank", F.row_number().over(Window.orderBy(*order)))
    else:
        df = df.withColumn("_rank", F.lit(1))
    w = Window.partitionBy("_stratum").orderBy("_h", "subscriber_id")
    in_list = F.col("_rank") <= F.lit(max_size if max_size is not None else 2**31 - 1)
    listed = df.where(in_list).withColumn("_i", F.pmod(F.row_number().over(w) - 1 + F.col("_stratum"), F.lit(k)))
    group = F.element_at(F.array(*[F.lit(g) for g in campaign.groups]), (F.col("_i") + 1).cast("int"))
    channel = F.element_at(F.create_map(*sum(([F.lit(s.id), F.lit(s.channel)] for s in campaign.strategies), [])),
                           F.col("group"))
    listed = (listed.withColumn("group", group)
              .withColumn("strategy_id", F.when(F.col("group") != CONTROL, F.col("group")))
              .withColumn("channel", channel))
    cap_map = F.create_map(*sum(([F.lit(c), F.lit(v)] for c, v in campaign.capacities.items()), []))
    wc = Window.partitionBy("channel").orderBy("_h", "subscriber_id")
    listed = listed.withColumn(
        "excluded_reason",
        F.when(F.col("channel").isNotNull() & (F.row_number().over(wc) > F.element_at(cap_map, F.col("channel"))),
               F.lit(CHANNEL_CAPACITY)))
    keep = F.col("excluded_reason").isNull()
    listed = listed.select(*[F.when(keep, F.col(c)).alias(c) if c in ("group", "strategy_id", "channel") else c
                             for c in listed.columns])
    over = (df.where(~in_list).withColumn("group", F.lit(None).cast("string"))
            .withColumn("strategy_id", F.lit(None).cast("string")).withColumn("channel", F.lit(None).cast("string"))
            .withColumn("excluded_reason", F.lit(OVER_CAPACITY)))
    return listed.drop("_i").unionByName(over).drop("_h", "_stratum", "_rank")


def build_targets(view: DataFrame, campaign: Campaign, policy: dict, holdout: dict,
                  rank_col: str | None = "churn_probability", max_size: int | None = None, **tables) -> DataFrame:
    """The whole list: rule → policy → groups. Returns one row per matching subscriber with
    campaign_id, subscriber_id, decile, group, strategy_id, channel, excluded_reason (null = targeted)."""
    cols = ["subscriber_id", "decile"] + ([rank_col] if rank_col and rank_col in view.columns else [])
    matched = apply_rule(view, campaign).select(*cols)
    flagged = policy_flags(matched, campaign, policy, holdout, **tables)
    kept = flagged.where(F.col("excluded_reason").isNull()).drop("excluded_reason")
    grouped = split_groups(kept, campaign, rank_col if rank_col in cols else None, max_size)
    excluded = (flagged.where(F.col("excluded_reason").isNotNull())
                .withColumn("group", F.lit(None).cast("string")).withColumn("strategy_id", F.lit(None).cast("string"))
                .withColumn("channel", F.lit(None).cast("string")))
    out = grouped.unionByName(excluded, allowMissingColumns=True)
    return out.select(
        F.lit(campaign.id).alias("campaign_id"), "subscriber_id", F.col("decile").cast("int").alias("decile"),
        "group", "strategy_id", "channel", "excluded_reason")

