"""Write the analyst notebooks (01_panorama, 02_churn_model_review, 03_campaign_evaluation) without outputs.

Run `.venv/bin/python notebooks/make_notebooks.py` after editing a cell here; the .ipynb files are generated.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''import os

from lifecircle.core.config import load_config
from lifecircle.core.delta_io import table_exists
from lifecircle.core.spark import build_session
from lifecircle.registry import table

cfg = load_config(os.environ.get("LIFECIRCLE_ENV", "local"),
                  overrides=[f"paths.data_root={os.environ['LIFECIRCLE_DATA_ROOT']}"]
                  if "LIFECIRCLE_DATA_ROOT" in os.environ else [])
spark = build_session("APP", cfg)


def read(name):
    """The Delta table `name` (e.g. gold.panorama), or None with a note when its job has not run yet."""
    path = table(name).path(cfg)
    if not table_exists(spark, path):
        print(f"{name} is not available yet (run the job that writes it); skipping.")
        return None
    return spark.read.format("delta").load(path)


def latest_month(df):
    return df.agg({"month": "max"}).first()[0] if df is not None and "month" in df.columns else None'''

PANORAMA = [
    new_markdown_cell("# 01 · The panorama\n\n`gold.panorama` holds one row per subscriber and month with every "
                      "feature of the data dictionary (`docs/data_dictionary.md`). This notebook lists the columns "
                      "by family, shows a few distributions and compares churners with non-churners.\n\n"
                      "Set `LIFECIRCLE_DATA_ROOT` (and `LIFECIRCLE_ENV`) before starting Jupyter to point it at "
                      "another data folder."),
    new_code_cell(SETUP.replace("APP", "notebook_panorama")),
    new_code_cell('panorama = read("gold.panorama")\n'
                  'month = latest_month(panorama)\n'
                  'if panorama is not None:\n'
                  '    pm = panorama.where(panorama.month == month).cache()\n'
                  '    print(f"month {month}: {pm.count():,} subscribers, {len(pm.columns)} columns")'),
    new_markdown_cell("## Columns by family\n\nThe feature catalogue (`lifecircle.features.catalog`) gives each "
                      "documented column its family, unit and definition."),
    new_code_cell('from collections import defaultdict\n\n'
                  'from lifecircle.features.catalog import feature_index\n\n'
                  'if panorama is not None:\n'
                  '    index = feature_index()\n'
                  '    families = defaultdict(list)\n'
                  '    for col in pm.columns:\n'
                  '        families[index[col].family if col in index else "(other)"].append(col)\n'
                  '    for family, cols in sorted(families.items()):\n'
                  '        print(f"{family:<14} {len(cols):>3}  {\', \'.join(cols[:8])}{\' ...\' if len(cols) > 8 else \'\'}")'),
    new_markdown_cell("## Distributions\n\nSummary statistics of a few key numeric columns (computed in Spark; "
                      "only the summary reaches the notebook)."),
    new_code_cell('if panorama is not None:\n'
                  '    numeric = [c for c, t in pm.dtypes if t in ("double", "int", "bigint", "float")\n'
                  '               and c not in ("churned",)][:8]\n'
                  '    if numeric:\n'
                  '        print(pm.select(numeric).summary("count", "mean", "stddev", "min", "50%", "max")\n'
                  '              .toPandas().to_string(index=False))'),
    new_code_cell('import matplotlib.pyplot as plt\n\n'
                  'if panorama is not None and numeric:\n'
                  '    sample = pm.select(numeric[:4]).sample(fraction=min(1.0, 5000 / max(1, pm.count())), seed=1)\n'
                  '    sample.toPandas().hist(bins=30, figsize=(10, 5))\n'
                  '    plt.tight_layout()\n'
                  '    plt.show()'),
    new_markdown_cell("## Churners vs non-churners\n\n`churned` is the month's label (suspended for 7 days or "
                      "more, or closed). Mean of each numeric column per group."),
    new_code_cell('from pyspark.sql import functions as F\n\n'
                  'if panorama is not None and "churned" in pm.columns:\n'
                  '    compare = pm.groupBy("churned").agg(F.count(F.lit(1)).alias("subscribers"),\n'
                  '                                        *[F.round(F.avg(c), 3).alias(c) for c in numeric])\n'
                  '    display_df = compare.toPandas().set_index("churned").T\n'
                  '    print(display_df)\n'
                  'else:\n'
                  '    print("no churn label in the panorama")'),
]

MODEL = [
    new_markdown_cell("# 02 · Churn model review\n\nThe champion churn model lives in the MLflow model registry as "
                      "`models:/<churn.model_name>@champion`. This notebook loads it, shows the metrics and plots "
                      "of the run that trained it, and the distribution of its scores in `gold.churn_scores`."),
    new_code_cell(SETUP.replace("APP", "notebook_churn_model")),
    new_code_cell('import mlflow\n'
                  'from mlflow import MlflowClient\n\n'
                  'from lifecircle.core.tracking import tracking_uri\n\n'
                  'mlflow.set_tracking_uri(tracking_uri(cfg))\n'
                  'mlflow.set_registry_uri(cfg.get("mlflow.registry_uri", None) or tracking_uri(cfg))\n'
                  'client = MlflowClient()\n'
                  'name = cfg.get("churn.model_name")\n'
                  'try:\n'
                  '    version = client.get_model_version_by_alias(name, "champion")\n'
                  'except Exception as exc:\n'
                  '    version = None\n'
                  '    print(f"no champion for {name} yet ({str(exc).splitlines()[0][:120]}); run train_churn first")\n'
                  'if version is not None:\n'
                  '    print(f"{name} champion: version {version.version}, run {version.run_id}")\n'
                  '    print("tags:", version.tags)'),
    new_markdown_cell("## The training run: parameters and metrics\n\nValidation metrics (`val_*`) are measured "
                      "out of time on the month after the training months."),
    new_code_cell('if version is not None:\n'
                  '    run = client.get_run(version.run_id)\n'
                  '    for k, v in sorted(run.data.metrics.items()):\n'
                  '        print(f"{k:<32} {v:.4f}")\n'
                  '    print({k: v for k, v in run.data.params.items() if k.startswith("model")})'),
    new_markdown_cell("## Logged plots"),
    new_code_cell('from IPython.display import Image, display\n\n'
                  'if version is not None:\n'
                  '    plots = [a.path for a in client.list_artifacts(version.run_id, "plots") if a.path.endswith(".png")]\n'
                  '    for p in plots:\n'
                  '        local = mlflow.artifacts.download_artifacts(run_id=version.run_id, artifact_path=p)\n'
                  '        print(p)\n'
                  '        display(Image(filename=local))\n'
                  '    if not plots:\n'
                  '        print("no plots logged with this run")'),
    new_markdown_cell("## Load the champion\n\nThe same model `score_churn` uses (a Spark `PipelineModel`)."),
    new_code_cell('import mlflow.spark\n\n'
                  'if version is not None:\n'
                  '    model = mlflow.spark.load_model(f"models:/{name}@champion")\n'
                  '    print([type(s).__name__ for s in model.stages])'),
    new_markdown_cell("## Score distribution\n\n`gold.churn_scores` of the latest scored month: probability "
                      "histogram and subscribers per risk grade."),
    new_code_cell('from pyspark.sql import functions as F\n\n'
                  'from lifecircle.reports.html import score_histogram\n\n'
                  'scores = read("gold.churn_scores")\n'
                  'if scores is not None:\n'
                  '    month = latest_month(scores)\n'
                  '    sm = scores.where(scores.month == month)\n'
                  '    print(f"scores of {month}")\n'
                  '    print(score_histogram(sm).toPandas())\n'
                  '    print(sm.groupBy("risk_grade").agg(F.count(F.lit(1)).alias("subscribers"),\n'
                  '                                       F.round(F.avg("churn_probability"), 4).alias("mean_p"))\n'
                  '            .orderBy("risk_grade").toPandas())'),
]

CAMPAIGN = [
    new_markdown_cell("# 03 · Campaign evaluation\n\n`gold.campaign_evaluation` compares every strategy group with "
                      "the untouched control group per outcome (difference, 95% confidence interval, p-value, "
                      "costs and ROI). The monthly HTML report (`jobs/monthly_report.py`) summarises it too."),
    new_code_cell(SETUP.replace("APP", "notebook_campaigns")),
    new_code_cell('evaluation = read("gold.campaign_evaluation")\n'
                  'if evaluation is not None:\n'
                  '    campaigns = [r[0] for r in evaluation.select("campaign_id").distinct().orderBy("campaign_id").collect()]\n'
                  '    print("evaluated campaigns:", campaigns)'),
    new_markdown_cell("## Group vs control"),
    new_code_cell('from lifecircle.reports.html import campaign_results\n\n'
                  'if evaluation is not None:\n'
                  '    results = campaign_results(evaluation).toPandas()\n'
                  '    print(results.to_string(index=False))'),
    new_code_cell('import matplotlib.pyplot as plt\n\n'
                  'if evaluation is not None and len(results):\n'
                  '    for (campaign, outcome), part in results.dropna(subset=["difference"]).groupby(["campaign_id", "outcome"]):\n'
                  '        fig, ax = plt.subplots(figsize=(6, 2.8))\n'
                  '        err = [part["difference"] - part["ci_low"], part["ci_high"] - part["difference"]]\n'
                  '        ax.bar(part["group"], part["difference"], yerr=err, capsize=5)\n'
                  '        ax.axhline(0, color="black", linewidth=0.8)\n'
                  '        ax.set_title(f"{campaign}: {outcome}, difference vs control (95% CI)")\n'
                  '        plt.show()'),
    new_markdown_cell("## Contact outcomes\n\nWhat the channels reported (`gold.contact_history`)."),
    new_code_cell('history = read("gold.contact_history")\n'
                  'if history is not None:\n'
                  '    print(history.groupBy("campaign_id", "channel", "outcome").count()\n'
                  '          .orderBy("campaign_id", "channel", "outcome").toPandas().to_string(index=False))'),
    new_markdown_cell("## The reports\n\nHTML reports written by the pipeline (campaign reports and the monthly "
                      "report), as recorded under `paths.reports`."),
    new_code_cell('from pathlib import Path\n\n'
                  'from lifecircle.core.paths import resolve\n\n'
                  'reports = Path(resolve(cfg.get("paths.reports")))\n'
                  'found = sorted(reports.rglob("*.html")) if reports.exists() else []\n'
                  'for p in found:\n'
                  '    print(p)\n'
                  'if not found:\n'
                  '    print(f"no HTML report under {reports} yet")'),
]


def write_all(folder: Path = HERE) -> list[Path]:
    """Write the three notebooks (no outputs) into `folder`; returns their paths."""
    out = []
    for name, cells in (("01_panorama", PANORAMA), ("02_churn_model_review", MODEL),
                        ("03_campaign_evaluation", CAMPAIGN)):
        nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                "language": "python"}})
        path = folder / f"{name}.ipynb"
        nbformat.write(nb, path)
        out.append(path)
    return out


if __name__ == "__main__":
    for p in write_all():
        print(p)
