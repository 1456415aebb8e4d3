"""OLAP cubes over gold.panorama for a month (grouping sets of region level x brand x plan x segment), with
Top-N/Bottom-N cells and month-over-month anomalies against the previous month's cube."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.core.periods import add_months
from lifecircle.features.olap import REGION_LEVELS, anomalies, build_cube, top_n
from lifecircle.runtime import JobContext, job


def optional(ctx: JobContext, name: str):
    """The table when it is declared in the registry and has been written, else None."""
    try:
        return ctx.read_optional(name)
    except KeyError:  # its domain has not declared it (yet)
        return None


@job("olap", description=__doc__, needs="month")
def main(ctx: JobContext) -> None:
    month = ctx.month
    conf = ctx.cfg.section("features").get("olap", {})
    panorama = ctx.read("gold.panorama").where(F.col("month") == month)
    # Region levels below county come from life circles; use them only when that table exists.
    levels = [lvl for lvl in conf.get("region_levels", ["county"]) if lvl in REGION_LEVELS]
    if optional(ctx, "gold.circle_features") is None:
        levels = [lvl for lvl in levels if lvl == "county"]
    segments = None
    seg = optional(ctx, "gold.segments")
    if seg is not None:
        for m in (month, add_months(month, -1)):  # the segment job runs after olap: fall back to M-1
            rows = seg.where(F.col("month") == m)
            if rows.limit(1).count() > 0:
                segments = rows.withColumn("month", F.lit(month))
                break
    cube = build_cube(panorama, month, levels, segments)
    ctx.write("gold.olap_cube", cube, where={"month": month})
    cube = ctx.read("gold.olap_cube").where(F.col("month") == month)
    min_subs = int(conf.get("min_subscribers", 30))
    ctx.write("gold.olap_top_n", top_n(cube, conf.get("top_n_metrics", ["arpu"]), int(conf.get("top_n", 10)),
                                        min_subs), where={"month": month})
    previous = ctx.read("gold.olap_cube").where(F.col("month") == add_months(month, -1))
    flagged = anomalies(cube, previous if previous.limit(1).count() > 0 else None,
                        conf.get("anomaly_metrics", ["arpu"]), float(conf.get("anomaly_z", 3.0)),
                        int(conf.get("anomaly_min_cells", 3)), min_subs)
    ctx.write("gold.olap_anomalies", flagged, where={"month": month})


if __name__ == "__main__":
    raise SystemExit(main())
