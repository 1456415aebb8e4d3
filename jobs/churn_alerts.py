"""Early-warning rules for --month M (bill down >15% in each of three months, repeated complaints, repeated
fault reports; SQL conditions with graded levels in conf/churn.yaml) over gold.panorama -> gold.alerts."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.models.alerts import evaluate_alerts, missing_columns
from lifecircle.runtime import JobContext, job


@job("churn_alerts", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    conf = ctx.cfg.get("churn.alerts")
    panorama = ctx.read("gold.panorama").where(F.col("month") == ctx.month)
    rules = dict(conf.get("rules") or {})
    for rule, why in missing_columns(panorama, rules).items():
        ctx.log.warning("alert rule %s skipped: the panorama lacks its columns (%s)", rule, why)
        rules.pop(rule)
    ctx.write("gold.alerts", evaluate_alerts(panorama, rules, conf.get("level_rank") or {}),
              where={"month": ctx.month})


if __name__ == "__main__":
    raise SystemExit(main())
