"""Data-quality rules as configuration (conf/quality.yaml): parse and validate them, measure them on
a batch with one aggregation per feed, and gate the job on the `error` ones.

A rule: `name: {check, severity, feeds | feed, ...}`. Checks:
- required_fields: accepted rows with a required column missing (completeness);
- expected_files: periods of the run without any file of the feed (completeness);
- allowed_values {column, values} / range {column, min, max} / pattern {column, regex}: validity and
  consistency of accepted rows (null values are not counted; required_fields counts those);
- quarantined {reasons}: lines quarantined for those reason codes (e.g. inconsistent_fees, unknown_cell);
- volume {trailing, min_ratio, max_ratio}: accepted rows of the period vs the median of the previous
  `trailing` periods in the file manifest.
A rule fails when `failed > max_count` (default 0) or `failed / checked > max_rate` (when given).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lifecircle.core.errors import ConfigError, QualityGateError
from lifecircle.feeds import DAILY_FEEDS, DEFECT_KINDS, FEEDS, MONTHLY_FEEDS, REFERENCE_FEEDS

SOURCE = "conf/quality.yaml"
SEVERITIES = ("error", "warn")
_COMMON = {"check": str, "severity": str, "feeds": (str, list), "feed": str, "max_count": int,
           "max_rate": (int, float), "description": str}
CHECKS: dict[str, dict[str, Any]] = {
    "required_fields": {},
    "expected_files": {},
    "allowed_values": {"column": str, "values": list},
    "range": {"column": str, "min": (int, float, type(None)), "max": (int, float, type(None))},
    "pattern": {"column": str, "regex": str},
    "quarantined": {"reasons": list},
    "volume": {"trailing": int, "min_ratio": (int, float), "max_ratio": (int, float)},
}
ROW_CHECKS = ("required_fields", "allowed_values", "range", "pattern")
FEED_GROUPS = {"all": tuple(FEEDS), "daily": DAILY_FEEDS, "monthly": MONTHLY_FEEDS, "reference": REFERENCE_FEEDS}


@dataclass(frozen=True)
class Rule:
    name: str
    check: str
    severity: str
    feeds: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    max_count: int = 0
    max_rate: float | None = None

    def passes(self, checked: int, failed: int) -> bool:
        if failed > self.max_count and self.max_rate is None:
            return False
        if self.max_rate is not None:
            return checked == 0 or failed / checked <= self.max_rate
        return True


def _typename(t: Any) -> str:
    ts = t if isinstance(t, tuple) else (t,)
    return " or ".join({"str": "string", "list": "list", "int": "integer", "float": "number",
                        "NoneType": "null"}.get(x.__name__, x.__name__) for x in ts)


def _is(value: Any, t: Any) -> bool:
    ts = t if isinstance(t, tuple) else (t,)
    if isinstance(value, bool):
        return bool in ts
    return isinstance(value, ts)


def parse_rules(section: Mapping[str, Any], source: str = SOURCE) -> list[Rule]:
    """The `quality` config section → validated rules; a one-line ConfigError naming file and key."""
    rules_cfg = section.get("rules", {}) if section else {}
    if not isinstance(rules_cfg, dict):
        raise ConfigError(f"{source}: key 'quality.rules' must be a mapping of rule name to rule")
    unknown_top = sorted(set(section or {}) - {"rules", "summary"})
    if unknown_top:
        raise ConfigError(f"{source}: unknown key 'quality.{unknown_top[0]}' (known: rules, summary)")
    out = []
    for name, spec in rules_cfg.items():
        key = f"quality.rules.{name}"
        if not isinstance(spec, dict):
            raise ConfigError(f"{source}: key '{key}' must be a mapping")
        check = spec.get("check")
        if check not in CHECKS:
            raise ConfigError(f"{source}: key '{key}.check' has unknown rule {check!r} (known: {', '.join(CHECKS)})")
        allowed = {**_COMMON, **CHECKS[check]}
        for k, v in spec.items():
            if k not in allowed:
                raise ConfigError(f"{source}: unknown key '{key}.{k}' for check {check} (known: {', '.join(allowed)})")
            if not _is(v, allowed[k]):
                raise ConfigError(f"{source}: key '{key}.{k}' must be {_typename(allowed[k])}, got {v!r}")
        for k in CHECKS[check]:
            if k not in spec and k not in ("min", "max", "min_ratio", "max_ratio", "trailing"):
                raise ConfigError(f"{source}: key '{key}.{k}' is required for check {check}")
        severity = spec.get("severity", "warn")
        if severity not in SEVERITIES:
            raise ConfigError(f"{source}: key '{key}.severity' must be error or warn, got {severity!r}")
        feeds_v = spec.get("feeds", spec.get("feed", "all"))
        feeds: list[str] = []
        for f in [feeds_v] if isinstance(feeds_v, str) else feeds_v:
            if f in FEED_GROUPS:
                feeds += FEED_GROUPS[f]
            elif f in FEEDS:
                feeds.append(f)
            else:
                raise ConfigError(f"{source}: key '{key}.feeds' names unknown feed {f!r}")
        if "column" in spec:
            for f in feeds:
                if spec["column"] not in FEEDS[f].column_names:
                    raise ConfigError(f"{source}: key '{key}.column': feed {f} has no column {spec['column']!r}")
        for r in spec.get("reasons", []):
            if r not in DEFECT_KINDS:
                raise ConfigError(f"{source}: key '{key}.reasons' names unknown reason code {r!r}")
        params = {k: v for k, v in spec.items() if k in CHECKS[check]}
        out.append(Rule(name, check, severity, tuple(dict.fromkeys(feeds)), params,
                        int(spec.get("max_count", 0)),
                        float(spec["max_rate"]) if "max_rate" in spec else None))
    return out


def _row_failure(rule: Rule, feed: str) -> Column:
    p = rule.params
    if rule.check == "required_fields":
        cond: Column = F.lit(False)
        for c in FEEDS[feed].columns:
            if c.required:
                cond = cond | F.col(c.name).isNull()
        return cond
    col = F.col(p["column"])
    if rule.check == "allowed_values":
        return col.isNotNull() & ~col.isin(*[str(v) for v in p["values"]])
    if rule.check == "pattern":
        return col.isNotNull() & ~col.rlike(p["regex"])
    num = col.try_cast("double")
    bad = col.isNotNull() & num.isNull()
    if p.get("min") is not None:
        bad = bad | (num < p["min"])
    if p.get("max") is not None:
        bad = bad | (num > p["max"])
    return bad


def measure_rows(accepted: DataFrame, feed: str, rules: Sequence[Rule]) -> dict[str, tuple[int, int]]:
    """Accepted rows of one feed → {rule: (checked, failed)} for its row rules, in one aggregation."""
    mine = [r for r in rules if r.check in ROW_CHECKS and feed in r.feeds]
    if not mine:
        return {}
    exprs = [F.count(F.lit(1)).alias("_n")] + [
        F.sum(F.when(_row_failure(r, feed), 1).otherwise(0)).alias(f"_r{i}") for i, r in enumerate(mine)
    ]
    row = accepted.agg(*exprs).first()
    n = int(row["_n"] or 0)
    return {r.name: (n, int(row[f"_r{i}"] or 0)) for i, r in enumerate(mine)}


def measure_quarantine(
    rules: Sequence[Rule], feed: str, lines_read: int, reasons: Mapping[str, int],
) -> dict[str, tuple[int, int]]:
    """Quarantine counts by reason → {rule: (lines read, lines quarantined for the rule's reasons)}."""
    out = {}
    for r in rules:
        if r.check == "quarantined" and feed in r.feeds:
            out[r.name] = (lines_read, sum(int(reasons.get(k, 0)) for k in r.params["reasons"]))
    return out


def measure_volume(rule: Rule, current: int, history: Sequence[int]) -> tuple[int, int, str]:
    """Rows this period vs the median of the trailing periods → (checked, failed 0/1, detail)."""
    trailing = int(rule.params.get("trailing", 7))
    hist = [h for h in history if h is not None][-trailing:]
    if len(hist) < 3:
        return 1, 0, f"{current} rows; fewer than 3 earlier periods, not judged"
    median = statistics.median(hist)
    ratio = current / median if median else float("inf")
    lo, hi = float(rule.params.get("min_ratio", 0.5)), float(rule.params.get("max_ratio", 2.0))
    failed = 0 if lo <= ratio <= hi else 1
    return 1, failed, f"{current} rows vs trailing median {median:g} (ratio {ratio:.2f}, allowed {lo:g}..{hi:g})"


def result_row(rule: Rule, feed: str, period: str, checked: int, failed: int, detail: str = "") -> dict[str, Any]:
    rate = failed / checked if checked else None
    return {"rule": rule.name, "check": rule.check, "feed": feed, "period": period, "severity": rule.severity,
            "checked": int(checked), "failed": int(failed), "rate": rate,
            "passed": "yes" if rule.passes(checked, failed) else "no", "detail": detail or None}


def summary(results: Iterable[Mapping[str, Any]]) -> str:
    """A printable DQ summary: one line per rule and feed (periods added up) with counts and outcome."""
    agg: dict[tuple[str, str, str], list[Any]] = {}
    for r in results:
        key = (r["rule"], r["feed"], r["severity"])
        a = agg.setdefault(key, [0, 0, 0, 0])
        a[0] += 1
        a[1] += int(r["checked"])
        a[2] += int(r["failed"])
        a[3] += 1 if r["passed"] == "no" else 0
    lines = ["DQ summary: rule | feed | severity | periods | checked | failed | outcome"]
    for (rule, feed, sev), (n, checked, failed, bad) in sorted(agg.items()):
        outcome = "ok" if not bad else ("FAILED" if sev == "error" else f"warn ({bad} period(s))")
        lines.append(f"  {rule} | {feed} | {sev} | {n} | {checked} | {failed} | {outcome}")
    return "\n".join(lines)


def gate(results: Iterable[Mapping[str, Any]]) -> None:
    """Raise QualityGateError naming the first failed `error` rule and its count (all of them in the text)."""
    failed = [r for r in results if r["passed"] == "no" and r["severity"] == "error"]
    if failed:
        parts = [f"{r['rule']} on {r['feed']} {r['period'] or ''}".rstrip() + f": {r['failed']} of {r['checked']} failed"
                 for r in failed]
        raise QualityGateError("data-quality gate failed: " + "; ".join(parts))
