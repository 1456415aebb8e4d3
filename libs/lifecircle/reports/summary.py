"""The closing summary of `make demo`: tables with row counts, MLflow runs and champions, reports, timings."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import SparkSession

from lifecircle.core.config import Config
from lifecircle.core.delta_io import table_exists
from lifecircle.core.paths import resolve


def _mlflow_lines(cfg: Config) -> list[str]:
    try:
        import mlflow
        from mlflow import MlflowClient

        from lifecircle.core.tracking import tracking_uri

        mlflow.set_tracking_uri(tracking_uri(cfg))
        client = MlflowClient()
        runs = sum(len(client.search_runs([e.experiment_id], max_results=1000)) for e in client.search_experiments())
        lines = [f"  MLflow runs: {runs} in {tracking_uri(cfg)}"]
        for model in client.search_registered_models():
            aliases = ", ".join(f"{a}=v{v}" for a, v in (model.aliases or {}).items()) or "no alias"
            lines.append(f"  registered model {model.name}: {aliases}")
        return lines
    except Exception as exc:  # the summary must not fail the demo
        return [f"  MLflow: could not read the store ({exc})"]


def print_demo_summary(spark: SparkSession, cfg: Config, timings: list[tuple[str, int, float]], total: float) -> None:
    from lifecircle.registry import all_tables

    print("\n=== Lifecircle demo: summary ===")
    print(f"Tables (Delta, under {resolve(cfg.get('paths.tables'))}):")
    for spec in all_tables():
        path = spec.path(cfg)
        if table_exists(spark, path):
            rows = spark.read.format("delta").load(path).count()
            print(f"  {spec.name:<34} {rows:>10,} rows")
    print("MLflow:")
    for line in _mlflow_lines(cfg):
        print(line)
    print(f"  open the UI: .venv/bin/mlflow ui --backend-store-uri {__import__('lifecircle.core.tracking', fromlist=['x']).tracking_uri(cfg)}")
    reports = Path(resolve(cfg.get("paths.reports")))
    html = sorted(reports.rglob("*.html")) if reports.exists() else []
    print(f"Reports: {len(html)} HTML file(s) under {reports}")
    for p in html[:10]:
        print(f"  {p}")
    print("Time per stage:")
    for name, runs, seconds in timings:
        print(f"  {name:<22} {runs:>3} run(s) {seconds:8.1f}s")
    print(f"Total: {total:.1f}s")
