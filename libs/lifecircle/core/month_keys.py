"""Subscriber-month keys, for monthly jobs that take a range of months in one pass (`--months`).

Transforms written per subscriber (group by `subscriber_id`, windows over it, joins on it) compute every month
of a range at once when each (month, subscriber) is its own key `YYYY-MM|<subscriber_id>`: no two months
share a group, window or join key, so the result is the same as one run per month, at one job's fixed cost
(planning, code generation, Delta commits) instead of one per month.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

SEP = "|"
_SUBJECT_AT = len("YYYY-MM") + len(SEP) + 1  # 1-based position of the subscriber id in a key


def month_of(ts_or_date: Column | str) -> Column:
    """The `YYYY-MM` of a timestamp or date, in the session time zone (as silver's month partitions)."""
    return F.date_format(ts_or_date, "yyyy-MM")


def shift_month(month: Column | str, n: int) -> Column:
    """`YYYY-MM` text `n` months later (earlier when negative)."""
    m = F.col(month) if isinstance(month, str) else month
    return F.date_format(F.add_months(F.to_date(F.concat(m, F.lit("-01"))), n), "yyyy-MM")


def keyed(df: DataFrame, month: Column | str, column: str = "subscriber_id") -> DataFrame:
    """`df` with `column` replaced by the subscriber-month key of `month` (a `YYYY-MM` column or expression)."""
    m = F.col(month) if isinstance(month, str) else month
    return df.withColumn(column, F.concat(m, F.lit(SEP), F.col(column)))


def key_month(column: str = "subscriber_id") -> Column:
    """The month of a subscriber-month key."""
    return F.substring(F.col(column), 1, 7)


def key_subject(column: str = "subscriber_id") -> Column:
    """The subscriber id of a subscriber-month key."""
    return F.col(column).substr(F.lit(_SUBJECT_AT), F.length(column))


def shift_key(column: str, n: int) -> Column:
    """The key of the same subscriber `n` months later."""
    return F.concat(shift_month(key_month(column), n), F.lit(SEP), key_subject(column))


def unkeyed(df: DataFrame, column: str = "subscriber_id", *also_keyed: str) -> DataFrame:
    """`df` keyed by subscriber-month → `month` and the plain `column` first, then the other columns (those named
    in `also_keyed`, e.g. a community id that is a member's key, made plain as well)."""
    rest = [key_subject(c).alias(c) if c in also_keyed else F.col(c) for c in df.columns if c not in (column, "month")]
    return df.select(key_month(column).alias("month"), key_subject(column).alias(column), *rest)
