"""Deterministic randomness as Spark expressions: hashes of (seed, keys, tag), independent of partitioning."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

_SCALE = 1 << 53


def _key(seed: int, tag: str, keys: Sequence[Column | str | int]) -> list[Column]:
    cols = [F.lit(int(seed)), F.lit(tag)]
    for k in keys:
        cols.append(F.col(k) if isinstance(k, str) else (F.lit(k) if isinstance(k, int) else k))
    return cols


def uniform(seed: int, tag: str, *keys: Column | str | int) -> Column:
    """A uniform double in [0, 1) from xxhash64(seed, tag, keys): the same keys give the same draw."""
    return F.pmod(F.xxhash64(*_key(seed, tag, keys)), F.lit(_SCALE)).cast("double") / float(_SCALE)


def below(seed: int, tag: str, n: Column | int, *keys: Column | str | int) -> Column:
    """A uniform integer in [0, n) (n a column or int)."""
    nn = F.lit(n) if isinstance(n, int) else n
    return F.pmod(F.xxhash64(*_key(seed, tag, keys)), nn.cast("long"))


def normal(seed: int, tag: str, *keys: Column | str | int) -> Column:
    """A standard normal draw (Box–Muller on two hashed uniforms)."""
    u1 = F.greatest(uniform(seed, tag + ":a", *keys), F.lit(1e-12))
    u2 = uniform(seed, tag + ":b", *keys)
    return F.sqrt(-2.0 * F.log(u1)) * F.cos(2.0 * math.pi * u2)


def pick(values: Sequence, index: Column) -> Column:
    """values[index] as an expression (index 0-based), for small literal lists."""
    return F.element_at(F.array(*[F.lit(v) for v in values]), (index + 1).cast("int"))


def weighted(values: Sequence, weights: Sequence[float], u: Column) -> Column:
    """values[i] where u in [0,1) falls into the i-th cumulative weight band."""
    total = float(sum(weights))
    expr, acc = None, 0.0
    for v, w in zip(values[:-1], weights[:-1], strict=False):
        acc += w / total
        expr = F.when(u < acc, F.lit(v)) if expr is None else expr.when(u < acc, F.lit(v))
    last = F.lit(values[-1])
    return last if expr is None else expr.otherwise(last)


def pad(col: Column, width: int) -> Column:
    return F.lpad(col.cast("string"), width, "0")
