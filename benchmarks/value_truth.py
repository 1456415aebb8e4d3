"""Planted-truth numbers of the value models on a generated province (issue 8's acceptance numbers).

Run after the demo pipeline has produced gold.segments, gold.plan_fit, gold.association_rules and
gold.product_lifecycle for a month:  .venv/bin/python benchmarks/value_truth.py --month 2026-10 [--env local]
Prints: segment ARI vs planted behaviour groups (aim ≥ 0.7), planted association rules' confidence
(within ±0.05), plan-mismatch precision/recall (≥ 0.9) and propensity top-decile lift (≥ 3).
"""

from __future__ import annotations

import argparse
import json

from pyspark.sql import functions as F

from lifecircle.core.config import load_config
from lifecircle.core.delta_io import read_delta
from lifecircle.core.paths import resolve
from lifecircle.core.spark import build_session
from lifecircle.ingest.privacy import pii_key
from lifecircle.registry import table
from lifecircle.value import evaluation as ev


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--month", required=True)
    ap.add_argument("--env", default="local")
    args = ap.parse_args()
    cfg = load_config(args.env)
    spark = build_session("value_truth", cfg)
    truth_root = resolve(cfg.get("paths.truth"))

    def gold(name: str):
        return read_delta(spark, table(name).path(cfg), name).where(F.col("month") == args.month)

    subs = ev.truth_subscribers(spark.read.parquet(f"{truth_root}/subscribers"), pii_key(cfg.get("privacy.pii_key_env")))
    out = {
        "segment_ari": ev.segment_ari(gold("gold.segments"), subs),
        "rules": ev.rule_recovery(gold("gold.association_rules"), spark.read.parquet(f"{truth_root}/association_rules")),
        "plan_mismatch": ev.plan_mismatch_scores(gold("gold.plan_fit"), subs),
        "propensity_top_decile_lift": ev.propensity_lifts(gold("gold.product_lifecycle")),
    }
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    spark.stop()


if __name__ == "__main__":
    main()
