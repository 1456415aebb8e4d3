"""Campaign definitions (`conf/campaigns/<id>.yaml`): goal and measurable target, target rule, N strategies
(offer + channel + script), channel capacities and unit costs, time window, frequency caps, priority,
budget, approval levels. Loaded into a frozen `Campaign` and validated with errors naming file and field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lifecircle.core.config import Config
from lifecircle.core.errors import ConfigError

# Seed 002's per-contact unit costs (yuan); conf/campaigns.yaml may override them.
DEFAULT_UNIT_COSTS = {"store": 2.0, "outbound_call": 1.3, "sms": 0.1, "mms": 0.3}
CONTROL = "control"
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Strategy:
    id: str
    offer_id: str
    channel: str
    script: str
    offer_cost: float = 0.0  # cost to the operator per acceptance


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    goal: str
    target_metric: str
    target_value: float
    rule: str
    strategies: tuple[Strategy, ...]
    capacities: dict[str, int]
    unit_costs: dict[str, float]
    start: dt.date
    end: dt.date
    priority: int
    budget: float
    approvals: tuple[str, ...]
    seed: int
    product_id: str | None = None
    max_contacts: int = 2
    cap_window_days: int = 90
    value_per_response: float = 0.0
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def groups(self) -> tuple[str, ...]:
        """The N+1 groups: one per strategy (named by its id) and the untouched control."""
        return (*[s.id for s in self.strategies], CONTROL)

    def strategy(self, sid: str) -> Strategy:
        for s in self.strategies:
            if s.id == sid:
                return s
        raise ConfigError(f"{self.source}: campaign {self.id} has no strategy {sid!r}")

    def unit_cost(self, channel: str) -> float:
        return float(self.unit_costs[channel])


class _Errors:
    def __init__(self, source: str):
        self.source, self.items = source, []  # type: ignore[var-annotated]

    def add(self, fieldname: str, message: str) -> None:
        self.items.append(f"field '{fieldname}': {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(f"{self.source}: " + "; ".join(self.items))


def _date(value: Any, name: str, err: _Errors) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        err.add(name, f"must be a date YYYY-MM-DD, got {value!r}")
        return None


def _number(data: dict, key: str, err: _Errors, name: str, minimum: float = 0.0, integer: bool = False,
            default: Any = ...) -> Any:
    if key not in data:
        if default is ...:
            err.add(name, "is required")
        return None if default is ... else default
    v = data[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or (integer and not isinstance(v, int)):
        err.add(name, f"must be {'an integer' if integer else 'a number'}, got {v!r}")
        return None
    if v < minimum:
        err.add(name, f"must be >= {minimum}, got {v!r}")
        return None
    return v


def parse_campaign(data: Any, source: str, defaults: dict[str, Any] | None = None) -> Campaign:
    """Validate a campaign mapping (from YAML) against `conf/campaigns.yaml` defaults; raise ConfigError."""
    defaults = defaults or {}
    err = _Errors(source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a campaign definition must be a mapping")
    known = {"id", "name", "goal", "target", "rule", "strategies", "channels", "window", "priority", "budget",
             "approvals", "seed", "product_id", "frequency_caps", "value_per_response", "description"}
    for key in data:
        if key not in known:
            err.add(str(key), f"unknown field (known: {', '.join(sorted(known))})")
    cid = data.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        err.add("id", f"must be a lower-case identifier [a-z][a-z0-9_]*, got {cid!r}")
    elif Path(source).suffix == ".yaml" and Path(source).stem != cid:
        err.add("id", f"{cid!r} must equal the file name {Path(source).stem!r}")
    for key in ("name", "goal", "rule"):
        if not isinstance(data.get(key), str) or not data.get(key, "").strip():
            err.add(key, "is required (non-empty text)")
    target = data.get("target")
    if not isinstance(target, dict) or not isinstance(target.get("metric"), str) or \
            isinstance(target.get("value"), bool) or not isinstance(target.get("value"), int | float):
        err.add("target", "needs 'metric' (text) and 'value' (number): the measurable target")
        target = {}
    unit_costs = {**DEFAULT_UNIT_COSTS, **(defaults.get("channel_unit_costs") or {})}
    channels = data.get("channels")
    capacities: dict[str, int] = {}
    if not isinstance(channels, dict) or not channels:
        err.add("channels", "is required: a mapping channel -> {capacity: N[, unit_cost: yuan]}")
        channels = {}
    for ch, spec in channels.items():
        if ch not in unit_costs and not (isinstance(spec, dict) and "unit_cost" in spec):
            err.add(f"channels.{ch}", f"unknown channel without unit_cost (known: {', '.join(sorted(unit_costs))})")
            continue
        if not isinstance(spec, dict):
            err.add(f"channels.{ch}", "must be a mapping with 'capacity'")
            continue
        cap = _number(spec, "capacity", err, f"channels.{ch}.capacity", 0, integer=True)
        if cap is not None:
            capacities[ch] = int(cap)
        cost = _number(spec, "unit_cost", err, f"channels.{ch}.unit_cost", 0, default=None)
        if cost is not None:
            unit_costs[ch] = float(cost)
    strategies: list[Strategy] = []
    raw = data.get("strategies")
    if not isinstance(raw, list) or not raw:
        err.add("strategies", "is required: a list of {id, offer_id, channel, script}")
        raw = []
    seen: set[str] = set()
    for i, s in enumerate(raw):
        name = f"strategies[{i}]"
        if not isinstance(s, dict):
            err.add(name, "must be a mapping")
            continue
        sid = s.get("id")
        if not isinstance(sid, str) or not _ID.match(sid) or sid == CONTROL:
            err.add(f"{name}.id", f"must be an identifier other than '{CONTROL}', got {sid!r}")
        elif sid in seen:
            err.add(f"{name}.id", f"duplicate strategy id {sid!r}")
        seen.add(str(sid))
        for key in ("offer_id", "channel", "script"):
            if not isinstance(s.get(key), str) or not s.get(key, "").strip():
                err.add(f"{name}.{key}", "is required (text)")
        ch = s.get("channel")
        if isinstance(ch, str) and ch not in capacities and ch not in channels:
            err.add(f"{name}.channel", f"channel {ch!r} has no capacity in 'channels' ({', '.join(sorted(channels))})")
        cost = _number(s, "offer_cost", err, f"{name}.offer_cost", 0, default=0.0)
        unknown = set(s) - {"id", "offer_id", "channel", "script", "offer_cost"}
        if unknown:
            err.add(name, f"unknown field(s) {', '.join(sorted(unknown))}")
        strategies.append(Strategy(str(sid), str(s.get("offer_id")), str(ch), str(s.get("script")), float(cost or 0)))
    window = data.get("window")
    start = end = None
    if not isinstance(window, dict) or "start" not in window or "end" not in window:
        err.add("window", "needs 'start' and 'end' dates")
    else:
        start, end = _date(window["start"], "window.start", err), _date(window["end"], "window.end", err)
        if start and end and end < start:
            err.add("window.end", f"{end} is before window.start {start}")
    priority = _number(data, "priority", err, "priority", 0, integer=True)
    budget = _number(data, "budget", err, "budget", 0)
    seed = _number(data, "seed", err, "seed", 0, integer=True)
    approvals = data.get("approvals", defaults.get("approval_levels", []))
    if not isinstance(approvals, list) or not all(isinstance(a, str) and a for a in approvals):
        err.add("approvals", "must be a list of approval level names")
        approvals = []
    caps = data.get("frequency_caps", defaults.get("frequency_caps", {})) or {}
    if not isinstance(caps, dict):
        err.add("frequency_caps", "must be a mapping {max_contacts, window_days}")
        caps = {}
    max_contacts = _number(caps, "max_contacts", err, "frequency_caps.max_contacts", 1, True, default=2)
    cap_days = _number(caps, "window_days", err, "frequency_caps.window_days", 1, True, default=90)
    value = _number(data, "value_per_response", err, "value_per_response", 0, default=0.0)
    product = data.get("product_id")
    if product is not None and not isinstance(product, str):
        err.add("product_id", f"must be text or absent, got {product!r}")
    err.raise_if_any()
    return Campaign(
        id=str(cid), name=str(data["name"]), goal=str(data["goal"]), target_metric=str(target["metric"]),
        target_value=float(target["value"]), rule=str(data["rule"]), strategies=tuple(strategies),
        capacities=capacities, unit_costs={c: unit_costs[c] for c in capacities}, start=start, end=end,  # type: ignore[arg-type]
        priority=int(priority), budget=float(budget), approvals=tuple(approvals), seed=int(seed),
        product_id=product, max_contacts=int(max_contacts), cap_window_days=int(cap_days),
        value_per_response=float(value), source=source,
    )


def campaign_path(cfg: Config, campaign_id: str) -> Path:
    return Path(cfg.conf_dir) / "campaigns" / f"{campaign_id}.yaml"


def load_campaign_file(path: str | Path, defaults: dict[str, Any] | None = None) -> Campaign:
    """Read and validate one campaign YAML file."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{p}: campaign definition not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: invalid YAML ({exc})") from exc
    return parse_campaign(data, str(p), defaults)


def load_campaign(cfg: Config, campaign_id: str) -> Campaign:
    """The campaign `conf/campaigns/<id>.yaml`, validated with the defaults of `conf/campaigns.yaml`."""
    return load_campaign_file(campaign_path(cfg, campaign_id), cfg.section("campaigns"))


def all_campaigns(cfg: Config) -> list[Campaign]:
    return [load_campaign_file(p, cfg.section("campaigns"))
            for p in sorted((Path(cfg.conf_dir) / "campaigns").glob("*.yaml"))]
