"""Found communities and leaders against the generator's planted truth: NMI, adjusted Rand, leader recall and
contagion shares of planted contagion churners vs the rest (evaluation only; the pipeline never reads truth)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.ingest.privacy import pseudonymise


def _comb2(n: float) -> float:
    return n * (n - 1) / 2.0


def partition_scores(contingency: Iterable[tuple[object, object, int]]) -> dict[str, float]:
    """(found label, true label, count) rows of the contingency table → nmi (arithmetic mean normalisation,
    as scikit-learn's default) and ari."""
    cells = [(a, b, int(n)) for a, b, n in contingency if n]
    total = sum(n for *_, n in cells)
    if total == 0:
        return {"nmi": float("nan"), "ari": float("nan"), "n": 0}
    rows: dict[object, int] = {}
    cols: dict[object, int] = {}
    for a, b, n in cells:
        rows[a] = rows.get(a, 0) + n
        cols[b] = cols.get(b, 0) + n
    mi = sum(n / total * math.log(n * total / (rows[a] * cols[b])) for a, b, n in cells)
    h_a = -sum(r / total * math.log(r / total) for r in rows.values())
    h_b = -sum(c / total * math.log(c / total) for c in cols.values())
    nmi = 1.0 if h_a == h_b == 0 else (mi / ((h_a + h_b) / 2) if h_a + h_b > 0 else 0.0)
    index = sum(_comb2(n) for *_, n in cells)
    sum_a = sum(_comb2(r) for r in rows.values())
    sum_b = sum(_comb2(c) for c in cols.values())
    expected = sum_a * sum_b / _comb2(total) if total > 1 else 0.0
    max_index = (sum_a + sum_b) / 2
    ari = 1.0 if max_index == expected else (index - expected) / (max_index - expected)
    return {"nmi": nmi, "ari": ari, "n": total}


def truth_ids(truth_subscribers: DataFrame, key: bytes) -> DataFrame:
    """truth/subscribers (msisdn, community_id, is_leader, churn_month, churn_cause) → keyed by subscriber_id."""
    return truth_subscribers.select(
        pseudonymise("msisdn", key).alias("subscriber_id"), F.col("community_id").cast("string").alias("true_community"),
        "is_leader", "churn_month", "churn_cause",
    )


def compare_with_truth(features: DataFrame, leaders: DataFrame, truth: DataFrame, month: str) -> dict[str, float]:
    """gold.social_features + gold.leaders of `month` + truth_ids(...) → nmi, ari (subscribers in both), leader
    recall (planted leaders still subscribed, found among gold.leaders), contagion_share_3m of planted contagion
    churners vs the rest."""
    f = features.where(F.col("month") == month).select("subscriber_id", "community_id", "contagion_share_3m")
    joined = f.join(truth, "subscriber_id")
    table = joined.where(F.col("community_id").isNotNull()).groupBy("community_id", "true_community").count().collect()  # ok: contingency table: communities x planted communities
    scores = partition_scores((r[0], r[1], r[2]) for r in table)
    found = leaders.where(F.col("month") == month).select("subscriber_id", F.lit(True).alias("_found"))
    # planted leaders still subscribed at the month's end (a leader who churned has no ties left to find)
    staying = F.col("churn_month").isNull() | (F.col("churn_month") > month)
    lead = (truth.where(F.col("is_leader") & staying).join(f.select("subscriber_id"), "subscriber_id")
            .join(found, "subscriber_id", "left"))
    lr = lead.agg(F.count("*").alias("n"), F.count("_found").alias("hit")).first()
    contagion = joined.withColumn(
        "_planted", F.coalesce((F.col("churn_cause") == "contagion") & (F.col("churn_month") > month), F.lit(False))
    ).groupBy("_planted").agg(F.avg("contagion_share_3m").alias("share")).collect()  # ok: two rows
    shares = {bool(r["_planted"]): float(r["share"] or 0.0) for r in contagion}
    return {
        **scores,
        "planted_leaders": int(lr["n"]), "leader_recall": (lr["hit"] / lr["n"]) if lr["n"] else float("nan"),
        "contagion_share_planted": shares.get(True, float("nan")),
        "contagion_share_rest": shares.get(False, float("nan")),
    }
