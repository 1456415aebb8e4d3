"""`lifecircle tariffs`: price one month's usage under every plan of conf/tariffs.yaml (no Spark; the same
decimal arithmetic as plan fit), for checking the catalogue and answering "which plan would suit me"."""

from __future__ import annotations

import argparse
import math
from decimal import Decimal


def plan_bills(catalogue: dict, voice_min: float, sms: float, data_mb: float) -> list[tuple[str, str, Decimal]]:
    """tariffs.yaml mapping + usage → (plan_id, plan_type, bill) for every plan, cheapest first (whole units)."""
    from lifecircle.value.plan_fit import tariff_rows

    units = [math.ceil(max(x, 0.0)) for x in (voice_min, sms, data_mb)]
    out = []
    for r in tariff_rows(catalogue):
        pid, _, ptype, fee, iv, isms, idata, ov, osms, odata, _ = r
        bill = fee + max(units[0] - iv, 0) * ov + max(units[1] - isms, 0) * osms + max(units[2] - idata, 0) * odata
        out.append((pid, ptype, bill.quantize(Decimal("0.01"))))
    return sorted(out, key=lambda t: (t[2], t[0]))


def _cmd(ns: argparse.Namespace) -> int:
    from lifecircle.core.config import load_config

    cfg = load_config(ns.env, ns.conf_dir)
    cat = cfg.load_file(cfg.get("value.plan_fit.tariffs_file", "tariffs.yaml"))
    for pid, ptype, bill in plan_bills(cat, ns.voice, ns.sms, ns.data):
        print(f"{pid:<10} {ptype:<7} {bill:>10}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("tariffs", help="price a month's usage under every plan (conf/tariffs.yaml)")
    p.add_argument("--voice", type=float, default=0.0, help="outgoing voice minutes")
    p.add_argument("--sms", type=float, default=0.0, help="SMS sent")
    p.add_argument("--data", type=float, default=0.0, help="data MB")
    p.add_argument("--env", default="local")
    p.add_argument("--conf-dir", default=None)
    p.set_defaults(func=_cmd)
