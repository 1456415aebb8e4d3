"""`lifecircle churn fit|score`: the churn trainer on any feature table (CSV with header, Parquet folder
or Delta path), so operators can bring their own tables.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError

ROW_ID = "row_id"


def read_any(spark: SparkSession, path: str) -> DataFrame:
    """A CSV file/folder with header (all columns as strings), a Parquet folder or a Delta path; InputError
    when it is missing or empty."""
    p = Path(path)
    if "://" not in path and not p.exists():
        raise InputError(f"input {path} not found")
    if (p / "_delta_log").is_dir():
        df = spark.read.format("delta").load(path)
    elif p.is_file() and p.suffix.lower() == ".parquet" or (p.is_dir() and any(p.glob("*.parquet"))):
        df = spark.read.parquet(path)
    else:
        if p.is_file() and p.stat().st_size == 0:
            raise InputError(f"input {path} is empty")
        df = spark.read.option("header", True).option("inferSchema", False).csv(path)
    if not df.columns or df.isEmpty():
        raise InputError(f"input {path} is empty (no rows)")
    return df


def _require(df: DataFrame, cols: list[str], path: str) -> None:
    for c in cols:
        if c not in df.columns:
            raise InputError(f"input {path} has no column '{c}' (columns: {', '.join(df.columns[:30])})")


def _session(ns: argparse.Namespace):
    from lifecircle.core.config import load_config
    from lifecircle.core.spark import build_session

    cfg = load_config(ns.env, ns.conf_dir, ns.overrides)
    return cfg, build_session("churn-cli", cfg)


def _with_id(df: DataFrame, id_col: str | None) -> tuple[DataFrame, str]:
    if id_col:
        return df, id_col
    return df.withColumn(ROW_ID, F.monotonically_increasing_id()), ROW_ID


def cmd_fit(ns: argparse.Namespace) -> int:
    from lifecircle.core.spark import reuse
    from lifecircle.models.features import infer_features, label_values, resolve_positive, with_label
    from lifecircle.models.trainer import save_bundle, train_churn

    cfg, spark = _session(ns)
    section = cfg.section("churn")
    df = read_any(spark, ns.input)
    _require(df, [c for c in (ns.id, ns.label) if c], ns.input)
    df, id_col = _with_id(df, ns.id)
    positive = resolve_positive(label_values(df, ns.label), ns.label, ns.positive)
    labelled = reuse(with_label(df, ns.label, positive))
    deny = list(section.get("deny_columns", [])) + [id_col, ns.label, "label", "weight"]
    spec = infer_features(labelled, deny,
                          int(section.get("max_categories", 50)), section.get("deny_patterns", []))
    frac = float(section.get("validation_fraction", 0.2))
    seed = int(section.get("seed", 42))
    train, valid = labelled.randomSplit([1 - frac, frac], seed=seed)
    trained = train_churn(train, valid, spec, section, refit=bool(section.get("refit", True)))
    out = Path(ns.model_out)
    save_bundle(trained, out, {"input": ns.input, "id": ns.id, "label": ns.label, "positive": positive})
    from lifecircle.models.evaluation import write_plots

    write_plots(trained.validation, trained.result.importances, out / "plots")
    print(json.dumps({"model": str(out), "kind": trained.result.kind, "params": trained.result.params,
                      "validation_auc": round(trained.validation.auc, 4),
                      "validation_pr_auc": round(trained.validation.pr_auc, 4),
                      "top_decile_lift": round(trained.validation.deciles[0]["lift"], 3),
                      "features": len(spec.numeric_like) + len(spec.categorical), **trained.counts}))
    return 0


def cmd_score(ns: argparse.Namespace) -> int:
    from lifecircle.models.features import FeatureSpec
    from lifecircle.models.reasons import scoring_options
    from lifecircle.models.trainer import load_bundle, score_churn

    cfg, spark = _session(ns)
    section = cfg.section("churn")
    model, meta = load_bundle(Path(ns.model))
    df = read_any(spark, ns.input)
    spec = FeatureSpec.from_dict(meta["features"])
    _require(df, [c for c in [ns.id] + list(ns.keep) if c], ns.input)
    missing = [c for c in spec.numeric_like + spec.categorical if c not in df.columns]
    if missing:
        raise InputError(f"input {ns.input} lacks the model's feature columns: {', '.join(missing[:10])}")
    df, id_col = _with_id(df, ns.id)
    scored = score_churn(model, spec, meta["profile"], df, id_col, keep=tuple(ns.keep),
                         **scoring_options(section.get("reasons") or {}))
    fmt = ns.format or ("csv" if ns.out.lower().endswith(".csv") else "parquet")
    if fmt == "csv":
        flat = (scored.withColumn("top_reasons", F.concat_ws("|", "top_reasons"))
                .withColumn("reason_details", F.to_json("reason_details")))
        flat.coalesce(1).write.mode("overwrite").option("header", True).csv(ns.out)
    else:
        scored.write.mode("overwrite").format(fmt).save(ns.out)
    print(json.dumps({"scored": ns.out, "format": fmt}))
    return 0


def register(subparsers) -> None:
    """Add `churn fit` and `churn score` to the lifecircle command."""
    import os

    churn = subparsers.add_parser("churn", help="churn model on any feature table: fit | score")
    sub = churn.add_subparsers(dest="churn_command", required=True)

    def common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--env", default=os.environ.get("LIFECIRCLE_ENV", "local"))
        p.add_argument("--conf-dir", default=None)
        p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
        p.add_argument("--input", required=True, help="CSV with header, Parquet folder or Delta path")
        p.add_argument("--id", default=None, help="id column (default: a generated row_id)")
        return p

    p = common(sub.add_parser("fit", help="train on a labelled table, choose the best model, save it"))
    p.add_argument("--label", required=True, help="label column (two values)")
    p.add_argument("--positive", default=None, help="the label value meaning churn (default: yes/true/1)")
    p.add_argument("--model-out", required=True, help="model directory to write")
    p.set_defaults(func=cmd_fit)

    p = common(sub.add_parser("score", help="score a table with a saved model"))
    p.add_argument("--model", required=True, help="model directory written by `churn fit`")
    p.add_argument("--out", required=True, help="output path (Parquet folder; .csv -> CSV folder)")
    p.add_argument("--format", choices=["parquet", "delta", "csv"], default=None)
    p.add_argument("--keep", nargs="*", default=[], help="input columns to carry into the output")
    p.set_defaults(func=cmd_score)
