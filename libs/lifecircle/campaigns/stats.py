"""Group-vs-control statistics on aggregated numbers: two-proportion z-test for 0/1 outcomes, Welch's
t-test for continuous ones, each with the difference, its confidence interval and a two-sided p-value.

Inputs are per-group aggregates (n, mean, sample variance) computed by Spark; only these few numbers
reach Python, so the file or table behind them may be of any size.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy import stats as st


@dataclass(frozen=True)
class GroupAgg:
    """One group's aggregate of one outcome: n non-missing values, their mean and sample variance."""

    group: str
    n: int
    mean: float
    var: float | None = None  # sample variance (n-1); unused for binary outcomes


@dataclass(frozen=True)
class Comparison:
    outcome: str
    kind: str  # binary | continuous
    test: str
    group: str
    control: str
    n_group: int
    n_control: int
    value_group: float | None
    value_control: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    statistic: float | None
    relative_lift: float | None
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def two_proportion(outcome: str, g: GroupAgg, c: GroupAgg, confidence: float = 0.95) -> Comparison:
    """Difference of proportions: unpooled standard error for the interval, pooled for the z-test."""
    p1, p0 = g.mean, c.mean
    diff = p1 - p0
    z_q = st.norm.ppf(0.5 + confidence / 2)
    se = math.sqrt(p1 * (1 - p1) / g.n + p0 * (1 - p0) / c.n) if g.n and c.n else float("nan")
    pooled = (p1 * g.n + p0 * c.n) / (g.n + c.n) if (g.n + c.n) else float("nan")
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / g.n + 1 / c.n)) if g.n and c.n else float("nan")
    if se0 and math.isfinite(se0) and se0 > 0:
        z = diff / se0
        p = 2 * st.norm.sf(abs(z))
    else:  # both groups all-0 or all-1: no variation, no evidence of a difference
        z, p = float("nan"), (1.0 if diff == 0 else float("nan"))
    return Comparison(
        outcome, "binary", "two-proportion z-test", g.group, c.group, g.n, c.n, _finite(p1), _finite(p0),
        _finite(diff), _finite(diff - z_q * se), _finite(diff + z_q * se), _finite(p), _finite(z),
        _finite(diff / p0) if p0 else None, confidence,
    )


def welch(outcome: str, g: GroupAgg, c: GroupAgg, confidence: float = 0.95) -> Comparison:
    """Difference of means with Welch's unequal-variance t-test and Welch–Satterthwaite degrees of freedom."""
    diff = g.mean - c.mean
    v1, v0 = (g.var or 0.0) / g.n if g.n else float("nan"), (c.var or 0.0) / c.n if c.n else float("nan")
    se = math.sqrt(v1 + v0) if math.isfinite(v1 + v0) else float("nan")
    if g.n > 1 and c.n > 1 and se > 0:
        dof = (v1 + v0) ** 2 / (v1**2 / (g.n - 1) + v0**2 / (c.n - 1))
        t = diff / se
        p = 2 * st.t.sf(abs(t), dof)
        q = st.t.ppf(0.5 + confidence / 2, dof)
        low, high = diff - q * se, diff + q * se
    else:
        t = p = low = high = float("nan")
    return Comparison(
        outcome, "continuous", "Welch t-test", g.group, c.group, g.n, c.n, _finite(g.mean), _finite(c.mean),
        _finite(diff), _finite(low), _finite(high), _finite(p), _finite(t),
        _finite(diff / c.mean) if c.mean else None, confidence,
    )


def compare(outcome: str, kind: str, groups: list[GroupAgg], control: str,
            confidence: float = 0.95) -> list[Comparison]:
    """Every non-control group against the control group for one outcome (binary or continuous)."""
    by_name = {g.group: g for g in groups}
    if control not in by_name:
        raise ValueError(f"control group {control!r} not among groups {sorted(by_name)}")
    c = by_name[control]
    test = two_proportion if kind == "binary" else welch
    return [test(outcome, g, c, confidence) for name, g in sorted(by_name.items()) if name != control]
