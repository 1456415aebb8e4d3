"""`lifecircle card <msisdn>`: the one-customer retention card for the front line (seed 004). One number
in, that subscriber's card out with the number masked; no bulk look-ups; every look-up is logged to
meta.card_access_log."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os

from lifecircle.core.errors import InputError
from lifecircle.retention.card import check_msisdn, mask_msisdn


def _who() -> str:
    return os.environ.get("USER") or getpass.getuser() or "unknown"


def render(masked: str, month: str, card_json: str, script_zh: str, script_en: str, lang: str, as_json: bool) -> str:
    """The text the card command prints: masked number, then the card in the chosen form."""
    if as_json:
        card = json.loads(card_json)
        card.pop("subscriber_id", None)
        return json.dumps({"msisdn": masked, **card}, ensure_ascii=False, indent=2)
    parts = [f"{masked}  ({month})"]
    if lang in ("zh", "both"):
        parts.append(script_zh)
    if lang in ("en", "both"):
        parts.append(script_en)
    return "\n".join(parts)


def cmd_card(ns: argparse.Namespace) -> int:
    msisdn = check_msisdn(ns.msisdn)  # before any session: refuse bulk input at once
    if ns.month:
        from lifecircle.core.periods import parse_month

        parse_month(ns.month)
    from pyspark.sql import functions as F

    from lifecircle.cli import ensure_pii_key
    from lifecircle.core.config import load_config
    from lifecircle.core.delta_io import read_delta, table_exists, write_delta
    from lifecircle.core.spark import build_session
    from lifecircle.ingest.privacy import pii_key, pseudonymise_py
    from lifecircle.registry import table
    from lifecircle.retention.registry import CARD_ACCESS_LOG_SCHEMA

    cfg = load_config(ns.env, ns.conf_dir, ns.overrides)
    ensure_pii_key(cfg)
    pseudo = pseudonymise_py(msisdn, pii_key(cfg.get("privacy.pii_key_env")))
    spark = build_session("card", cfg)
    path = table("gold.retention_plan").path(cfg)
    row = None
    if table_exists(spark, path):
        q = read_delta(spark, path, "gold.retention_plan").where(F.col("subscriber_id") == pseudo)
        if ns.month:
            q = q.where(F.col("month") == ns.month)
        row = (q.select("month", "card_json", "script_zh", "script_en").orderBy(F.col("month").desc())
               .limit(1).collect() or [None])[0]  # ok: one subscriber's card (limit 1)
    log = spark.createDataFrame(
        [(dt.datetime.now(), _who(), pseudo, row["month"] if row else ns.month, row is not None)],
        CARD_ACCESS_LOG_SCHEMA)
    write_delta(log, table("meta.card_access_log").path(cfg), mode="append")
    if row is None:
        raise InputError(f"no retention card for {mask_msisdn(msisdn)}" + (f" in {ns.month}" if ns.month else ""))
    print(render(mask_msisdn(msisdn), row["month"], row["card_json"], row["script_zh"], row["script_en"],
                 ns.lang, ns.json))
    return 0


def register(subparsers) -> None:
    """Add `card <msisdn>` to the lifecircle command."""
    p = subparsers.add_parser("card", help="one subscriber's retention card (one 11-digit number, masked, logged)")
    p.add_argument("--env", default=os.environ.get("LIFECIRCLE_ENV", "local"))
    p.add_argument("--conf-dir", default=None)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--month", default=None, help="the plan month (default: the latest with a card)")
    p.add_argument("--lang", choices=["zh", "en", "both"], default="both")
    p.add_argument("--json", action="store_true", help="print the card as JSON (number masked)")
    p.add_argument("msisdn", nargs="*", help="exactly one 11-digit mobile number")
    p.set_defaults(func=cmd_card)
