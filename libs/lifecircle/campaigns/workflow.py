"""The approval workflow: draft → submitted → approved at each configured level (in order) → launched →
closed, with `reject` sending a submission back to draft. The state is the last audit row's `to_state`;
every transition is a new row (who, when, level, comment) in `meta.campaign_audit`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pyspark.sql.types import IntegerType, StringType, StructField, StructType, TimestampType

from lifecircle.core.errors import LifecircleError

AUDIT_SCHEMA = StructType([
    StructField("campaign_id", StringType(), False),
    StructField("seq", IntegerType(), False),
    StructField("action", StringType(), False),
    StructField("from_state", StringType(), False),
    StructField("to_state", StringType(), False),
    StructField("level", StringType(), True),
    StructField("actor", StringType(), False),
    StructField("at", TimestampType(), False),
    StructField("comment", StringType(), True),
])
AUDIT_COLUMNS = [f.name for f in AUDIT_SCHEMA.fields]

DRAFT, SUBMITTED, IN_APPROVAL, APPROVED, LAUNCHED, CLOSED = (
    "draft", "submitted", "in_approval", "approved", "launched", "closed")
ACTIONS = ("submit", "approve", "reject", "launch", "close")


def current_state(history: Sequence[dict[str, Any]]) -> str:
    """The campaign's state from its audit rows (draft when there are none)."""
    return max(history, key=lambda r: r["seq"])["to_state"] if history else DRAFT


def approved_levels(history: Sequence[dict[str, Any]]) -> list[str]:
    """Levels approved since the last submission, in order."""
    rows = sorted(history, key=lambda r: r["seq"])
    last_submit = max((r["seq"] for r in rows if r["action"] == "submit"), default=-1)
    return [r["level"] for r in rows if r["action"] == "approve" and r["seq"] > last_submit]


def transition(campaign_id: str, history: Sequence[dict[str, Any]], action: str, actor: str,
               required_levels: Sequence[str], level: str | None = None, comment: str | None = None,
               at: dt.datetime | None = None) -> dict[str, Any]:
    """The audit row for `action` by `actor`, or LifecircleError naming why the transition is refused."""
    if action not in ACTIONS:
        raise LifecircleError(f"campaign {campaign_id}: unknown action {action!r} (one of {', '.join(ACTIONS)})")
    if not actor or not actor.strip():
        raise LifecircleError(f"campaign {campaign_id}: {action} needs the name of who does it (--by)")
    state = current_state(history)
    done = approved_levels(history)
    missing = [lv for lv in required_levels if lv not in done]
    to_state: str
    if action == "submit":
        if state != DRAFT:
            raise LifecircleError(f"campaign {campaign_id}: cannot submit in state {state} (only a draft)")
        to_state = SUBMITTED if required_levels else APPROVED
    elif action == "approve":
        if state not in (SUBMITTED, IN_APPROVAL):
            raise LifecircleError(f"campaign {campaign_id}: cannot approve in state {state} (submit it first)")
        expected = missing[0] if missing else None
        level = level or expected
        if level != expected:
            raise LifecircleError(f"campaign {campaign_id}: the next approval level is {expected!r}, not {level!r}")
        submitter = next((r["actor"] for r in sorted(history, key=lambda r: -r["seq"]) if r["action"] == "submit"), None)
        approvers = {r["actor"] for r in history if r["action"] == "approve" and r["level"] in done}
        if actor == submitter or actor in approvers:
            raise LifecircleError(f"campaign {campaign_id}: {actor} already submitted or approved it; "
                                  f"another person must approve level {level}")
        to_state = APPROVED if len(missing) == 1 else IN_APPROVAL
    elif action == "reject":
        if state not in (SUBMITTED, IN_APPROVAL):
            raise LifecircleError(f"campaign {campaign_id}: cannot reject in state {state}")
        to_state = DRAFT
    elif action == "launch":
        if state != APPROVED or missing:
            need = ", ".join(missing) or "submission"
            raise LifecircleError(f"campaign {campaign_id}: launch refused in state {state}: "
                                  f"missing approval(s): {need}")
        to_state = LAUNCHED
    else:  # close
        if state != LAUNCHED:
            raise LifecircleError(f"campaign {campaign_id}: cannot close in state {state} (only a launched campaign)")
        to_state = CLOSED
    return {
        "campaign_id": campaign_id, "seq": max((r["seq"] for r in history), default=0) + 1, "action": action,
        "from_state": state, "to_state": to_state, "level": level if action == "approve" else None,
        "actor": actor.strip(), "at": at or dt.datetime.now().replace(microsecond=0), "comment": comment,
    }
