"""Choosing the strategy per customer (seed 000's response model): a multi-treatment T-learner in MLlib —
one response model per arm (each strategy and the control) fitted on that arm's randomized group — whose
predicted uplift per strategy, valued net of the channel and offer cost, picks each customer's strategy.
Evaluated by Qini curves / AUUC and uplift at k on a held-out part of the randomized list.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import StandardScaler, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lifecircle.campaigns.definition import CONTROL, Campaign
from lifecircle.campaigns.targeting import hash_unit


def split(df: DataFrame, seed: int, test_share: float = 0.3) -> tuple[DataFrame, DataFrame]:
    """A reproducible train/test split of the randomized list by hashed subscriber id."""
    u = hash_unit(F.concat_ws("|", "subscriber_id", F.lit("uplift")), seed)
    return df.where(u >= test_share), df.where(u < test_share)


def fit_t_learner(train: DataFrame, features: Sequence[str], campaign: Campaign,
                  label: str = "responded") -> dict[str, PipelineModel]:
    """One logistic response model per arm (N strategies + control), each fitted on its own random group."""
    models = {}
    for arm in campaign.groups:
        stages = [VectorAssembler(inputCols=list(features), outputCol="_raw", handleInvalid="keep"),
                  StandardScaler(inputCol="_raw", outputCol="_x", withMean=True),
                  LogisticRegression(featuresCol="_x", labelCol=label, regParam=0.001, maxIter=50,
                                     probabilityCol=f"_prob_{arm}", predictionCol=f"_pred_{arm}",
                                     rawPredictionCol=f"_rawp_{arm}")]
        data = train.where(F.col("group") == arm).select(*features, F.col(label).cast("double").alias(label))
        models[arm] = Pipeline(stages=stages).fit(data.na.fill(0.0, list(features)))
    return models


def score_t_learner(df: DataFrame, models: dict[str, PipelineModel], features: Sequence[str],
                    campaign: Campaign) -> DataFrame:
    """Adds p_<arm> per arm, uplift_<strategy> = p_s - p_control, net_<strategy> = uplift × value per response
    - contact cost - p_s × offer cost, and `recommended` = the strategy with the highest positive net value
    (or 'none': contacting would not pay), and best_uplift / best_strategy (highest predicted uplift)."""
    out = df.na.fill(0.0, list(features))
    for arm, model in models.items():
        out = model.transform(out).withColumn(f"p_{arm}", vector_to_array(F.col(f"_prob_{arm}"))[1]) \
            .drop("_raw", "_x", f"_prob_{arm}", f"_pred_{arm}", f"_rawp_{arm}")
    nets = []
    for s in campaign.strategies:
        out = out.withColumn(f"uplift_{s.id}", F.col(f"p_{s.id}") - F.col(f"p_{CONTROL}"))
        out = out.withColumn(f"net_{s.id}", F.col(f"uplift_{s.id}") * campaign.value_per_response
                             - campaign.unit_cost(s.channel) - F.col(f"p_{s.id}") * s.offer_cost)
        nets.append(F.struct(F.col(f"net_{s.id}").alias("v"), F.lit(s.id).alias("s")))
    best = F.greatest(*nets) if len(nets) > 1 else nets[0]
    ups = [F.struct(F.col(f"uplift_{s.id}").alias("v"), F.lit(s.id).alias("s")) for s in campaign.strategies]
    return (out.withColumn("_best", best)
            .withColumn("recommended", F.when(F.col("_best.v") > 0, F.col("_best.s")).otherwise(F.lit("none")))
            .withColumn("_top", F.greatest(*ups) if len(ups) > 1 else ups[0])
            .withColumn("best_uplift", F.col("_top.v")).withColumn("best_strategy", F.col("_top.s"))
            .drop("_best", "_top"))


def _cutoffs(n: int, points: int) -> list[int]:
    return [max(1, round(n * p / points)) for p in range(1, points + 1)]


def qini_from_buckets(buckets: Sequence[tuple[int, int, int, int, int]], points: int) -> dict[str, object]:
    """(bucket 1..points, treated rows, control rows, treated responses, control responses) of a list ranked by
    score, each row in the first bucket whose cut-off covers its rank → the Qini curve, AUUC and uplift at k."""
    by = {int(b[0]): b[1:] for b in buckets}
    curve, uplift_at = [], {}
    nt = nc = rt = rc = 0
    for p in range(1, points + 1):
        t, c, r_t, r_c = by.get(p, (0, 0, 0, 0))
        nt, nc, rt, rc = nt + t, nc + c, rt + r_t, rc + r_c
        curve.append(rt - (rc * nt / nc if nc else 0.0))
        uplift_at[f"{p * 100 // points}%"] = (rt / nt - rc / nc) if nt and nc else None
    total = curve[-1] if curve else 0.0
    return {"qini_curve": curve, "auuc": (sum(curve) / len(curve) / total) if total else None,
            "uplift_at_k": uplift_at}


def qini(rows: Sequence[tuple[float, bool, int]], points: int = 10) -> dict[str, object]:
    """Qini curve from (score, treated, responded) of one strategy's group and the control, ranked by score:
    at each k, incremental responses = R_t(k) - R_c(k) × N_t(k) / N_c(k); AUUC = mean of the curve over k
    normalised by the whole-list increment; uplift at k = rate_t(k) - rate_c(k). Plain Python (small lists)."""
    ranked = sorted(rows, key=lambda r: -r[0])
    cuts = _cutoffs(len(ranked), points)
    sums: dict[int, list[int]] = {}
    for i, (_, treated, responded) in enumerate(ranked, start=1):
        b = next(p for p, c in enumerate(cuts, start=1) if i <= c)
        acc = sums.setdefault(b, [0, 0, 0, 0])
        acc[0 if treated else 1] += 1
        acc[2 if treated else 3] += int(responded)
    return qini_from_buckets([(b, *v) for b, v in sums.items()], points)


def qini_frame(df: DataFrame, score: str, treated: Column, responded: str, tie_break: str,
               points: int = 10) -> dict[str, object]:
    """The same Qini curve computed in Spark: one ranking window and one aggregation; `points` rows come back."""
    n = df.count()
    if n == 0:
        return qini_from_buckets([], points)
    rank = F.row_number().over(Window.orderBy(F.col(score).desc(), F.col(tie_break)))
    bucket: Column = F.lit(points)
    for p, c in reversed(list(enumerate(_cutoffs(n, points), start=1))):
        bucket = F.when(F.col("_rank") <= c, F.lit(p)).otherwise(bucket)
    t = treated.cast("int")
    rows = (df.select(F.col(responded).cast("int").alias("_r"), t.alias("_t"), rank.alias("_rank"))
            .groupBy(bucket.alias("b"))
            .agg(F.sum("_t").alias("nt"), F.sum(1 - F.col("_t")).alias("nc"),
                 F.sum(F.col("_t") * F.col("_r")).alias("rt"), F.sum((1 - F.col("_t")) * F.col("_r")).alias("rc"))
            .collect())  # ok: one row per Qini point
    return qini_from_buckets([(r["b"], r["nt"], r["nc"], r["rt"], r["rc"]) for r in rows], points)


def planted_policy_value(scored: DataFrame, params: DataFrame, campaign: Campaign, share: float,
                         order_by: str, strategy_col: str | None) -> float:
    """Expected incremental responses (from the planted parameters) of contacting the top `share` of the
    scored list by `order_by`, each with `strategy_col`'s strategy (or with the strategy of the best average
    planted effect when None)."""
    from lifecircle.campaigns.simulate import align_params

    arms = align_params(params, campaign)
    eff = (arms.where(F.col("group") != CONTROL).alias("t")
           .join(arms.where(F.col("group") == CONTROL).alias("c"), "subscriber_id")
           .select("subscriber_id", F.col("t.group").alias("strategy"), (F.col("t.p") - F.col("c.p")).alias("effect")))
    if strategy_col is None:
        best = eff.groupBy("strategy").agg(F.avg("effect").alias("m")).orderBy(F.desc("m")).first()["strategy"]
        chosen = scored.withColumn("_s", F.lit(best))
    else:
        chosen = scored.withColumn("_s", F.col(strategy_col))
    k = int(round(scored.count() * share))
    top = chosen.orderBy(F.desc(order_by), "subscriber_id").limit(k)
    value = top.join(eff, (top["subscriber_id"] == eff["subscriber_id"]) & (top["_s"] == eff["strategy"])) \
        .agg(F.sum("effect")).first()[0]
    return float(value or 0.0)
