"""Plan fit for one month: price each subscriber's usage under every plan of conf/tariffs.yaml and apply seed
000's four rules (no plan → the plan that saves most; far below → step down; far above → step up; wrong plan
type → migrate) → gold.plan_fit."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.runtime import JobContext, job
from lifecircle.value.plan_fit import TARIFF_SCHEMA, PlanFitParams, fit_plans, tariff_rows, usage_from


@job("plan_fit", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    value = ctx.cfg.section("value")
    sec = value["plan_fit"]
    catalogue = ctx.cfg.load_file(sec.get("tariffs_file", "tariffs.yaml"))
    rows = tariff_rows(catalogue)
    params = PlanFitParams.from_config(sec, catalogue)
    silver = ctx.read_optional("silver.tariffs")
    if silver is not None:  # the generator writes the same catalogue; say so loudly when they drift apart
        feed_ids = {r.plan_id for r in silver.select("plan_id").collect()}  # ok: the tariff catalogue
        conf_ids = {r[0] for r in rows}
        if feed_ids != conf_ids:
            ctx.log.warning("conf/tariffs.yaml and silver.tariffs differ: only in conf %s, only in the feed %s",
                            sorted(conf_ids - feed_ids), sorted(feed_ids - conf_ids))
    tariffs = ctx.spark.createDataFrame(rows, TARIFF_SCHEMA)
    pano = ctx.read(value["panorama"]["table"]).where(F.col("month") == ctx.month)
    if sec.get("population"):  # a partial month's usage (closed, churned) says nothing about the plan
        pano = pano.where(F.expr(sec["population"]))
    usage = usage_from(pano, sec["usage"], value["panorama"].get("subscriber_id", "subscriber_id"))
    out = fit_plans(usage, tariffs, params, rows).withColumn("month", F.lit(ctx.month))
    ctx.write("gold.plan_fit", out, where={"month": ctx.month})
    counts = {r["rule"]: r["count"] for r in ctx.read("gold.plan_fit").where(F.col("month") == ctx.month)
              .groupBy("rule").count().collect()}  # ok: one row per rule
    ctx.notes["rules"] = counts
    ctx.log.info("plan fit %s: %s", ctx.month, ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    raise SystemExit(main())
