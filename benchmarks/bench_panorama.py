"""Benchmark the panorama on a province's silver tables, with DuckDB over the same Parquet files as the reference.

    .venv/bin/python benchmarks/bench_panorama.py --month 2026-10 [--env local] [--set paths.data_root=data/medium]

1. times the whole `panorama` job (writes gold.usage_monthly and gold.panorama for the month);
2. times Spark's voice / SMS / data aggregation alone (the CDR passes, written to the `noop` sink) and reports
   voice CDR rows/s per core;
3. computes the same voice / SMS / data features with DuckDB (hand-written SQL, an independent implementation)
   over the Delta tables' current Parquet files, checks them against gold.usage_monthly column by column,
   and prints the Spark / DuckDB time ratio. Exit status 1 when any number differs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "libs"))

from lifecircle.core.config import load_config  # noqa: E402
from lifecircle.core.periods import month_bounds  # noqa: E402
from lifecircle.core.spark import build_session  # noqa: E402
from lifecircle.registry import table  # noqa: E402

CALL_TYPES = ("local", "long_distance", "ip_long_distance", "roaming_province", "roaming_national",
              "roaming_international")
NETWORKS = ("on_net", "competitor_a", "competitor_b", "fixed", "service")
APPS = ("video", "social", "music", "game", "news", "shopping", "map", "other")


def duckdb_sql(tz: str, start: str, end: str) -> tuple[str, str, str]:
    """DuckDB queries for the voice, SMS and data features (reading views voice, sms, data)."""
    local = f"timezone('{tz}', start_time::TIMESTAMPTZ)"
    night = f"(hour({local}) >= 22 OR hour({local}) < 6)"
    wdd = f"(isodow({local}) BETWEEN 1 AND 5 AND hour({local}) >= 9 AND hour({local}) < 18)"
    period = f"date >= DATE '{start}' AND date < DATE '{end}'"
    voice = f"""
    WITH v AS (SELECT * FROM voice WHERE {period})
    SELECT subscriber_id,
      count(*) AS voice_calls, sum(duration_s) / 60.0 AS voice_minutes,
      count(*) FILTER (WHERE direction = 'MO') AS voice_mo_calls,
      coalesce(sum(duration_s) FILTER (WHERE direction = 'MO'), 0) / 60.0 AS voice_mo_minutes,
      count(*) FILTER (WHERE direction = 'MT') AS voice_mt_calls,
      coalesce(sum(duration_s) FILTER (WHERE direction = 'MT'), 0) / 60.0 AS voice_mt_minutes,
      {", ".join(f"count(*) FILTER (WHERE call_type = '{c}') AS voice_{c}_calls, "
                 f"coalesce(sum(duration_s) FILTER (WHERE call_type = '{c}'), 0) / 60.0 AS voice_{c}_minutes"
                 for c in CALL_TYPES)},
      {", ".join(f"count(*) FILTER (WHERE contact_network = '{n}') AS voice_{n}_calls, "
                 f"coalesce(sum(duration_s) FILTER (WHERE contact_network = '{n}'), 0) / 60.0 AS voice_{n}_minutes"
                 for n in NETWORKS)},
      count(*) FILTER (WHERE {night}) AS voice_night_calls,
      count(*) FILTER (WHERE {wdd}) AS voice_weekday_day_calls,
      count(*) FILTER (WHERE forwarded) AS voice_forwarded_calls,
      count(DISTINCT contact_id) AS voice_contacts,
      count(DISTINCT contact_id) FILTER (WHERE direction = 'MO') AS voice_contacts_mo,
      count(DISTINCT contact_id) FILTER (WHERE direction = 'MT') AS voice_contacts_mt
    FROM v GROUP BY subscriber_id"""
    sms = f"""
    SELECT subscriber_id, count(*) AS sms_count,
      count(*) FILTER (WHERE direction = 'MO') AS sms_mo, count(*) FILTER (WHERE direction = 'MT') AS sms_mt,
      count(*) FILTER (WHERE sms_type = 'p2p') AS sms_p2p, count(*) FILTER (WHERE sms_type = 'service') AS sms_service,
      count(*) FILTER (WHERE contact_network = 'on_net') AS sms_on_net,
      count(DISTINCT contact_id) FILTER (WHERE sms_type = 'p2p') AS sms_contacts
    FROM sms WHERE {period} GROUP BY subscriber_id"""
    data = f"""
    SELECT subscriber_id, sum(bytes_up + bytes_down) / 1048576.0 AS data_mb,
      coalesce(sum(bytes_up + bytes_down) FILTER (WHERE rat = '5G'), 0) / 1048576.0 AS data_5g_mb,
      count(*) AS data_hours,
      {", ".join(f"coalesce(sum(bytes_up + bytes_down) FILTER (WHERE coalesce(app_category, 'other') = '{a}'), 0)"
                 f" / 1048576.0 AS data_{a}_mb" for a in APPS)}
    FROM data WHERE {period} GROUP BY subscriber_id"""
    return voice, sms, data


def files(spark, path: str, month: str | None = None) -> list[str]:
    """The current Parquet files of a Delta table (optionally one month's partition)."""
    from pyspark.sql import functions as F

    df = spark.read.format("delta").load(path)
    if month is not None:
        df = df.where(F.col("month") == month)
    return [f.removeprefix("file://").removeprefix("file:") for f in df.inputFiles()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--month", required=True)
    p.add_argument("--env", default=os.environ.get("LIFECIRCLE_ENV", "local"))
    p.add_argument("--set", dest="overrides", action="append", default=[])
    p.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: Spark's cores)")
    p.add_argument("--skip-job", action="store_true", help="reuse gold.usage_monthly already written")
    ns = p.parse_args(argv)

    import duckdb

    from lifecircle.features.panorama import aggregate_data, aggregate_sms, aggregate_voice, month_filter
    from lifecircle.runtime import run_script

    cfg = load_config(ns.env, overrides=ns.overrides)
    spark = build_session("bench_panorama", cfg)
    cores = spark.sparkContext.defaultParallelism
    path = {n: table(n).path(cfg) for n in ("silver.voice_cdr", "silver.sms", "silver.data_usage",
                                             "gold.usage_monthly")}

    if not ns.skip_job:
        t0 = time.perf_counter()
        for job in ("usage_monthly", "panorama"):
            if run_script(job, ["--month", ns.month], spark=spark, cfg=cfg) != 0:
                return 2
        print(f"usage_monthly + panorama jobs (whole, incl. writes): {time.perf_counter() - t0:.1f} s")

    voice = month_filter(spark.read.format("delta").load(path["silver.voice_cdr"]), ns.month)
    voice_rows = voice.count()
    t0 = time.perf_counter()
    aggregate_voice(voice).write.format("noop").mode("overwrite").save()
    t_voice = time.perf_counter() - t0
    t0 = time.perf_counter()
    aggregate_sms(month_filter(spark.read.format("delta").load(path["silver.sms"]), ns.month)).write.format(
        "noop").mode("overwrite").save()
    aggregate_data(month_filter(spark.read.format("delta").load(path["silver.data_usage"]), ns.month)).write.format(
        "noop").mode("overwrite").save()
    t_spark = t_voice + time.perf_counter() - t0
    print(f"spark voice aggregation: {voice_rows:,} CDR rows in {t_voice:.1f} s = "
          f"{voice_rows / t_voice / cores:,.0f} rows/s per core ({cores} cores)")

    con = duckdb.connect()
    con.execute(f"SET threads = {ns.threads or cores}")
    con.execute("SET TimeZone = 'UTC'")
    for view, name in (("voice", "silver.voice_cdr"), ("sms", "silver.sms"), ("data", "silver.data_usage")):
        con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet({files(spark, path[name], ns.month)!r}, "
                    "hive_partitioning = true, hive_types = {'month': VARCHAR})")
    con.execute(f"CREATE VIEW usage AS SELECT * FROM read_parquet({files(spark, path['gold.usage_monthly'], ns.month)!r})")
    start, end = (d.isoformat() for d in month_bounds(ns.month))
    tz = cfg.get("spark.time_zone")
    t0 = time.perf_counter()
    for view, sql in zip(("d_voice", "d_sms", "d_data"), duckdb_sql(tz, start, end)):
        con.execute(f"CREATE TABLE {view} AS {sql}")
    t_duck = time.perf_counter() - t0
    print(f"duckdb voice+sms+data: {t_duck:.1f} s; spark: {t_spark:.1f} s; ratio spark/duckdb = {t_spark / t_duck:.2f}")

    bad = 0
    for view in ("d_voice", "d_sms", "d_data"):
        cols = [r[0] for r in con.execute(f"DESCRIBE {view}").fetchall() if r[0] != "subscriber_id"]
        checks = ", ".join(
            f"count(*) FILTER (WHERE abs(coalesce(d.{c}, 0) - coalesce(u.{c}, 0)) > 1e-6) AS {c}" for c in cols)
        row = con.execute(f"SELECT count(*) AS n, {checks} FROM usage u LEFT JOIN {view} d USING (subscriber_id)"
                          ).fetchone()
        diffs = {c: v for c, v in zip(cols, row[1:]) if v}
        bad += sum(diffs.values())
        print(f"{view}: {row[0]:,} subscribers, {len(cols)} columns compared, mismatches: {diffs or 'none'}")
        orphans = con.execute(f"SELECT count(*) FROM {view} WHERE subscriber_id NOT IN "
                              "(SELECT subscriber_id FROM usage)").fetchone()[0]
        print(f"  ({orphans:,} DuckDB subscribers are not in the month's panorama universe)")
    spark.stop()
    print("RESULT:", "same numbers" if bad == 0 else f"{bad} differing values")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
