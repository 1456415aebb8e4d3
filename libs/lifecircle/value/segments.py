"""Segmentation (客户细分, seed 000 / 001 / 003): k-means on standardised behaviour variables and,
separately, on value variables; k chosen by silhouette in a configured range; the two combine into
strategic segments. Each segment gets a profile (size, means vs the population, distinguishing
features) and a readable name derived from it; ids stay stable from month to month by matching this
month's centroids to last month's; a chosen segment is split again into sub-segments (two-level drill-down).

Spark does the heavy parts (scaling, k-means, silhouette, group means); the driver handles only k rows of
centroids and profiles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.clustering import KMeans
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import StandardScaler, VectorAssembler
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DoubleType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
)

from lifecircle.core.errors import ConfigError, InputError
from lifecircle.core.spark import reuse

PROFILE_SCHEMA = StructType([
    StructField("level", StringType(), False), StructField("segment_id", StringType(), False),
    StructField("name", StringType(), False), StructField("size", LongType(), False),
    StructField("share", DoubleType(), False), StructField("means", MapType(StringType(), DoubleType()), False),
    StructField("population_means", MapType(StringType(), DoubleType()), False),
    StructField("z_scores", MapType(StringType(), DoubleType()), False),
    StructField("distinguishing", ArrayType(StringType()), False), StructField("parent", StringType(), True),
])
MAPPING_SCHEMA = StructType([
    StructField("level", StringType(), False), StructField("cluster", IntegerType(), False),
    StructField("segment_id", IntegerType(), False), StructField("prev_month", StringType(), True),
    StructField("distance", DoubleType(), True), StructField("matched", BooleanType(), False),
])


def select_vars(panorama: DataFrame, exprs: Mapping[str, str], subscriber_id: str = "subscriber_id") -> DataFrame:
    """gold.panorama + {name: SQL expression} → subscriber_id and one double column per name (nulls → 0)."""
    if not exprs:
        raise ConfigError("segmentation: no variables configured")
    try:
        df = panorama.select(F.col(subscriber_id).alias("subscriber_id"),
                             *[F.expr(e).cast("double").alias(n) for n, e in exprs.items()])
    except Exception as exc:  # AnalysisException: name the config, not a stack of Spark internals
        raise InputError(f"segmentation: a configured variable does not resolve on the panorama: "
                         f"{str(exc).splitlines()[0][:300]}") from exc
    return df.fillna(0.0, subset=list(exprs))


def resolvable(panorama: DataFrame, exprs: Mapping[str, str]) -> dict[str, str]:
    """The {name: SQL expression} entries whose columns exist on this panorama: optional variables over the
    left-joined life-circle (`lc_*`) and social (`sn_*`) columns, which exist only once those jobs have run."""
    out: dict[str, str] = {}
    for name, expr in exprs.items():
        try:
            panorama.select(F.expr(expr)).schema  # noqa: B018  (analysis only, no Spark job)
        except Exception:  # AnalysisException: a column of an optional family is absent
            continue
        out[name] = expr
    return out


@dataclass
class ClusterFit:
    """One clustering: the fitted pipeline (assembler → scaler → k-means), k, silhouettes by k, assignments."""

    model: PipelineModel
    k: int
    silhouettes: dict[int, float]
    assignments: DataFrame  # subscriber_id, cluster


def fit_clusters(df: DataFrame, variables: Sequence[str], log_vars: Sequence[str] = (), k_min: int = 2,
                 k_max: int = 8, seed: int = 7, max_iter: int = 20, parallel_fits: int = 1) -> ClusterFit:
    """(subscriber_id, variables…) → k-means on log1p/standardised variables, k by best silhouette in [k_min, k_max].

    The k's are fitted `parallel_fits` at a time (independent Spark jobs in one session: each fit is ~20 small
    jobs whose latency overlaps); the choice is the same as fitting them one after the other."""
    missing = [v for v in variables if v not in df.columns]
    if missing:
        raise InputError(f"segmentation: frame lacks variable column(s) {missing}")
    if k_min < 2 or k_max < k_min:
        raise ConfigError(f"segmentation: k range [{k_min}, {k_max}] must have 2 <= k_min <= k_max")
    xcols = [f"x_{v}" for v in variables]
    feats = df.select("subscriber_id", *[
        (F.log1p(F.greatest(F.col(v), F.lit(0.0))) if v in log_vars else F.col(v)).alias(f"x_{v}") for v in variables])
    prep = Pipeline(stages=[
        VectorAssembler(inputCols=xcols, outputCol="raw_features"),
        # unit variance only: k-means and silhouette are translation invariant, and centring would fail on the
        # sparse vectors VectorAssembler emits for mostly-zero rows (zero users)
        StandardScaler(inputCol="raw_features", outputCol="features", withMean=False, withStd=True),
    ]).fit(feats)
    x = reuse(prep.transform(feats).select("subscriber_id", "features"))
    n = x.count()
    if n <= k_min:
        raise InputError(f"segmentation: {n} subscribers cannot form {k_min} clusters")
    def fit_k(k: int) -> tuple[int, float | None, Any]:
        km = KMeans(k=k, seed=seed, maxIter=max_iter, featuresCol="features", predictionCol="cluster", initSteps=2)
        m = km.fit(x)
        if m.summary.k < 2:  # fewer distinct points than k: k-means collapsed, no silhouette to compare
            return k, None, m
        evaluator = ClusteringEvaluator(featuresCol="features", predictionCol="cluster")
        return k, float(evaluator.evaluate(m.transform(x))), m

    ks = list(range(k_min, min(k_max, n - 1) + 1))
    with ThreadPoolExecutor(max_workers=max(1, parallel_fits), thread_name_prefix="kmeans") as pool:
        fits = list(pool.map(fit_k, ks))
    best: tuple[int, float, Any] | None = None
    sil: dict[int, float] = {}
    for k, s, m in fits:  # in k order, as one after the other
        if s is None:
            continue
        sil[k] = s
        if best is None or s > best[1] + 1e-9:
            best = (k, s, m)
    if best is None:
        raise InputError(f"segmentation: the {n} subscribers' variables {list(variables)} do not form two clusters")
    model = PipelineModel(stages=[*prep.stages, best[2]])
    assign = best[2].transform(x).select("subscriber_id", F.col("cluster").cast("int").alias("cluster"))
    return ClusterFit(model=model, k=best[0], silhouettes=sil, assignments=assign)


def group_stats(df: DataFrame, group_col: str, variables: Sequence[str]) -> tuple[dict[Any, dict[str, float]],
                                                                                 dict[Any, int]]:
    """(group_col, variables…) → per group {variable: mean} and sizes, on the driver (k rows)."""
    rows = df.groupBy(group_col).agg(F.count(F.lit(1)).alias("_n"), *[F.avg(v).alias(v) for v in variables]).collect()  # ok: one row per cluster
    return ({r[group_col]: {v: float(r[v] or 0.0) for v in variables} for r in rows},
            {r[group_col]: int(r["_n"]) for r in rows})


def population_stats(df: DataFrame, variables: Sequence[str]) -> tuple[dict[str, float], dict[str, float]]:
    """variables → population means and standard deviations (population std; 0 for a constant)."""
    r = df.agg(*[F.avg(v).alias(f"m_{v}") for v in variables],
               *[F.stddev_pop(v).alias(f"s_{v}") for v in variables]).first()
    assert r is not None
    return ({v: float(r[f"m_{v}"] or 0.0) for v in variables}, {v: float(r[f"s_{v}"] or 0.0) for v in variables})


def stable_ids(cur: Mapping[int, Mapping[str, float]], sizes: Mapping[int, int],
               prev: Mapping[int, Mapping[str, float]] | None, scale: Mapping[str, float],
               max_distance: float = math.inf) -> dict[int, tuple[int, float | None, bool]]:
    """Cluster → (stable segment id, distance to the matched previous centroid, matched?).

    Without a previous month, ids are 1..k by size (largest first). Otherwise the closest pairs of current and
    previous centroids (means in original units, distance in this month's standard deviations) are matched
    greedily; unmatched clusters get new ids after the largest previous one.
    """
    variables = list(scale)
    if not prev:
        order = sorted(cur, key=lambda c: (-sizes.get(c, 0), c))
        return {c: (i + 1, None, False) for i, c in enumerate(order)}

    def dist(a: Mapping[str, float], b: Mapping[str, float]) -> float:
        return math.sqrt(sum(((a[v] - b.get(v, 0.0)) / (scale[v] or 1.0)) ** 2 for v in variables))

    pairs = sorted((dist(cur[c], prev[p]), c, p) for c in cur for p in prev)
    out: dict[int, tuple[int, float | None, bool]] = {}
    used: set[int] = set()
    for d, c, p in pairs:
        if c in out or p in used or d > max_distance:
            continue
        out[c] = (p, d, True)
        used.add(p)
    nxt = max(prev) + 1
    for c in sorted(cur, key=lambda c: (-sizes.get(c, 0), c)):
        if c not in out:
            out[c] = (nxt, None, False)
            nxt += 1
    return out


def z_scores(means: Mapping[str, float], pop_means: Mapping[str, float], pop_std: Mapping[str, float]) -> dict[str, float]:
    return {v: ((means[v] - pop_means[v]) / pop_std[v]) if pop_std[v] > 0 else 0.0 for v in means}


def segment_name(z: Mapping[str, float], labels: Mapping[str, Sequence[str]] | None = None, threshold: float = 0.5,
                 max_traits: int = 2) -> str:
    """z-scores of a segment's means → a readable name of its strongest traits, e.g. "heavy data, low voice"."""
    labels = labels or {}
    traits = sorted(((abs(v), k, v) for k, v in z.items() if abs(v) >= threshold), key=lambda t: (-t[0], t[1]))
    words = []
    for _, k, v in traits[:max_traits]:
        pair = labels.get(k) or (f"low {k}", f"heavy {k}")
        low, high = pair[0], pair[1]
        words.append(high if v > 0 else low)
    return ", ".join(words) if words else "average"


@dataclass
class LevelResult:
    """One level of segmentation: assignments with stable ids, profiles and the month-to-month mapping."""

    fit: ClusterFit
    ids: dict[int, tuple[int, float | None, bool]]
    names: dict[int, str]
    profiles: list[dict[str, Any]] = field(default_factory=list)
    population: tuple[dict[str, float], dict[str, float]] = field(default_factory=lambda: ({}, {}))  # means, stds


def profile_rows(level: str, means: Mapping[Any, Mapping[str, float]], sizes: Mapping[Any, int],
                 pop_means: Mapping[str, float], pop_std: Mapping[str, float],
                 names: Mapping[Any, str], threshold: float, parent: str | None = None) -> list[dict[str, Any]]:
    """Per segment: size, share, means, population means, z-scores, distinguishing features (|z| ≥ threshold)."""
    total = sum(sizes.values()) or 1
    rows = []
    for seg, m in sorted(means.items(), key=lambda kv: str(kv[0])):
        z = z_scores(m, pop_means, pop_std)
        dist = [k for _, k in sorted(((-abs(v), k) for k, v in z.items() if abs(v) >= threshold))]
        rows.append({
            "level": level, "segment_id": str(seg), "name": names[seg], "size": int(sizes[seg]),
            "share": sizes[seg] / total, "means": dict(m), "population_means": dict(pop_means),
            "z_scores": z, "distinguishing": dist, "parent": parent,
        })
    return rows


def segment_level(df: DataFrame, level: str, variables: Sequence[str], params: Mapping[str, Any],
                  prev_means: Mapping[int, Mapping[str, float]] | None = None,
                  labels: Mapping[str, Sequence[str]] | None = None) -> LevelResult:
    """(subscriber_id, variables…) → clusters with stable ids (vs `prev_means`), names and profiles for one level."""
    fit = fit_clusters(df, variables, [v for v in params.get("log_transform", []) if v in variables],
                       int(params.get("k_min", 2)), int(params.get("k_max", 8)), int(params.get("seed", 7)),
                       int(params.get("max_iter", 20)), int(params.get("parallel_fits", 1)))
    joined = fit.assignments.join(df, "subscriber_id")
    means, sizes = group_stats(joined, "cluster", variables)
    pop_means, pop_std = population_stats(df, variables)
    ids = stable_ids(means, sizes, prev_means, pop_std, float(params.get("max_match_distance", math.inf)))
    thr, n_traits = float(params.get("name_threshold", 0.5)), int(params.get("name_features", 2))
    names = {c: segment_name(z_scores(means[c], pop_means, pop_std), labels, thr, n_traits) for c in means}
    by_id_means = {ids[c][0]: means[c] for c in means}
    by_id_sizes = {ids[c][0]: sizes[c] for c in means}
    by_id_names = {ids[c][0]: names[c] for c in means}
    profiles = profile_rows(level, by_id_means, by_id_sizes, pop_means, pop_std, by_id_names, thr)
    return LevelResult(fit=fit, ids=ids, names=names, profiles=profiles, population=(pop_means, pop_std))


def id_frame(spark_df: DataFrame, result: LevelResult, prefix: str) -> DataFrame:
    """A small frame cluster → `<prefix>_segment` (stable id) and `<prefix>_name`, to join onto assignments."""
    rows = [(c, sid, result.names[c]) for c, (sid, _, _) in result.ids.items()]
    return spark_df.sparkSession.createDataFrame(
        rows, f"cluster int, {prefix}_segment int, {prefix}_name string")


def mapping_rows(level: str, result: LevelResult, prev_month: str | None) -> list[tuple]:
    return [(level, int(c), int(sid), prev_month, d, bool(m)) for c, (sid, d, m) in sorted(result.ids.items())]


INACTIVE_SEGMENT = 0  # behaviour segment of subscribers outside the behaviour population (k-means ids start at 1)


def combine(df: DataFrame, behaviour: LevelResult, value: LevelResult,
            inactive_name: str = "inactive") -> DataFrame:
    """(subscriber_id, …) + both levels → subscriber_id, behaviour/value segment ids and names, strategic segment.
    Subscribers the behaviour level did not cluster (outside its population) get behaviour segment 0."""
    b = behaviour.fit.assignments.join(F.broadcast(id_frame(df, behaviour, "behaviour")), "cluster").drop("cluster")
    v = value.fit.assignments.join(F.broadcast(id_frame(df, value, "value")), "cluster").drop("cluster")
    out = v.join(b, "subscriber_id", "left").select(
        "subscriber_id", F.coalesce("behaviour_segment", F.lit(INACTIVE_SEGMENT)).alias("behaviour_segment"),
        F.coalesce("behaviour_name", F.lit(inactive_name)).alias("behaviour_name"), "value_segment", "value_name")
    return out.withColumns({
        "strategic_segment": F.format_string("B%d-V%d", "behaviour_segment", "value_segment"),
        "strategic_name": F.concat_ws(" | ", "behaviour_name", "value_name"),
    })


def strategic_profiles(seg: DataFrame, df: DataFrame, variables: Sequence[str], threshold: float) -> list[dict[str, Any]]:
    """Profiles of the strategic segments (behaviour × value) over all variables."""
    joined = seg.select("subscriber_id", "strategic_segment", "strategic_name").join(df, "subscriber_id")
    means, sizes = group_stats(joined, "strategic_segment", variables)
    names = {r["strategic_segment"]: r["strategic_name"]
             for r in joined.select("strategic_segment", "strategic_name").distinct().collect()}  # ok: one row per segment
    pop_means, pop_std = population_stats(df, variables)
    return profile_rows("strategic", means, sizes, pop_means, pop_std, names, threshold)


def sub_segments(seg: DataFrame, df: DataFrame, of: str, variables: Sequence[str], params: Mapping[str, Any],
                 labels: Mapping[str, Sequence[str]] | None = None) -> tuple[DataFrame, list[dict[str, Any]], str]:
    """Second level inside one strategic segment (`of` = its id or "largest") → (subscriber_id, sub_segment), profiles
    (means vs the parent segment), and the parent id. Sub ids are `<parent>.<n>`, n by size."""
    if of == "largest":
        top = seg.groupBy("strategic_segment").count().orderBy(F.desc("count"), "strategic_segment").first()
        if top is None:
            raise InputError("segmentation: no subscribers to sub-segment")
        of = top["strategic_segment"]
    members = df.join(seg.filter(F.col("strategic_segment") == of).select("subscriber_id"), "subscriber_id")
    sub_params = {**params, **{k: v for k, v in (params.get("sub_segment") or {}).items() if k != "of"}}
    res = segment_level(members, "sub", variables, sub_params, None, labels)
    rows = [(c, f"{of}.{sid}", res.names[c]) for c, (sid, _, _) in res.ids.items()]
    ids = df.sparkSession.createDataFrame(rows, "cluster int, sub_segment string, sub_name string")
    assign = res.fit.assignments.join(F.broadcast(ids), "cluster").select("subscriber_id", "sub_segment", "sub_name")
    profiles = [dict(p, segment_id=f"{of}.{p['segment_id']}", parent=of) for p in res.profiles]
    return assign, profiles, of


def adjusted_rand_index(pairs: DataFrame, truth_col: str, pred_col: str) -> float:
    """(truth label, predicted label) rows → adjusted Rand index, from the contingency table (small on the driver)."""
    cont = [(r[truth_col], r[pred_col], int(r["n"]))
            for r in pairs.groupBy(truth_col, pred_col).agg(F.count(F.lit(1)).alias("n")).collect()]  # ok: contingency table: clusters x groups
    n = sum(c for _, _, c in cont)
    if n < 2:
        return float("nan")

    def c2(x: int) -> float:
        return x * (x - 1) / 2

    a: dict[Any, int] = {}
    b: dict[Any, int] = {}
    for t, p, c in cont:
        a[t] = a.get(t, 0) + c
        b[p] = b.get(p, 0) + c
    index = sum(c2(c) for _, _, c in cont)
    sa, sb = sum(c2(x) for x in a.values()), sum(c2(x) for x in b.values())
    expected = sa * sb / c2(n)
    top = (sa + sb) / 2
    return 1.0 if top == expected else (index - expected) / (top - expected)


def prev_means(profiles: DataFrame | None, level: str) -> dict[int, dict[str, float]] | None:
    """gold.segment_profiles rows of the previous month → {segment id: means} of one level (None if absent)."""
    if profiles is None:
        return None
    rows = profiles.filter(F.col("level") == level).select("segment_id", "means").collect()  # ok: one row per segment
    # the fixed inactive behaviour segment is never a k-means cluster to match
    return {int(r["segment_id"]): dict(r["means"]) for r in rows
            if not (level == "behaviour" and int(r["segment_id"]) == INACTIVE_SEGMENT)} or None


@dataclass
class Segmentation:
    """A month's segmentation: assignments, profiles and mapping frames, and the fitted levels."""

    segments: DataFrame
    profiles: DataFrame
    mapping: DataFrame
    levels: dict[str, LevelResult]


def segment_population(panorama: DataFrame, section: Mapping[str, Any], prev_profiles: DataFrame | None = None,
                       prev_month: str | None = None, subscriber_id: str = "subscriber_id") -> Segmentation:
    """gold.panorama (one month) + value.segment config [+ last month's profiles] → segments, profiles, mapping."""
    behaviour_vars = dict(section.get("behaviour") or {})
    value_vars = dict(section.get("value") or {})
    labels = dict(section.get("labels") or {})
    population = section.get("behaviour_population")
    inactive_name = str(section.get("inactive_name", "inactive"))
    flag = {"_behaviour_member": population} if population else {}
    df = reuse(select_vars(panorama, {**behaviour_vars, **value_vars, **flag}, subscriber_id))
    members = df.where(F.col("_behaviour_member") > 0) if population else df
    b = segment_level(members, "behaviour", list(behaviour_vars), section, prev_means(prev_profiles, "behaviour"),
                      labels)
    v = segment_level(df, "value", list(value_vars), section, prev_means(prev_profiles, "value"), labels)
    seg = reuse(combine(df, b, v, inactive_name))
    thr = float(section.get("name_threshold", 0.5))
    profiles = b.profiles + v.profiles + strategic_profiles(seg, df, [*behaviour_vars, *value_vars], thr)
    if population:  # the behaviour segment of everyone outside the population, profiled against the members
        rest = df.where(F.col("_behaviour_member") <= 0)
        means, sizes = group_stats(rest.withColumn("_s", F.lit(INACTIVE_SEGMENT)), "_s", list(behaviour_vars))
        if sizes:
            pop_means, pop_std = b.population  # the members' statistics, already computed by the behaviour level
            profiles += profile_rows("behaviour", means, sizes, pop_means, pop_std, {INACTIVE_SEGMENT: inactive_name},
                                     thr)
        everyone = sum(int(p["size"]) for p in v.profiles) or 1
        profiles = [dict(p, share=p["size"] / everyone) if p["level"] == "behaviour" else p for p in profiles]
    sub_cfg = section.get("sub_segment") or {}
    if sub_cfg.get("of"):
        clustered = seg.where(F.col("behaviour_segment") != INACTIVE_SEGMENT) if population else seg
        sub_assign, sub_profiles, _ = sub_segments(clustered, df, str(sub_cfg["of"]), list(behaviour_vars), section,
                                                   labels)
        seg = seg.join(sub_assign, "subscriber_id", "left")
        profiles += sub_profiles
    else:
        seg = seg.withColumns({"sub_segment": F.lit(None).cast("string"), "sub_name": F.lit(None).cast("string")})
    spark = df.sparkSession
    prof_df = spark.createDataFrame(
        [tuple(p[f.name] for f in PROFILE_SCHEMA.fields) for p in profiles], PROFILE_SCHEMA)
    map_df = spark.createDataFrame(mapping_rows("behaviour", b, prev_month) + mapping_rows("value", v, prev_month),
                                   MAPPING_SCHEMA)
    segments = seg.select("subscriber_id", "behaviour_segment", "behaviour_name", "value_segment", "value_name",
                          "strategic_segment", "strategic_name", "sub_segment", "sub_name")
    return Segmentation(segments=segments, profiles=prof_df, mapping=map_df, levels={"behaviour": b, "value": v})
