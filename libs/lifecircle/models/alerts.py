"""Early-warning rules beside the model (seeds 001, 003): configurable SQL conditions over panorama
columns with graded levels (the first level that holds wins), one alert row per subscriber and rule.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lifecircle.core.config import config_expr
from lifecircle.core.errors import ConfigError

ALERTS_SCHEMA = T.StructType([
    T.StructField("subscriber_id", T.StringType(), False),
    T.StructField("month", T.StringType(), False),
    T.StructField("rule", T.StringType(), False),
    T.StructField("level", T.StringType(), False),
    T.StructField("level_rank", T.IntegerType(), False),
    T.StructField("family", T.StringType(), True),
    T.StructField("description", T.StringType(), True),
])


def _level_expr(df: DataFrame, levels: dict[str, str], rule: str):
    expr = None
    for level, cond in levels.items():
        c = F.coalesce(config_expr(df, cond, f"churn.alerts.rules.{rule}.levels.{level}"), F.lit(False))
        expr = F.when(c, F.lit(level)) if expr is None else expr.when(c, F.lit(level))
    if expr is None:
        raise ConfigError(f"churn.alerts.rules.{rule}: no levels")
    return expr


def missing_columns(df: DataFrame, rules: dict[str, Any]) -> dict[str, str]:
    """Rules whose SQL names columns `df` lacks: rule -> the analyser's one-line reason."""
    bad = {}
    for rule, r in rules.items():
        for cond in r["levels"].values():
            try:
                _ = df.select(F.expr(cond)).schema  # analysis only, no job
            except Exception as exc:
                bad[rule] = (str(exc).strip().splitlines() or [""])[0][:200]
                break
    return bad


def evaluate_alerts(panorama: DataFrame, rules: dict[str, Any], level_rank: dict[str, int]) -> DataFrame:
    """Panorama rows (subscriber_id, month, the rules' columns) in; one row per triggered rule out
    (ALERTS_SCHEMA): the highest level whose condition holds."""
    if not rules:
        return panorama.sparkSession.createDataFrame([], ALERTS_SCHEMA)
    hits = F.array(*[
        F.struct(F.lit(rule).alias("rule"), _level_expr(panorama, r["levels"], rule).alias("level"),
                 F.lit(r.get("family")).cast("string").alias("family"),
                 F.lit(r.get("description")).cast("string").alias("description"))
        for rule, r in rules.items()])
    ranks = F.create_map(*[x for k, v in level_rank.items() for x in (F.lit(k), F.lit(int(v)))])
    out = (panorama.select("subscriber_id", "month", F.explode(hits).alias("a"))
           .where(F.col("a.level").isNotNull())
           .select("subscriber_id", "month", "a.rule", "a.level",
                   F.coalesce(ranks[F.col("a.level")], F.lit(0)).cast("int").alias("level_rank"),
                   "a.family", "a.description"))
    return out
