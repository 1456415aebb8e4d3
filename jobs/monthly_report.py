"""Write the HTML monthly report of --month M to <paths.reports>/monthly_<M>.html (charts embedded), log it to
MLflow as an artifact and record it in gold.report_index. Missing tables give "not available" sections."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lifecircle.core.paths import resolve
from lifecircle.core.tracking import start_run
from lifecircle.reports.html import monthly_report_html
from lifecircle.reports.registry import REPORT_INDEX_SCHEMA, REPORT_INPUTS
from lifecircle.runtime import JobContext, job


@job("monthly_report", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    import mlflow

    month = ctx.month
    tables = {name: ctx.read_optional(name) for name in REPORT_INPUTS}
    for name, df in tables.items():
        if df is None:
            ctx.log.info("monthly report: %s not written yet, its section is marked not available", name)
    now = dt.datetime.now().replace(microsecond=0)
    page = monthly_report_html(month, tables, gap=int(ctx.cfg.get("churn.gap", 1)), generated_at=now.isoformat())
    out = Path(resolve(ctx.cfg.get("paths.reports"))) / f"monthly_{month}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    ctx.log.info("monthly report written: %s (%d bytes)", out, len(page))
    with start_run(ctx.cfg, job="monthly_report", period=month):
        mlflow.log_artifact(str(out), "reports")
    index = ctx.spark.createDataFrame([(month, "monthly", str(out), now)], REPORT_INDEX_SCHEMA)
    ctx.write("gold.report_index", index, where={"month": month})


if __name__ == "__main__":
    raise SystemExit(main())
