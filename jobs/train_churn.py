"""Train the churn model at --month M: features of gold.panorama at month T, label = churned in T+1+gap
(silver.subscriber); trains on the feature months V-n..V-1 and validates out-of-time on V = M-1-gap (label
month M, the latest known); compares GBT, random forest and logistic regression; logs everything to MLflow;
registers the best as `challenger` and promotes it to `champion` only if it beats the champion on month V."""

from __future__ import annotations

from lifecircle.core.errors import InputError
from lifecircle.core.spark import reuse
from lifecircle.core.tracking import start_run
from lifecircle.models.churn import label_month, month_plan, training_examples
from lifecircle.models.features import infer_features
from lifecircle.models.mlflow_ops import log_trained, outdated_profile, register_and_promote
from lifecircle.models.trainer import train_churn
from lifecircle.runtime import JobContext, job


@job("train_churn", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    section = ctx.cfg.section("churn")
    gap = int(section.get("gap", 1))
    wanted, valid_month = month_plan(ctx.month, gap, int(section.get("train_months", 3)))
    panorama = ctx.read("gold.panorama")
    subscriber = ctx.read("silver.subscriber")
    pano_months = {r["month"] for r in panorama.select("month").distinct().collect()}  # ok: distinct months
    sub_months = {r["month"] for r in subscriber.select("month").distinct().collect()}  # ok: distinct months
    if valid_month not in pano_months or label_month(valid_month, gap) not in sub_months:
        raise InputError(f"train_churn --month {ctx.month}: out-of-time validation needs gold.panorama "
                         f"{valid_month} and silver.subscriber {label_month(valid_month, gap)}")
    train_months = [m for m in wanted if m in pano_months and label_month(m, gap) in sub_months]
    if not train_months:
        raise InputError(f"train_churn --month {ctx.month}: no training month among {wanted} has panorama "
                         "features and a known label")
    train = reuse(training_examples(panorama, subscriber, train_months, gap))
    valid = reuse(training_examples(panorama, subscriber, [valid_month], gap))
    try:
        deny = list(section.get("deny_columns", [])) + ["subscriber_id", "month", "label", "weight"]
        spec = infer_features(train, deny, int(section.get("max_categories", 50)), section.get("deny_patterns", []))
        ctx.log.info("features: %d numeric, %d boolean, %d categorical; dropped %s", len(spec.numeric),
                     len(spec.boolean), len(spec.categorical), spec.dropped)
        trained = train_churn(train, valid, spec, section, refit=False)
        params = {"month": ctx.month, "gap": gap, "train_months": ",".join(train_months),
                  "train_label_months": ",".join(label_month(m, gap) for m in train_months),
                  "validation_month": valid_month, "validation_label_month": label_month(valid_month, gap),
                  "candidates": ",".join(section.get("candidates", [])), "class_weights": section.get("class_weights")}
        with start_run(ctx.cfg, "train_churn", period=ctx.month, experiment=section.get("experiment", "churn")) as run:
            uri = log_trained(trained, params)
            promo = register_and_promote(section["model_name"], uri, run.info.run_id, trained.validation.auc,
                                         valid, float((section.get("promotion") or {}).get("min_improvement", 0.0)),
                                         champion_check=outdated_profile)
        ev = trained.validation
        ctx.notes.update({"validation_auc": ev.auc, "top_decile_lift": ev.deciles[0]["lift"] if ev.deciles else None,
                          "version": promo.version, "promoted": promo.promoted, "reason": promo.reason})
        ctx.log.info("%s %s: out-of-time AUC %.4f on %s, top-decile lift %.2f; v%s %s (%s)", trained.result.kind,
                     trained.result.params, ev.auc, valid_month, ev.deciles[0]["lift"] if ev.deciles else 0.0,
                     promo.version, "promoted to champion" if promo.promoted else "kept as challenger", promo.reason)
    finally:
        train.unpersist()
        valid.unpersist()


if __name__ == "__main__":
    raise SystemExit(main())
