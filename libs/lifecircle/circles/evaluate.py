"""Life circles against the generator's planted truth (`<data>/truth/subscribers`, keyed by raw msisdn):
precision, recall and F1 per circle and for home and work cell. Truth is read only here and in reports."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.core.periods import month_bounds
from lifecircle.core.spark import reuse
from lifecircle.ingest.privacy import pseudonymise

# truth circle name → the (category, tag) pairs of ours that claim it
CIRCLE_TAGS: dict[str, tuple[tuple[str, str], ...]] = {
    "student": (("demographic", "student"),),
    "white_collar": (("demographic", "white_collar"),),
    "worker": (("demographic", "worker"),),
    "civil_servant": (("demographic", "civil_servant"),),
    "parent": (("demographic", "parent"),),
    "subway_commuter": (("behaviour", "subway_commuter"),),
    "health_need": (("need", "health"),),
    "film_lover": (("preference", "film"),),
}
EVENT_TAGS = (("preference", "music"), ("preference", "sports"), ("preference", "industry"))
METRICS_SCHEMA = "circle string, tp long, fp long, fn long, precision double, recall double, f1 double"


def active_tags(tags: DataFrame, month: str) -> DataFrame:
    """Tag store rows still valid in `month` (month ≤ it ≤ valid_month): what a campaign would see."""
    return tags.where((F.col("month") <= month) & (F.col("valid_month") >= month))


def truth_for_month(truth: DataFrame, month: str, key: bytes) -> DataFrame:
    """Truth subscribers (msisdn, home_cell, moved_home_cell, move_date, work_cell, circles, event_genre) →
    subscriber_id and the home expected for `month` (the new home once the move covers most of it)."""
    start, end = month_bounds(month)
    mid = start.replace(day=16)
    moved = F.col("move_date").isNotNull() & (F.col("move_date").cast("date") < F.lit(mid))
    return truth.select(
        pseudonymise("msisdn", key).alias("subscriber_id"),
        F.when(moved, F.col("moved_home_cell")).otherwise(F.col("home_cell")).alias("true_home"),
        F.col("work_cell").alias("true_work"), F.col("circles").alias("true_circles"),
        F.col("event_genre").alias("true_genre"),
    )


def _prf(df: DataFrame, name: str, predicted: F.Column, actual: F.Column, correct: F.Column) -> DataFrame:
    tp = F.sum(F.when(predicted & actual & correct, 1).otherwise(0))
    fp = F.sum(F.when(predicted & ~(actual & correct), 1).otherwise(0))
    fn = F.sum(F.when(actual & ~(predicted & correct), 1).otherwise(0))
    return df.agg(tp.cast("long").alias("tp"), fp.cast("long").alias("fp"), fn.cast("long").alias("fn")).select(
        F.lit(name).alias("circle"), "tp", "fp", "fn",
        F.round(F.col("tp") / F.nullif(F.col("tp") + F.col("fp"), F.lit(0)), 4).alias("precision"),
        F.round(F.col("tp") / F.nullif(F.col("tp") + F.col("fn"), F.lit(0)), 4).alias("recall"),
        F.round(2 * F.col("tp") / F.nullif(2 * F.col("tp") + F.col("fp") + F.col("fn"), F.lit(0)), 4).alias("f1"),
    )


def evaluate_month(features: DataFrame, tags: DataFrame, truth: DataFrame, month: str, key: bytes,
                   genres: tuple[str, ...] = ()) -> DataFrame:
    """gold.circle_features and gold.tags (all months so far) + truth → METRICS_SCHEMA rows for `month`.

    Only subscribers seen in the month are scored (a churned subscriber has no signalling to find).
    Circle tags count while valid (tags.validity_months), as campaigns use them.
    """
    feats = features.where(F.col("month") == month).select("subscriber_id", "home_cell", "work_cell")
    act = active_tags(tags, month)
    aggs = []
    for circle, pairs in CIRCLE_TAGS.items():
        cond = F.lit(False)
        for c, t in pairs:
            cond = cond | ((F.col("category") == c) & (F.col("tag") == t))
        aggs.append(F.max(cond).alias(f"p_{circle}"))
    ev = F.lit(False)
    for c, t in EVENT_TAGS:
        ev = ev | ((F.col("category") == c) & (F.col("tag") == t))
    aggs.append(F.array_distinct(F.collect_list(F.when(ev, F.split("value", ":").getItem(0)))).alias("p_genres"))
    pred = act.groupBy("subscriber_id").agg(*aggs)
    df = reuse(feats.join(truth_for_month(truth, month, key), "subscriber_id", "left")
               .join(pred, "subscriber_id", "left"))
    parts = [
        _prf(df, "home_cell", F.col("home_cell").isNotNull(), F.col("true_home").isNotNull(),
             F.coalesce(F.col("home_cell") == F.col("true_home"), F.lit(False))),
        _prf(df, "work_cell", F.col("work_cell").isNotNull(), F.col("true_work").isNotNull(),
             F.coalesce(F.col("work_cell") == F.col("true_work"), F.lit(False))),
    ]
    for circle in CIRCLE_TAGS:
        parts.append(_prf(df, circle, F.coalesce(F.col(f"p_{circle}"), F.lit(False)),
                          F.coalesce(F.array_contains("true_circles", circle), F.lit(False)), F.lit(True)))
    got_genres = F.coalesce(F.col("p_genres"), F.array().cast("array<string>"))
    parts.append(_prf(df, "event_goer", F.size(got_genres) > 0, F.col("true_genre").isNotNull(), F.lit(True)))
    for g in genres:
        parts.append(_prf(df, f"event_{g}", F.array_contains(got_genres, g),
                          F.coalesce(F.col("true_genre") == g, F.lit(False)), F.lit(True)))
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    return out
