"""Product propensity and next best offer (seed 000 客户价值提升, seed 001 propensity targeting).

Per product, the candidates at month T are the subscribers who did not hold it at T's end; the label is
"ordered it in T+1" (silver.vas_orders). The job trains on the latest month with a known label (T = M-1)
and scores month M. The product's lifecycle stage, read from its adoption curve, decides the model family
(seed 000):

- introduction (launched within `intro_months`): a consumption-propensity classifier (logistic regression
  on the subscriber's usage and value) — there is too little adoption to imitate;
- growth (holders grew ≥ `growth_rate` over `lookback_months`): segment look-alike — the take-up rate of
  the subscriber's segment;
- maturity: association rules — the best confidence of a rule whose antecedent the subscriber holds.

Every family yields a raw score; isotonic regression on a held-out part of month T turns it into a
calibrated probability, and lift per decile on that hold-out is what MLflow records. Expected value =
calibrated probability × monthly fee × `value_months`; the next best offer is the eligible product with
the highest expected value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import StandardScaler, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.ml.regression import IsotonicRegression
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError
from lifecircle.core.periods import add_months, month_bounds
from lifecircle.core.spark import reuse

STAGES = ("introduction", "growth", "maturity")
FAMILY = {"introduction": "consumption", "growth": "lookalike", "maturity": "association"}


def take_up(vas_orders: DataFrame, month: str) -> DataFrame:
    """silver.vas_orders → distinct (subscriber_id, product_id) with an `order` event in `month`."""
    start, end = month_bounds(month)
    return (vas_orders.filter((F.col("date") >= F.lit(start)) & (F.col("date") < F.lit(end))
                              & (F.col("event") == "order"))
            .select("subscriber_id", "product_id").distinct())


def recent_refusals(vas_orders: DataFrame, month: str, months: int) -> DataFrame:
    """(subscriber_id, product_id) that unsubscribed or trialled within the `months` months ending with `month`
    (seed 004's contact policy: not offered again for a while)."""
    start, _ = month_bounds(add_months(month, -(months - 1)))
    _, end = month_bounds(month)
    return (vas_orders.filter((F.col("date") >= F.lit(start)) & (F.col("date") < F.lit(end))
                              & F.col("event").isin("unsubscribe", "trial"))
            .select("subscriber_id", "product_id").distinct())


def lifecycle_stages(holders: DataFrame, products: DataFrame, month: str, intro_months: int = 3,
                     growth_rate: float = 0.2, lookback_months: int = 3,
                     overrides: Mapping[str, str] | None = None) -> DataFrame:
    """holders (month, product_id, holders) + silver.vas_products (product_id, launch_month 'YYYYMM' or
    'YYYY-MM') → product_id, launch_month, holders, holders_before, growth, stage, model_family (for `month`)."""
    now = holders.filter(F.col("month") == month).select("product_id", F.col("holders"))
    before = holders.filter(F.col("month") == add_months(month, -lookback_months)).select(
        "product_id", F.col("holders").alias("holders_before"))
    launch = F.regexp_replace("launch_month", "-", "")
    m_idx = int(month[:4]) * 12 + int(month[5:7]) - 1
    age = F.lit(m_idx) - (F.substring(launch, 1, 4).cast("int") * 12 + F.substring(launch, 5, 2).cast("int") - 1)
    df = (products.select("product_id", "launch_month").join(now, "product_id", "left")
          .join(before, "product_id", "left").fillna(0, subset=["holders"]))
    growth = F.when(F.col("holders_before") > 0, F.col("holders") / F.col("holders_before") - 1)
    stage = (F.when(age < intro_months, "introduction")
             .when(F.col("holders_before").isNull() | (F.col("holders_before") == 0), "growth")
             .when(growth >= growth_rate, "growth").otherwise("maturity"))
    for pid, st in (overrides or {}).items():
        stage = F.when(F.col("product_id") == pid, F.lit(st)).otherwise(stage)
    fam = F.create_map(*[x for kv in FAMILY.items() for x in map(F.lit, kv)])
    return df.withColumns({"growth": growth, "stage": stage}).withColumn("model_family", fam[F.col("stage")]).select(
        "product_id", "launch_month", F.col("holders").cast("long"), F.col("holders_before").cast("long"), "growth",
        "stage", "model_family")


def holder_counts(panorama_months: DataFrame, holdings_col: str = "vas_held_ids") -> DataFrame:
    """gold.panorama rows of several months (+ the holdings array expression) → (month, product_id, holders)."""
    return (panorama_months.select("month", F.explode(F.expr(holdings_col)).alias("product_id"))
            .groupBy("month", "product_id").agg(F.count(F.lit(1)).alias("holders")))


def _holdout(col: str = "subscriber_id", share: float = 0.3) -> Any:
    return (F.abs(F.xxhash64(F.col(col), F.lit("holdout"))) % 1000) < int(share * 1000)


@dataclass
class ProductModel:
    """What one product's model produced: the family used, hold-out metrics, and month-M scores."""

    product_id: str
    family: str
    metrics: dict[str, float] = field(default_factory=dict)
    deciles: list[dict[str, Any]] = field(default_factory=list)
    scores: DataFrame | None = None  # subscriber_id, product_id, score, propensity


def candidates(feats: DataFrame, product_id: str, holdings_col: str = "holdings") -> DataFrame:
    """feature rows with a holdings array → those not holding `product_id`."""
    return feats.filter(~F.coalesce(F.array_contains(holdings_col, product_id), F.lit(False)))


def _consumption_scores(train: DataFrame, score_sets: Sequence[DataFrame], features: Sequence[str],
                        max_iter: int, reg: float) -> list[DataFrame]:
    pipe = Pipeline(stages=[
        VectorAssembler(inputCols=list(features), outputCol="raw_f", handleInvalid="keep"),
        StandardScaler(inputCol="raw_f", outputCol="f", withMean=False, withStd=True),  # sparse-safe
        LogisticRegression(featuresCol="f", labelCol="label", maxIter=max_iter, regParam=reg,
                           probabilityCol="prob", rawPredictionCol="rawp", predictionCol="pred"),
    ]).fit(train)
    return [pipe.transform(s).withColumn("score", vector_to_array("prob")[1]).drop("raw_f", "f", "prob", "rawp", "pred")
            for s in score_sets]


def _lookalike_scores(train: DataFrame, score_sets: Sequence[DataFrame], segment_col: str,
                      prior: float = 20.0) -> list[DataFrame]:
    base = train.agg(F.avg("label").alias("b")).first()
    b = float(base["b"] or 0.0) if base else 0.0
    rates = train.groupBy(segment_col).agg(
        ((F.sum("label") + F.lit(prior * b)) / (F.count(F.lit(1)) + F.lit(prior))).alias("score"))
    return [s.join(F.broadcast(rates), segment_col, "left").fillna(b, subset=["score"]) for s in score_sets]


def _rules_for(rules: DataFrame, product_id: str, item_prefix: str = "vas:") -> DataFrame:
    """The association rules whose consequent is the product."""
    return rules.filter(F.col("consequent")[0] == F.lit(item_prefix + product_id))


def _association_scores(score_sets: Sequence[DataFrame], rules: DataFrame | None, product_id: str,
                        item_prefix: str = "vas:") -> list[DataFrame]:
    if rules is None:
        return [s.withColumn("score", F.lit(0.0)) for s in score_sets]
    r = F.broadcast(_rules_for(rules, product_id, item_prefix)
                    .select(F.col("antecedent").alias("_ante"), F.col("confidence").alias("_conf")))
    out = []
    for s in score_sets:
        hit = (s.select("subscriber_id", "items").crossJoin(r)
               .filter(F.size(F.array_except("_ante", "items")) == 0)
               .groupBy("subscriber_id").agg(F.max("_conf").alias("score")))
        out.append(s.join(hit, "subscriber_id", "left").fillna(0.0, subset=["score"]))
    return out


def fit_product(train_month: DataFrame, score_month: DataFrame, product_id: str, family: str,
                features: Sequence[str], params: Mapping[str, Any], rules: DataFrame | None = None,
                segment_col: str = "segment") -> ProductModel:
    """Candidates at T (features, holdings, items, segment, label) and at M → calibrated month-M scores + metrics.

    Families: consumption (logistic regression), lookalike (segment take-up rate), association (rule
    confidence). A family without enough positives or inputs (association: no rule with the product as its
    consequent) falls back to the classifier, then the base rate.
    """
    from lifecircle.models.evaluation import add_rank_decile, auc_scores, decile_table

    need = {"subscriber_id", "label", *features}
    missing = sorted(need - set(train_month.columns))
    if missing:
        raise InputError(f"propensity {product_id}: training frame lacks {missing}")
    hold = _holdout()
    train, test = train_month.filter(~hold), train_month.filter(hold)
    pos = train.agg(F.sum("label").alias("p")).first()
    n_pos = int(pos["p"] or 0) if pos else 0
    used = family
    if family == "lookalike" and segment_col not in train_month.columns:
        used = "consumption"
    if family == "association" and (rules is None or "items" not in train_month.columns
                                    or _rules_for(rules, product_id).isEmpty()):
        used = "consumption"  # a mature product no rule leads to: associations cannot rank its candidates
    if used == "consumption" and n_pos < int(params.get("min_positives", 5)):
        used = "lookalike" if segment_col in train_month.columns else "base_rate"
    sets = [test, score_month]
    if used == "consumption":
        scored = _consumption_scores(train, sets, features, int(params.get("max_iter", 50)),
                                     float(params.get("reg_param", 0.01)))
    elif used == "lookalike":
        scored = _lookalike_scores(train, sets, segment_col)
    elif used == "association":
        scored = _association_scores(sets, rules, product_id)
    else:
        rate = float(train.agg(F.avg("label")).first()[0] or 0.0)  # type: ignore[index]
        scored = [s.withColumn("score", F.lit(rate)) for s in sets]
    test_s, month_s = reuse(scored[0]), scored[1]
    if test_s.isEmpty():  # nobody to calibrate on (e.g. everybody holds the product): raw score as is
        test_s.unpersist()
        out = month_s.select("subscriber_id", F.lit(product_id).alias("product_id"),
                             F.col("score").cast("double").alias("score"), F.col("score").cast("double").alias("propensity"))
        return ProductModel(product_id=product_id, family=used, metrics={"train_positives": float(n_pos)}, scores=out)
    iso = IsotonicRegression(featuresCol="score", labelCol="label", predictionCol="propensity").fit(
        test_s.select("score", F.col("label").cast("double").alias("label")))
    test_c = iso.transform(test_s)
    n_test = test_c.count()
    metrics: dict[str, float] = {"train_positives": float(n_pos), "holdout_rows": float(n_test)}
    deciles: list[dict[str, Any]] = []
    n_test_pos = int(test_c.agg(F.sum("label")).first()[0] or 0)  # type: ignore[index]
    if n_test and 0 < n_test_pos < n_test:
        metrics.update(auc_scores(test_c.withColumn("label", F.col("label").cast("double")), "label", "score"))
        ranked = add_rank_decile(test_c.withColumn("label", F.col("label").cast("double")), "score",
                                 "subscriber_id", n_test)
        deciles = decile_table(ranked, "label", "score")
        metrics["top_decile_lift"] = deciles[0]["lift"] if deciles else 0.0
    test_s.unpersist()
    out = iso.transform(month_s).select("subscriber_id", F.lit(product_id).alias("product_id"),
                                        F.col("score").cast("double").alias("score"),
                                        F.col("propensity").cast("double").alias("propensity"))
    return ProductModel(product_id=product_id, family=used, metrics=metrics, deciles=deciles, scores=out)


def expected_values(scores: DataFrame, products: DataFrame, refusals: DataFrame | None, value_months: int) -> DataFrame:
    """(subscriber_id, product_id, score, propensity, …) + catalogue fees + recent refusals →
    expected_value (propensity × monthly fee × value_months) and `eligible` (no unsubscribe/trial recently)."""
    fee = products.select("product_id", F.col("monthly_fee").cast("double").alias("_fee"))
    out = scores.join(F.broadcast(fee), "product_id", "left")
    if refusals is not None:
        out = out.join(refusals.select("subscriber_id", "product_id", F.lit(True).alias("_refused")),
                       ["subscriber_id", "product_id"], "left")
    else:
        out = out.withColumn("_refused", F.lit(None).cast("boolean"))
    return out.withColumns({
        "expected_value": F.round(F.col("propensity") * F.coalesce("_fee", F.lit(0.0)) * F.lit(value_months), 2),
        "eligible": F.col("_refused").isNull(),
    }).drop("_fee", "_refused")


def next_best_offer(propensity: DataFrame) -> DataFrame:
    """gold.propensity rows → one row per subscriber: the eligible product with the highest expected value."""
    w = Window.partitionBy("subscriber_id").orderBy(F.desc("expected_value"), F.desc("propensity"), "product_id")
    return (propensity.filter("eligible").withColumn("_r", F.row_number().over(w)).filter("_r = 1")
            .select("subscriber_id", "product_id", "model_family", "propensity", "expected_value"))
