"""Propensity and next best offer for month M: per VAS product, a model trained on month M-1 (candidates who
did not hold the product, label = ordered it in M) and applied to month M; the product's lifecycle stage picks
the model family (introduction: consumption classifier; growth: segment look-alike; maturity: association
rules); isotonic calibration, expected value and the top eligible offer → gold.propensity,
gold.next_best_offer, gold.product_lifecycle; lift per decile logged to MLflow."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import reduce
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError
from lifecircle.core.periods import add_months
from lifecircle.core.spark import reuse
from lifecircle.core.tracking import start_run
from lifecircle.runtime import JobContext, job
from lifecircle.value.associations import panorama_baskets
from lifecircle.value.propensity import (
    ProductModel,
    candidates,
    expected_values,
    fit_product,
    holder_counts,
    lifecycle_stages,
    next_best_offer,
    recent_refusals,
    take_up,
)
from lifecircle.value.segments import resolvable, select_vars


@job("propensity", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    import mlflow

    value = ctx.cfg.section("value")
    sec, assoc = value["propensity"], value["associations"]
    sid = value["panorama"].get("subscriber_id", "subscriber_id")
    month, train_month = ctx.month, add_months(ctx.month, -1)
    pano = ctx.read(value["panorama"]["table"])
    segments = ctx.read_optional("gold.segments")
    seg_col = sec.get("segment_column", "strategic_segment")

    optional = sec.get("optional_features") or {}
    feature_exprs = {**sec["features"], **resolvable(pano, optional)}
    if len(feature_exprs) < len(sec["features"]) + len(optional):
        ctx.log.info("propensity: optional features absent from the panorama: %s",
                     sorted(set(optional) - set(feature_exprs)))

    def frame(m: str) -> DataFrame:
        p = pano.where(F.col("month") == m)
        f = select_vars(p, feature_exprs, sid).join(
            panorama_baskets(p, assoc["holdings"], assoc.get("plan", "plan_id"), sid), "subscriber_id")
        f = f.withColumn("holdings", F.transform("items", lambda x: F.regexp_replace(x, "^vas:", "")))
        if segments is not None:
            s = segments.where(F.col("month") == m).select("subscriber_id", F.col(seg_col).alias("segment"))
            f = f.join(s, "subscriber_id", "left").fillna("unknown", subset=["segment"])
        return reuse(f)

    train_all, score_all = frame(train_month), frame(month)
    if train_all.isEmpty():
        raise InputError(f"propensity: no panorama rows for the training month {train_month}")
    orders = ctx.read("silver.vas_orders")
    labels = take_up(orders, month).withColumn("label", F.lit(1))
    products = ctx.read("silver.vas_products")
    lookback = int(sec.get("lookback_months", 3))
    months = [add_months(month, -i) for i in range(lookback + 1)]
    holders = holder_counts(pano.where(F.col("month").isin(months)), assoc["holdings"])
    stages = lifecycle_stages(holders, products, month, int(sec.get("intro_months", 3)),
                              float(sec.get("growth_rate", 0.2)), lookback, sec.get("stage_overrides") or {})
    stage_rows = {r.product_id: r for r in stages.collect()}  # ok: one row per product
    rules = ctx.read_optional("gold.association_rules")
    rules = reuse(rules.where(F.col("month") == month)) if rules is not None else None
    features = list(feature_exprs)

    def fit(item: tuple[str, Any]) -> ProductModel:
        pid, st = item
        train = candidates(train_all, pid).join(
            labels.where(F.col("product_id") == pid).drop("product_id"), "subscriber_id", "left"
        ).fillna(0, subset=["label"])
        return fit_product(train, candidates(score_all, pid), pid, st.model_family, features, sec, rules, "segment")

    # products fitted side by side (each is many small Spark jobs whose latency overlaps); logged in order below,
    # in this thread, where the MLflow run is active
    products_in_order = sorted(stage_rows.items())
    with ThreadPoolExecutor(max_workers=max(1, int(sec.get("parallel_fits", 1))), thread_name_prefix="propensity") as pool:
        models = list(pool.map(fit, products_in_order))
    scored, summary = [], []
    with start_run(ctx.cfg, "propensity", month):
        mlflow.log_params({"train_month": train_month, "features": ",".join(features),
                           "products": len(stage_rows)})
        for (pid, st), m in zip(products_in_order, models):
            with mlflow.start_run(run_name=f"propensity-{pid}-{month}", nested=True):
                mlflow.log_params({"product_id": pid, "stage": st.stage, "family": m.family})
                mlflow.log_metrics(m.metrics)
                for d in m.deciles:
                    mlflow.log_metric("lift", d["lift"], step=d["decile"])
                    mlflow.log_metric("cum_capture", d["cum_capture"], step=d["decile"])
                mlflow.log_dict({"deciles": m.deciles}, f"lift_{pid}.json")
            ctx.log.info("propensity %s: stage %s, family %s, top-decile lift %.2f, auc %.3f", pid, st.stage,
                         m.family, m.metrics.get("top_decile_lift", float("nan")), m.metrics.get("auc", float("nan")))
            summary.append((pid, st.launch_month, st.holders, st.holders_before, st.growth, st.stage, m.family,
                            m.metrics.get("auc"), m.metrics.get("top_decile_lift"), m.metrics.get("train_positives")))
            scored.append(m.scores.withColumns({"stage": F.lit(st.stage), "model_family": F.lit(m.family)}))
    if not scored:
        raise InputError("propensity: silver.vas_products has no products")
    refusals = recent_refusals(orders, month, int(sec.get("cooldown_months", 6)))
    prop = expected_values(reduce(DataFrame.unionByName, scored), products, refusals, int(sec.get("value_months", 12)))
    prop = prop.withColumn("month", F.lit(month))
    ctx.write("gold.propensity", prop, where={"month": month})
    saved = ctx.read("gold.propensity").where(F.col("month") == month)
    ctx.write("gold.next_best_offer", next_best_offer(saved).withColumn("month", F.lit(month)), where={"month": month})
    life = ctx.spark.createDataFrame(summary, "product_id string, launch_month string, holders long, "
                                     "holders_before long, growth double, stage string, model_family string, "
                                     "auc double, top_decile_lift double, train_positives double")
    ctx.write("gold.product_lifecycle", life.withColumn("month", F.lit(month)), where={"month": month})


if __name__ == "__main__":
    raise SystemExit(main())
