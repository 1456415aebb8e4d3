"""Segmentation for one month: k-means on standardised behaviour and value variables of gold.panorama (k by
silhouette), strategic segments, profiles and readable names, sub-segments of one segment, and ids kept stable
by matching last month's centroids → gold.segments, gold.segment_profiles, gold.segment_mapping; models and
profiles logged to MLflow."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.core.periods import add_months
from lifecircle.core.spark import reuse
from lifecircle.core.tracking import log_spark_model, start_run
from lifecircle.runtime import JobContext, job
from lifecircle.value.segments import segment_population


@job("segment", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    value = ctx.cfg.section("value")
    sec = value["segment"]
    sid = value["panorama"].get("subscriber_id", "subscriber_id")
    pano = ctx.read(value["panorama"]["table"]).where(F.col("month") == ctx.month)
    prev_month = add_months(ctx.month, -1)
    prev = ctx.read_optional("gold.segment_profiles")
    prev = reuse(prev.where(F.col("month") == prev_month)) if prev is not None else None
    if prev is not None and prev.isEmpty():
        prev = None
    res = segment_population(pano, sec, prev, prev_month if prev is not None else None, sid)
    month = F.lit(ctx.month)
    profiles = reuse(res.profiles.withColumn("month", month))
    ctx.write("gold.segment_profiles", profiles, where={"month": ctx.month})
    ctx.write("gold.segment_mapping", res.mapping.withColumn("month", month), where={"month": ctx.month})
    ctx.write("gold.segments", res.segments.withColumn("month", month), where={"month": ctx.month})

    import mlflow

    with start_run(ctx.cfg, "segment", ctx.month):
        for level, r in res.levels.items():
            mlflow.log_param(f"{level}_k", r.fit.k)
            mlflow.log_param(f"{level}_variables", ",".join(sec.get(level, {})))
            for k, s in r.fit.silhouettes.items():
                mlflow.log_metric(f"{level}_silhouette", s, step=k)
            if sec.get("log_models", True):
                log_spark_model(r.fit.model, f"{level}_kmeans")
        mlflow.log_param("matched_to", prev_month if prev is not None else "")
        rows = [r.asDict(recursive=True) for r in profiles.drop("month").collect()]  # ok: one row per segment
        mlflow.log_dict({"month": ctx.month, "profiles": rows}, "segment_profiles.json")
    for p in rows:
        if p["level"] in ("behaviour", "value"):
            ctx.log.info("%s segment %s (%d, %.0f%%): %s", p["level"], p["segment_id"], p["size"],
                         100 * p["share"], p["name"])


if __name__ == "__main__":
    raise SystemExit(main())
