"""Product associations (seed 000, "73.37% of users of A and B also use C"): FP-growth on what each
subscriber holds at month end, rules filtered by support / confidence / lift, and "missing product"
recommendations for subscribers who hold a rule's antecedent but not its consequent.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.ml.fpm import FPGrowth
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError
from lifecircle.core.periods import month_bounds

RULE_COLUMNS = ("rule_id", "antecedent", "consequent", "support", "confidence", "lift", "antecedent_support",
                "consequent_support")


def holdings_at(vas_orders: DataFrame, month: str) -> DataFrame:
    """silver.vas_orders → (subscriber_id, product_id) held at the end of `month` (last order/unsubscribe ≤ month end).

    A trial alone is not a holding; the latest order or unsubscribe event decides.
    """
    _, end = month_bounds(month)
    ev = vas_orders.filter((F.col("date") < F.lit(end)) & F.col("event").isin("order", "unsubscribe"))
    last = ev.groupBy("subscriber_id", "product_id").agg(
        F.max_by("event", F.struct("event_time", "order_id")).alias("last_event"))
    return last.filter(F.col("last_event") == "order").select("subscriber_id", "product_id")


def baskets(holdings: DataFrame, plans: DataFrame | None = None) -> DataFrame:
    """holdings (subscriber_id, product_id) [+ plans (subscriber_id, plan_id)] → (subscriber_id, items array).

    Items are prefixed so products and plans never collide: `vas:<product_id>`, `plan:<plan_id>`.
    """
    items = holdings.select("subscriber_id", F.concat(F.lit("vas:"), "product_id").alias("item"))
    if plans is not None:
        items = items.unionByName(
            plans.filter(F.col("plan_id").isNotNull() & (F.trim("plan_id") != ""))
            .select("subscriber_id", F.concat(F.lit("plan:"), "plan_id").alias("item")))
    return items.groupBy("subscriber_id").agg(F.array_sort(F.collect_set("item")).alias("items"))


def panorama_baskets(panorama: DataFrame, holdings_expr: str, plan_expr: str | None,
                     subscriber_id: str = "subscriber_id") -> DataFrame:
    """gold.panorama rows (an array of product ids held, a plan id) → (subscriber_id, items) with `vas:<id>` and,
    when `plan_expr` is given, `plan:<id>` (the panorama already carries month-end holdings)."""
    vas = F.transform(F.coalesce(F.expr(holdings_expr), F.array().cast("array<string>")),
                      lambda p: F.concat(F.lit("vas:"), p))
    items = vas
    if plan_expr:
        plan = F.expr(plan_expr)
        items = F.when(plan.isNotNull() & (F.trim(plan) != ""),
                       F.concat(vas, F.array(F.concat(F.lit("plan:"), plan)))).otherwise(vas)
    return panorama.select(F.col(subscriber_id).alias("subscriber_id"),
                           F.array_sort(F.array_distinct(items)).alias("items"))


def mine_rules(baskets_df: DataFrame, min_support: float, min_confidence: float, min_lift: float = 0.0,
               items_col: str = "items") -> DataFrame:
    """(…, items array) → association rules: rule_id, antecedent, consequent, support, confidence, lift and the
    supports of both sides (shares of all baskets), keeping rules with lift ≥ min_lift."""
    if items_col not in baskets_df.columns:
        raise InputError(f"associations: baskets frame lacks column {items_col!r}")
    if not (0 < min_support <= 1 and 0 < min_confidence <= 1):
        raise InputError(f"associations: support {min_support} and confidence {min_confidence} must be in (0, 1]")
    model = FPGrowth(itemsCol=items_col, minSupport=min_support, minConfidence=min_confidence).fit(
        baskets_df.select(F.array_distinct(items_col).alias(items_col)))
    rules = model.associationRules
    freq = model.freqItemsets
    n = baskets_df.count()
    single = freq.filter(F.size("items") == 1).select(
        F.col("items")[0].alias("consequent_item"), (F.col("freq") / F.lit(n)).alias("consequent_support"))
    sets = freq.select(F.array_sort("items").alias("antecedent_key"), (F.col("freq") / F.lit(n)).alias("antecedent_support"))
    out = (
        rules.filter(F.col("lift") >= min_lift)
        .withColumn("antecedent", F.array_sort("antecedent"))
        .withColumn("consequent_item", F.col("consequent")[0])
        .join(F.broadcast(single), "consequent_item", "left")
        .join(F.broadcast(sets), F.col("antecedent") == F.col("antecedent_key"), "left")
        .withColumn("rule_id", F.concat_ws(" => ", F.array_join("antecedent", "+"), "consequent_item"))
    )
    return out.select(*RULE_COLUMNS)


def missing_product_recs(baskets_df: DataFrame, rules: DataFrame, recommend_prefixes: Sequence[str] = ("vas:",),
                         min_antecedent_share: float = 1.0, max_recs: int = 3) -> DataFrame:
    """baskets (subscriber_id, items) × rules → (subscriber_id, item, product_id, rule_id, confidence, lift,
    antecedent_share, rank): consequents the subscriber lacks although holding (most of) the antecedent.

    One row per subscriber and missing item (its most confident rule), the best `max_recs` per subscriber.
    """
    r = rules.select("rule_id", "antecedent", F.col("consequent")[0].alias("item"), "confidence", "lift")
    if recommend_prefixes:
        cond = F.lit(False)
        for p in recommend_prefixes:
            cond = cond | F.col("item").startswith(p)
        r = r.filter(cond)
    x = baskets_df.select("subscriber_id", "items").crossJoin(F.broadcast(r))
    x = x.withColumn("antecedent_share",
                     F.size(F.array_intersect("antecedent", "items")) / F.size("antecedent"))
    x = x.filter((F.col("antecedent_share") >= min_antecedent_share - 1e-9) & ~F.array_contains("items", F.col("item")))
    best_rule = Window.partitionBy("subscriber_id", "item").orderBy(
        F.desc("confidence"), F.desc("lift"), F.desc("antecedent_share"), "rule_id")
    x = x.withColumn("_r", F.row_number().over(best_rule)).filter("_r = 1")
    rank = Window.partitionBy("subscriber_id").orderBy(F.desc("confidence"), F.desc("lift"), "item")
    x = x.withColumn("rank", F.row_number().over(rank)).filter(F.col("rank") <= max_recs)
    return x.select(
        "subscriber_id", "item", F.regexp_replace("item", r"^[a-z]+:", "").alias("product_id"), "rule_id",
        "confidence", "lift", "antecedent_share", F.col("rank").cast("int").alias("rank"))
