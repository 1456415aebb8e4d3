"""`lifecircle social report --month M`: found communities and leaders against the generator's planted truth."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from lifecircle.core.errors import InputError


def _cmd_report(ns: argparse.Namespace) -> int:
    from lifecircle.core.config import load_config
    from lifecircle.core.delta_io import read_delta
    from lifecircle.core.paths import resolve
    from lifecircle.core.spark import build_session
    from lifecircle.ingest.privacy import pii_key
    from lifecircle.registry import table
    from lifecircle.social.report import compare_with_truth, truth_ids

    cfg = load_config(ns.env, ns.conf_dir, ns.overrides)
    truth_dir = Path(resolve(ns.truth or cfg.get("paths.truth")))
    if not (truth_dir / "subscribers").exists():
        raise InputError(f"no planted truth at {truth_dir / 'subscribers'} (run the generator first)")
    spark = build_session("social-report", cfg)
    truth = truth_ids(spark.read.parquet(str(truth_dir / "subscribers")), pii_key(cfg.get("privacy.pii_key_env")))
    res = compare_with_truth(read_delta(spark, table("gold.social_features").path(cfg)),
                             read_delta(spark, table("gold.leaders").path(cfg)), truth, ns.month)
    out = Path(resolve(cfg.get("paths.reports"))) / f"social_{ns.month}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    for k, v in res.items():
        print(f"{k:<26} {v:.4f}" if isinstance(v, float) else f"{k:<26} {v}")
    print(f"wrote {out}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("social", help="social-circle reports")
    sub = p.add_subparsers(dest="social_cmd", required=True)
    r = sub.add_parser("report", help="NMI / adjusted Rand vs planted communities, leader recall, contagion")
    r.add_argument("--month", required=True)
    r.add_argument("--truth", default=None, help="truth folder (default: paths.truth)")
    r.add_argument("--env", default=os.environ.get("LIFECIRCLE_ENV", "local"))
    r.add_argument("--conf-dir", default=None)
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    r.set_defaults(func=_cmd_report)
