"""`lifecircle campaign ...` (evaluate-file, validate, status, submit/approve/reject/launch/close) and
`lifecircle lists decrypt FILE` for the list administrator."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lifecircle.core.errors import LifecircleError


def _conf_args(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--env", default=os.environ.get("LIFECIRCLE_ENV", "local"))
    p.add_argument("--conf-dir", default=None)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    return p


def _cfg(ns: argparse.Namespace):
    from lifecircle.core.config import load_config

    return load_config(ns.env, ns.conf_dir, ns.overrides)


def _spark(ns: argparse.Namespace, cfg, app: str):
    spark = getattr(ns, "_spark", None)
    if spark is not None:
        return spark
    from lifecircle.core.spark import build_session

    return build_session(app, cfg)


def _cmd_evaluate_file(ns: argparse.Namespace) -> int:
    from lifecircle.campaigns.evaluate_file import evaluate_file

    cfg = _cfg(ns)
    spark = _spark(ns, cfg, "campaign-evaluate-file")
    res = evaluate_file(spark, ns.input, ns.group, ns.control, ns.outcome, ns.out, ns.id, ns.confidence)
    for r in res["results"]:
        print(f"{r['outcome']:<14} {r['group']:<20} n={r['n_group']:<8} {r['value_group']!s:<22} vs "
              f"{r['value_control']!s:<22} diff={r['difference']} CI=[{r['ci_low']}, {r['ci_high']}] "
              f"p={r['p_value']}")
    print(f"wrote {Path(ns.out) / 'evaluation.json'} and {Path(ns.out) / 'evaluation.html'}")
    return 0


def _cmd_validate(ns: argparse.Namespace) -> int:
    from lifecircle.campaigns.definition import campaign_path, load_campaign_file

    cfg = _cfg(ns)
    targets = ns.campaigns or [p.stem for p in sorted((Path(cfg.conf_dir) / "campaigns").glob("*.yaml"))]
    failed = 0
    for t in targets:
        path = Path(t) if t.endswith(".yaml") else campaign_path(cfg, t)
        try:
            c = load_campaign_file(path, cfg.section("campaigns"))
            print(f"ok   {c.id}: {len(c.strategies)} strategies + control, channels "
                  f"{', '.join(f'{k}={v}' for k, v in c.capacities.items())}, {c.start}..{c.end}")
        except LifecircleError as exc:
            failed += 1
            print(f"FAIL {exc}", file=sys.stderr)
    return 2 if failed else 0


def _cmd_transition(ns: argparse.Namespace) -> int:
    from lifecircle.campaigns.definition import load_campaign
    from lifecircle.campaigns.store import record_transition

    cfg = _cfg(ns)
    campaign = load_campaign(cfg, ns.campaign)
    spark = _spark(ns, cfg, "campaign-workflow")
    row = record_transition(spark, cfg, campaign, ns.action, ns.by, getattr(ns, "level", None), ns.comment)
    print(f"{campaign.id}: {row['from_state']} -> {row['to_state']} ({ns.action} by {row['actor']} at {row['at']})")
    return 0


def _cmd_status(ns: argparse.Namespace) -> int:
    from lifecircle.campaigns.definition import load_campaign
    from lifecircle.campaigns.store import audit_history
    from lifecircle.campaigns.workflow import approved_levels, current_state

    cfg = _cfg(ns)
    campaign = load_campaign(cfg, ns.campaign)
    history = audit_history(_spark(ns, cfg, "campaign-status"), cfg, campaign.id)
    print(f"{campaign.id}: {current_state(history)}; approvals {approved_levels(history)} of {list(campaign.approvals)}")
    for r in history:
        print(f"  {r['seq']:>3} {r['at']} {r['action']:<8} {r['from_state']}->{r['to_state']} "
              f"{r['level'] or ''} by {r['actor']} {r['comment'] or ''}")
    return 0


def _cmd_decrypt(ns: argparse.Namespace) -> int:
    from lifecircle.campaigns.crypto import decrypt, lists_key

    cfg = _cfg(ns)
    path = Path(ns.file)
    if not path.exists():
        raise LifecircleError(f"{path}: list file not found")
    clear = decrypt(path.read_bytes(), lists_key(cfg.get("privacy.lists_key_env")), str(path))
    if ns.out:
        out = Path(ns.out)
        out.write_bytes(clear)
        out.chmod(0o600)
        print(f"wrote {out} (clear text: keep it inside the secure zone)", file=sys.stderr)
    else:
        sys.stdout.write(clear.decode("utf-8"))
    return 0


def _add_campaign(sub) -> None:
    camp = sub.add_parser("campaign", help="campaign tools: evaluate-file, validate, status, approval workflow")
    cs = camp.add_subparsers(dest="campaign_command", required=True)
    p = _conf_args(cs.add_parser("evaluate-file", help="evaluate a randomized experiment kept in a CSV"))
    p.add_argument("--input", required=True, help="CSV with a header")
    p.add_argument("--id", default=None, help="id column (checked for duplicates)")
    p.add_argument("--group", required=True, help="the column holding the group")
    p.add_argument("--control", required=True, help="the control group's value")
    p.add_argument("--outcome", action="append", required=True, help="an outcome column (repeatable)")
    p.add_argument("--out", required=True, help="folder for evaluation.json and evaluation.html")
    p.add_argument("--confidence", type=float, default=0.95)
    p.set_defaults(func=_cmd_evaluate_file)
    p = _conf_args(cs.add_parser("validate", help="validate campaign definitions (ids or YAML paths; all if none)"))
    p.add_argument("campaigns", nargs="*")
    p.set_defaults(func=_cmd_validate)
    p = _conf_args(cs.add_parser("status", help="a campaign's workflow state and audit trail"))
    p.add_argument("campaign")
    p.set_defaults(func=_cmd_status)
    for action in ("submit", "approve", "reject", "launch", "close"):
        p = _conf_args(cs.add_parser(action, help=f"{action} a campaign (recorded in meta.campaign_audit)"))
        p.add_argument("campaign")
        p.add_argument("--by", required=True, help="who does it")
        p.add_argument("--comment", default=None)
        if action == "approve":
            p.add_argument("--level", default=None, help="the approval level (default: the next one due)")
        p.set_defaults(func=_cmd_transition, action=action)


def _add_lists(sub) -> None:
    lists = sub.add_parser("lists", help="encrypted target lists (administrator)")
    ls = lists.add_subparsers(dest="lists_command", required=True)
    p = _conf_args(ls.add_parser("decrypt", help="decrypt a list file to stdout (or --out FILE)"))
    p.add_argument("file")
    p.add_argument("--out", default=None)
    p.set_defaults(func=_cmd_decrypt)


def register(subparsers) -> None:
    _add_campaign(subparsers)
    _add_lists(subparsers)


def main(argv: list[str], spark=None) -> int:
    """Run `campaign ...` or `lists ...` in-process (tests pass their session)."""
    parser = argparse.ArgumentParser(prog="lifecircle")
    register(parser.add_subparsers(dest="command", required=True))
    args = list(argv)
    if args and args[0] not in ("campaign", "lists"):
        args = ["campaign", *args]
    ns = parser.parse_args(args)
    ns._spark = spark
    try:
        return int(ns.func(ns) or 0)
    except LifecircleError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
