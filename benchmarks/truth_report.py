"""Every planted-truth acceptance number of a generated province in one report (issues 5–10).

Run after the pipeline (`make demo`, or the jobs on a bigger province) has written its gold tables:

    .venv/bin/python benchmarks/truth_report.py [--env local] [--set paths.data_root=data/small] \
        [--month 2026-10] [--plan-month 2026-09]

`--month` (default: the last month of demo.months) scores what needs no future: life circles, social circles,
segments, association rules, plan fit and propensity. `--plan-month` (default: the month before) scores what
needs a known future: the churn model's reasons against planted causes and the retention plan, with the
churners of the months after it as the truth. The churn model's out-of-time AUC and top-decile lift come from
the latest `train_churn` run in MLflow. Writes <paths.reports>/truth_report.{json,md} and prints the Markdown.
Truth is read only here, in the tests and in the domain reports: the pipeline never reads it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "libs"))

from pyspark.sql import functions as F  # noqa: E402

from lifecircle.circles.evaluate import evaluate_month  # noqa: E402
from lifecircle.core.config import load_config  # noqa: E402
from lifecircle.core.delta_io import read_delta, table_exists  # noqa: E402
from lifecircle.core.paths import resolve  # noqa: E402
from lifecircle.core.periods import add_months, month_range  # noqa: E402
from lifecircle.core.spark import build_session  # noqa: E402
from lifecircle.ingest.privacy import pii_key  # noqa: E402
from lifecircle.registry import table  # noqa: E402

GENRES = ("pop", "rock", "symphony", "folk", "football", "basketball", "auto", "tech")


def _num(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.3f}"
    return str(v)


def churn_from_mlflow(cfg) -> dict[str, Any]:
    """The latest train_churn run's out-of-time metrics and the registered champion."""
    import mlflow

    from lifecircle.core.tracking import configure_mlflow

    section = cfg.section("churn")
    configure_mlflow(cfg, section.get("experiment", "churn"))
    runs = mlflow.search_runs(
        filter_string="tags.`lifecircle.job` = 'train_churn' AND attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"], max_results=1, search_all_experiments=True)
    if runs.empty:
        return {"error": "no train_churn run in MLflow"}
    r = runs.iloc[0]
    out = {k: float(r.get(f"metrics.val_{k}")) for k in ("auc", "pr_auc", "top_decile_lift", "rows", "positives")
           if f"metrics.val_{k}" in r}
    out["validation_month"] = r.get("params.validation_month")
    out["label_month"] = r.get("params.validation_label_month")
    out["model"] = r.get("params.model_kind") or r.get("tags.mlflow.runName")
    return out


def campaign_truth(cfg, spark, evaluation, targets, truth_root: str, key: bytes, reports_dir: Path) -> dict[str, Any]:
    """Per campaign and strategy: the evaluated response uplift with its 95% CI, the planted effect on the same
    targets and whether the CI covers it; plus the uplift model's planted incremental responses vs churn-score
    targeting (uplift.json). The planted arms are the simulator's: a strategy group responds with its offer's
    p_treated, the control with the mean p_control over the campaign's offers (campaigns.simulate)."""
    from lifecircle.campaigns.definition import CONTROL, load_campaign
    from lifecircle.campaigns.simulate import align_params
    from lifecircle.campaigns.store import read_params

    params = read_params(spark, cfg, f"{truth_root}/campaign_response")
    out: dict[str, Any] = {}
    for cid in sorted(r["campaign_id"] for r in evaluation.select("campaign_id").distinct().collect()):  # ok: campaigns
        campaign = load_campaign(cfg, cid)
        ev = {r["group"]: r for r in evaluation.where((F.col("campaign_id") == cid) & (F.col("outcome") == "responded"))
              .collect()}  # ok: one row per strategy
        arm_means = {r["group"]: r["p"] for r in targets.where(F.col("campaign_id") == cid)
                     .join(align_params(params, campaign), ["subscriber_id", "group"])
                     .groupBy("group").agg(F.avg("p").alias("p")).collect()}  # ok: one row per arm
        rows = []
        for s in campaign.strategies:
            e = ev.get(s.id)
            if e is None or s.id not in arm_means or CONTROL not in arm_means:
                continue
            planted = arm_means[s.id] - arm_means[CONTROL]
            rows.append({"strategy": s.id, "n": e["n_group"], "evaluated": e["difference"], "ci_low": e["ci_low"],
                         "ci_high": e["ci_high"], "planted": planted,
                         "covered": planted is not None and e["ci_low"] <= planted <= e["ci_high"]})
        uplift_file = reports_dir / "campaigns" / cid / "uplift.json"
        policy = json.loads(uplift_file.read_text()).get("planted_incremental_responses_at_top") \
            if uplift_file.exists() else None
        out[cid] = {"strategies": rows, "targeting_at_top": policy}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="local")
    p.add_argument("--set", dest="overrides", action="append", default=[])
    p.add_argument("--month", default=None, help="month for circles, social and value (default: last demo month)")
    p.add_argument("--plan-month", default=None, help="month for churn reasons and the retention plan")
    args = p.parse_args(argv)
    cfg = load_config(args.env, overrides=args.overrides)
    months = month_range(cfg.get("demo.months"))
    month = args.month or months[-1]
    plan_month = args.plan_month or add_months(month, -1)
    later = [m for m in months if m > plan_month]
    spark = build_session("truth_report", cfg)
    key = pii_key(cfg.get("privacy.pii_key_env"))
    truth_root = resolve(cfg.get("paths.truth")).rstrip("/")
    raw_truth = spark.read.parquet(f"{truth_root}/subscribers")

    from lifecircle.value.evaluation import truth_subscribers

    truth = truth_subscribers(raw_truth, key).cache()

    def gold(name: str, m: str | None = None):
        path = table(name).path(cfg)
        if not table_exists(spark, path):
            return None
        df = read_delta(spark, path, name)
        return df if m is None else df.where(F.col("month") == m)

    report: dict[str, Any] = {"month": month, "plan_month": plan_month, "future_months": later}

    # life circles (issue 5)
    feats, tags = gold("gold.circle_features"), gold("gold.tags")
    if feats is not None and tags is not None:
        report["circles"] = [r.asDict() for r in evaluate_month(feats, tags, raw_truth, month, key, GENRES).collect()]

    # social circles (issue 6)
    sf, leaders = gold("gold.social_features"), gold("gold.leaders")
    if sf is not None and leaders is not None:
        from lifecircle.social.report import compare_with_truth, truth_ids

        # at the plan month: planted contagion churners are those who churn after it
        report["social"] = compare_with_truth(sf, leaders, truth_ids(raw_truth, key), plan_month)

    # churn (issue 7)
    churn: dict[str, Any] = churn_from_mlflow(cfg)
    scores = gold("gold.churn_scores", plan_month)
    if scores is not None and later:
        from lifecircle.models.evaluation import reasons_vs_causes

        churn["reasons_vs_causes"] = reasons_vs_causes(scores, truth, later)
    report["churn"] = churn

    # value uplift (issue 8)
    from lifecircle.value import evaluation as ev

    value: dict[str, Any] = {}
    if (seg := gold("gold.segments", month)) is not None:
        value["segment_ari"] = ev.segment_ari(seg, truth)
        value["segment_ari_clustered"] = ev.segment_ari(seg, truth, clustered_only=True)
    if (rules := gold("gold.association_rules", month)) is not None:
        value["rules"] = ev.rule_recovery(rules, spark.read.parquet(f"{truth_root}/association_rules"))
    if (fit := gold("gold.plan_fit", month)) is not None:
        value["plan_mismatch"] = ev.plan_mismatch_scores(fit, truth)
    if (life := gold("gold.product_lifecycle", month)) is not None:
        value["propensity_top_decile_lift"] = ev.propensity_lifts(life)
    report["value"] = value

    # retention plan (issue 9)
    plan = gold("gold.retention_plan", plan_month)
    if plan is not None and later:
        from lifecircle.retention.evaluation import offer_agreement, offer_agreement_by_cause, quadrant_a_lift

        horizon = len(later)
        report["retention"] = {"quadrant_a": quadrant_a_lift(plan, truth, plan_month, horizon),
                               "offers": offer_agreement(plan, truth, plan_month, horizon),
                               "offers_by_cause": offer_agreement_by_cause(plan, truth, plan_month, horizon)}

    # campaigns (issue 10): evaluated uplift per strategy vs the planted effect on the same targets
    reports_dir = Path(resolve(cfg.get("paths.reports")))
    evaluation, targets = gold("gold.campaign_evaluation"), gold("gold.campaign_targets")
    if evaluation is not None and targets is not None:
        report["campaigns"] = campaign_truth(cfg, spark, evaluation, targets, truth_root, key, reports_dir)

    truth.unpersist()
    spark.stop()
    md = to_markdown(report)
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / "truth_report.json").write_text(json.dumps(report, indent=2, default=str))
    (reports_dir / "truth_report.md").write_text(md)
    print(md)
    print(f"wrote {reports_dir / 'truth_report.md'} and truth_report.json")
    return 0


def to_markdown(r: dict[str, Any]) -> str:
    out = [f"# Planted truth vs the pipeline — month {r['month']}, plan month {r['plan_month']}", ""]
    if "circles" in r:
        out += ["## Life circles (target: home/work precision ≥ 0.95 and recall ≥ 0.90; other F1 ≥ 0.85)", "",
                "| circle | tp | fp | fn | precision | recall | F1 |", "|---|---:|---:|---:|---:|---:|---:|"]
        out += [f"| {c['circle']} | {c['tp']} | {c['fp']} | {c['fn']} | {_num(c['precision'])} | {_num(c['recall'])} "
                f"| {_num(c['f1'])} |" for c in r["circles"]]
        out.append("")
    if "social" in r:
        out += ["## Social circles (target: NMI or ARI ≥ 0.8, leader recall ≥ 0.8, contagion share higher for "
                "planted contagion churners)", ""]
        out += [f"- {k}: {_num(v)}" for k, v in r["social"].items()] + [""]
    c = r.get("churn", {})
    out += ["## Churn", ""]
    out += [f"- out-of-time {k}: {_num(c[k])}" for k in ("auc", "pr_auc", "top_decile_lift") if k in c]
    if "validation_month" in c:
        out.append(f"- validated on features of {c['validation_month']}, label month {c['label_month']}")
    rv = c.get("reasons_vs_causes")
    if rv:
        out.append(f"- planted cause among the top reasons: {_num(rv['share_cause_in_top_reasons'])} of "
                   f"{rv['churners_with_known_cause']} future churners with a known cause")
        out += [f"  - {k}: {_num(v['share'])} of {v['n']}" for k, v in rv["per_cause"].items()]
    out.append("")
    v = r.get("value", {})
    out += ["## Value uplift (targets: ARI ≥ 0.7, rule confidence ±0.05, plan-mismatch P/R ≥ 0.9, "
            "propensity top-decile lift ≥ 3)", ""]
    if "segment_ari" in v:
        out.append(f"- segment ARI vs planted behaviour groups: {_num(v['segment_ari'])} (all subscribers), "
                   f"{_num(v.get('segment_ari_clustered'))} (the clustered, leaving out the inactive segment)")
    for rule in v.get("rules", []):
        out.append(f"- rule {rule['rule']}: found={rule['found']} confidence={_num(rule['confidence'])} "
                   f"planted={_num(rule['planted'])}")
    if "plan_mismatch" in v:
        pm = v["plan_mismatch"]
        out.append(f"- plan mismatch: precision {_num(pm['precision'])}, recall {_num(pm['recall'])} "
                   f"(tp {pm['tp']}, fp {pm['fp']}, fn {pm['fn']})")
    for prod, lift in sorted(v.get("propensity_top_decile_lift", {}).items()):
        out.append(f"- propensity {prod}: top-decile lift {_num(lift)}")
    out.append("")
    if "retention" in r:
        q, o = r["retention"]["quadrant_a"], r["retention"]["offers"]
        out += ["## Retention plan", "",
                f"- quadrant A share of future high-value churners {_num(q['a_share'])} vs random "
                f"{_num(q['random_share'])}: ratio {_num(q['lift'])} ({int(q['a_subscribers'])} in A)",
                f"- matched offer answers the planted cause: {_num(o['agreement'])} of "
                f"{int(o['known_cause_churners'])} (plan mismatch: {_num(o['plan_mismatch_agreement'])})"]
        for cause, c in sorted(r["retention"].get("offers_by_cause", {}).items()):
            out.append(f"  - {cause}: {_num(c['agreement'])} of {c['n']}; offers given {json.dumps(c['offer_kinds'])}")
        out.append("")
    for name, e in r.get("campaigns", {}).items():
        out += [f"## Campaign {name}: evaluated response uplift vs planted effect", "",
                "| strategy | targets | evaluated | 95% CI | planted | covered |", "|---|---:|---:|---|---:|---|"]
        out += [f"| {s['strategy']} | {s['n']} | {_num(s['evaluated'])} | [{_num(s['ci_low'])}, {_num(s['ci_high'])}] "
                f"| {_num(s['planted'])} | {s['covered']} |" for s in e["strategies"]]
        if e.get("targeting_at_top"):
            t = e["targeting_at_top"]
            out.append(f"\nTargeting the top {t['share']:.0%} of the list, planted incremental responses: uplift model "
                       f"{json.dumps(t['uplift_model'], default=str)}, churn score {json.dumps(t['churn_score'], default=str)}")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
