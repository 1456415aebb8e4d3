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
from pyspark.sql import DataFrame
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


def qini(rows: Sequence[tuple[float, bool, int]], points: int = 10) -> dict[str, object]:
    """Qini curve from (score, treated, responded) of one strategy's group and the control, ranked by score:
    at each k, incremental responses = R_t(k) - R_c(k) × N_t(k) / N_c(k); AUUC = mean of the curve over k
    normalised by the whole-list increment; uplift at k = rate_t(k) - rate_c(k)."""
    ranked = sorted(rows, key=lambda r: -r[0])
    n = len(ranked)
    curve, uplift_at = [], {}
    for p in range(1, points + 1):
        top = ranked[: max(1, round(n * p / points))]
        nt = sum(1 for r in top if r[1])
        nc = len(top) - nt
        rt = sum(r[2] for r in top if r[1])
        rc = sum(r[2] for r in top if not r[1])
        inc = rt - (rc * nt / nc if nc else 0.0)
        curve.append(inc)
        uplift_at[f"{p * 100 // points}%"] = (rt / nt - rc / nc) if nt and nc else None
    total = curve[-1] if curve else 0.0
    return {"qini_curve": curve, "auuc": (sum(curve) / len(curve) / total) if total else None,
            "uplift_at_k": uplift_at}


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
