"""Months and days as the jobs see them: `YYYY-MM` strings, ranges and offsets."""

from __future__ import annotations

import datetime as dt
import re

from lifecircle.core.errors import ConfigError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> dt.date:
    """`2026-10` → date(2026, 10, 1); a clear error otherwise."""
    m = _MONTH.match(text or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ConfigError(f"month {text!r} must look like YYYY-MM (e.g. 2026-10)")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def fmt_month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(month: str, n: int) -> str:
    d = parse_month(month)
    index = d.year * 12 + d.month - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(spec: str) -> list[str]:
    """`2026-04:2026-10` → every month from the first to the last inclusive; `2026-10` → that month."""
    first, _, last = spec.partition(":")
    last = last or first
    if parse_month(last) < parse_month(first):
        raise ConfigError(f"month range {spec!r} ends before it starts")
    out, m = [], first
    while m != last:
        out.append(m)
        m = add_months(m, 1)
    out.append(last)
    return out


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First day of the month and first day of the next month (a half-open interval)."""
    return parse_month(month), parse_month(add_months(month, 1))


def days_of_month(month: str) -> list[dt.date]:
    start, end = month_bounds(month)
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"date {text!r} must look like YYYY-MM-DD") from exc
