"""Evaluate any randomized experiment kept in a plain CSV: per group vs control and per outcome, the rate
(0/1 outcomes) or mean, the difference with its confidence interval and p-value.

Spark aggregates the file (it may be large) to one row per group; the statistics run on those numbers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lifecircle.campaigns.report import render_html
from lifecircle.campaigns.stats import GroupAgg, compare
from lifecircle.core.errors import InputError


def read_experiment_csv(spark: SparkSession, path: str) -> DataFrame:
    """The CSV with a header, every column as text (types are decided per outcome, with clear errors)."""
    if not Path(path).exists() and "://" not in path:
        raise InputError(f"{path}: input file not found")
    return spark.read.option("header", True).option("inferSchema", False).option("mode", "PERMISSIVE").csv(path)


def aggregate_groups(df: DataFrame, group: str, outcomes: Sequence[str], source: str = "input") -> DataFrame:
    """One row per group: rows, and per outcome its non-missing count, mean, sample variance, count of
    non-numeric values and count of values outside {0,1} (decides binary vs continuous)."""
    missing = [c for c in [group, *outcomes] if c not in df.columns]
    if missing:
        raise InputError(f"{source}: column(s) {', '.join(missing)} not found (columns: {', '.join(df.columns)})")
    aggs = [F.count(F.lit(1)).alias("_rows")]
    for i, name in enumerate(outcomes):
        raw = F.trim(F.col(name).cast("string"))
        val = raw.try_cast("double") if hasattr(raw, "try_cast") else F.expr(f"try_cast(`{name}` as double)")
        aggs += [
            F.count(val).alias(f"n_{i}"),
            F.avg(val).alias(f"mean_{i}"),
            F.var_samp(val).alias(f"var_{i}"),
            F.sum(F.when(raw.isNotNull() & (raw != "") & val.isNull(), 1).otherwise(0)).alias(f"bad_{i}"),
            F.sum(F.when(val.isNotNull() & ~val.isin(0.0, 1.0), 1).otherwise(0)).alias(f"nonbin_{i}"),
        ]
    return df.groupBy(F.col(group).cast("string").alias("_group")).agg(*aggs)


def evaluate_groups(agg_rows: Sequence[dict], outcomes: Sequence[str], control: str, source: str = "input",
                    confidence: float = 0.95) -> dict:
    """The comparisons from aggregated rows (as dicts from `aggregate_groups`)."""
    groups = {r["_group"]: r for r in agg_rows}
    if control not in groups:
        raise InputError(f"{source}: control value {control!r} not found in the group column "
                         f"(values: {', '.join(sorted(str(g) for g in groups))})")
    if len(groups) < 2:
        raise InputError(f"{source}: only the control group is present; nothing to compare")
    results, kinds = [], {}
    for i, name in enumerate(outcomes):
        bad = sum(int(r[f"bad_{i}"] or 0) for r in groups.values())
        if bad:
            raise InputError(f"{source}: outcome column {name!r} has {bad} non-numeric value(s)")
        kind = "binary" if sum(int(r[f"nonbin_{i}"] or 0) for r in groups.values()) == 0 else "continuous"
        kinds[name] = kind
        aggs = [GroupAgg(str(g), int(r[f"n_{i}"] or 0), float(r[f"mean_{i}"] or 0.0),
                         float(r[f"var_{i}"]) if r[f"var_{i}"] is not None else None)
                for g, r in groups.items() if g is not None]
        results += [c.as_dict() for c in compare(name, kind, aggs, control, confidence)]
    return {
        "groups": {str(g): int(r["_rows"]) for g, r in sorted(groups.items(), key=lambda kv: str(kv[0]))},
        "outcome_kinds": kinds,
        "results": results,
    }


def evaluate_file(spark: SparkSession, path: str, group: str, control: str, outcomes: Sequence[str],
                  out_dir: str, id_col: str | None = None, confidence: float = 0.95) -> dict:
    """Aggregate the CSV with Spark, compare every group with the control, write evaluation.json/.html."""
    if not outcomes:
        raise InputError("at least one --outcome column is needed")
    df = read_experiment_csv(spark, path)
    cols = [group, *outcomes] + ([id_col] if id_col else [])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{path}: column(s) {', '.join(missing)} not found (columns: {', '.join(df.columns)})")
    rows = [r.asDict() for r in aggregate_groups(df, group, outcomes, path).collect()]  # ok: one row per group
    body = evaluate_groups(rows, outcomes, control, path, confidence)
    summary: dict = {
        "input": str(path), "group_column": group, "control": control, "outcomes": list(outcomes),
        "n_rows": sum(body["groups"].values()), "confidence": confidence,
        "created_at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    if id_col:
        ids = df.agg(F.count(F.col(id_col)).alias("n"), F.countDistinct(F.col(id_col)).alias("d")).first()
        summary["id_column"] = id_col
        summary["duplicate_ids"] = int(ids["n"]) - int(ids["d"])
    result = {**summary, **body}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    page_summary = {k: v for k, v in summary.items() if k != "outcomes"}
    page_summary["groups"] = ", ".join(f"{g}={n}" for g, n in body["groups"].items())
    (out / "evaluation.html").write_text(
        render_html(f"Experiment evaluation: {Path(path).name}", page_summary, body["results"]), encoding="utf-8")
    return result
