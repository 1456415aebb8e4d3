"""Writing the province: feed records → operator-named files (Spark text writer, then renamed), truth as Parquet.

The one module of lifecircle.generate that does I/O; the job and the test fixture call `generate_province`.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lifecircle.core.log import get_logger
from lifecircle.core.spark import reuse
from lifecircle.feeds import FEEDS
from lifecircle.generate import activity, population, reference, render, truth
from lifecircle.generate.spec import ProvinceSpec

log = get_logger("generate")
# gzip level → the name of Hadoop's ZlibCompressor.CompressionLevel (`zlib.compress.level`)
GZIP_LEVELS = {1: "BEST_SPEED", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE", 6: "SIX", 7: "SEVEN", 8: "EIGHT",
               9: "BEST_COMPRESSION"}


def _local(path: str) -> str:
    return path[len("file:"):] if path.startswith("file:") else path


def file_names(spec: ProvinceSpec, feed: str) -> dict[int, str]:
    """fk → file path relative to the raw root, for every file of `feed`."""
    fs = FEEDS[feed]
    out: dict[int, str] = {}
    if fs.grain == "monthly":
        for i, m in enumerate(spec.months):
            out[i] = f"{feed}/{m}/" + fs.file_pattern.format(month=m.replace("-", ""))
        return out
    parts = spec.n_parts if "{part" in fs.file_pattern else 1
    for i, d in enumerate(spec.days()):
        for p in range(parts):
            out[i * parts + p] = f"{feed}/{d:%Y-%m-%d}/" + fs.file_pattern.format(date=d, part=p + 1)
    return out


def write_feeds(spark: SparkSession, records: dict[str, DataFrame], spec: ProvinceSpec, out: str) -> dict[str, int]:
    """Write the feeds' files under <out>/raw and their defects under <out>/truth/defects/feed=<feed> in a few
    Spark jobs (all feeds' lines in one plan: fixed per-job costs dominate small provinces); returns rows per feed."""
    names: dict[int, str] = {}
    parts = []
    base = 0
    for feed, rec in records.items():
        own = file_names(spec, feed)
        files = spark.createDataFrame([(k,) for k in own], "fk int")
        lines = render.to_lines(rec, feed, files, spec.seed, spec.defect_rate)
        parts.append(lines.select((F.col("fk") + base).alias("fk"), "o1", "o2", "dup", "value", "kind", F.lit(feed).alias("feed"),
                                  F.lit(FEEDS[feed].gzip).alias("gz")))
        names.update({base + k: v for k, v in own.items()})
        base += max(own) + 1
    lines = parts[0]
    for p in parts[1:]:
        lines = lines.unionByName(p)
    partitions = max(1, min(len(names), int(spark.conf.get("spark.sql.shuffle.partitions") or 8)))
    lines = reuse(render.number_lines(lines, partitions))
    for gz in (True, False):
        # already clustered by file: sorting inside the partitions is all the partitioned writer needs
        writer = (lines.where(F.col("gz") == gz).sortWithinPartitions("fk", "line")
                  .select("fk", "value").write.mode("overwrite").partitionBy("fk"))
        if gz:  # Hadoop's gzip codec reads its level from the write's Hadoop configuration
            writer = writer.option("compression", "gzip").option("zlib.compress.level", GZIP_LEVELS[spec.gzip_level])
        writer.text(f"{out}/_staging/{'gz' if gz else 'txt'}")
    files_df = spark.createDataFrame([(k, v) for k, v in names.items()], "fk int, file string")
    defects = lines.where(F.col("kind").isNotNull()).join(F.broadcast(files_df), "fk").select(
        "file", F.col("line").cast("int"), "kind", "feed")
    defects.coalesce(1).sortWithinPartitions("feed", "file", "line").write.mode("overwrite").partitionBy("feed").parquet(
        f"{out}/truth/defects")
    counts = {r["feed"]: int(r["n"]) for r in lines.where(F.col("line") > 1).groupBy("feed").agg(F.count("*").alias("n")).collect()}  # ok: one row per feed
    lines.unpersist()
    for sub in ("gz", "txt"):
        _move_parts(f"{out}/_staging/{sub}", f"{out}/raw", names)
    return {feed: counts.get(feed, 0) for feed in records}


def _move_parts(staging: str, raw: str, names: dict[int, str]) -> None:
    """Rename Spark's part files (one per fk folder) into the operator file names."""
    root = Path(_local(staging))
    for folder in sorted(root.glob("fk=*")):
        fk = int(folder.name.split("=", 1)[1])
        parts = [p for p in folder.iterdir() if p.name.startswith("part-")]
        if len(parts) != 1:
            raise RuntimeError(f"expected one part file in {folder}, found {len(parts)}")
        target = Path(_local(raw)) / names[fk]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(parts[0], target)
    shutil.rmtree(root)


@dataclass(frozen=True)
class Province:
    """Where a generated province lives: raw feeds, truth tables, and what it was generated from."""

    raw: str
    truth: str
    months: tuple[str, ...]
    seed: int
    n_subs: int


@contextmanager
def uncompressed_cache(spark: SparkSession) -> Iterator[None]:
    """Cache without column compression while generating: the cached frames hold random numbers and rendered,
    mostly unique text lines, where dictionary and run-length encoding find nothing, and gathering their
    statistics took about 6% of the feed writers' CPU (JFR on `tiny`). Restores the setting after."""
    key = "spark.sql.inMemoryColumnarStorage.compressed"
    before = spark.conf.get(key, None)
    spark.conf.set(key, "false")
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


def generate_province(spark: SparkSession, spec: ProvinceSpec, out: str,
                      only_feed_timings: dict[str, float] | None = None) -> tuple[Province, dict[str, int]]:
    """Generate every raw feed and truth table of the province under `out` (local path); returns rows per feed.

    With `only_feed_timings` (a dict to fill) each feed is written by itself and timed (benchmarks only)."""
    with uncompressed_cache(spark):
        return _generate_province(spark, spec, out, only_feed_timings)


def _generate_province(spark: SparkSession, spec: ProvinceSpec, out: str,
                       only_feed_timings: dict[str, float] | None) -> tuple[Province, dict[str, int]]:
    out = _local(out).rstrip("/")
    for sub in ("raw", "truth", "_staging"):
        shutil.rmtree(f"{out}/{sub}", ignore_errors=True)
    cells = reference.build_cells(spec)
    events = reference.build_events(spec, cells)
    ref_dir = Path(out) / "raw" / "ref"
    ref_dir.mkdir(parents=True, exist_ok=True)
    for name, text in reference.reference_files(cells, events).items():
        (ref_dir / name).write_bytes(text.encode("utf-8"))

    t0 = time.perf_counter()
    # materialised once: every feed reads a plain scan instead of re-planning the trait expressions
    population.subscribers(spark, spec, cells).write.mode("overwrite").parquet(f"{out}/_staging/subscribers")
    subs = spark.read.parquet(f"{out}/_staging/subscribers").persist(StorageLevel.MEMORY_AND_DISK)
    days = population.days_frame(spark, spec)
    sd = activity.sub_days(subs, days, spec).persist(StorageLevel.MEMORY_AND_DISK)
    sm = activity.sub_months(subs, spec)
    feeds = {
        "subscriber_profile": activity.profile(sm, spec, cells),
        "billing": activity.billing(sm, spec),
        "terminal": activity.terminal(sm, spec),
        "vas_orders": activity.vas_orders(sm, spec),
        "service_contacts": activity.service_contacts(sm, spec),
        "voice_cdr": activity.voice_cdr(sd, subs, spec),
        "sms": activity.sms(sd, subs, spec),
        "data_usage": activity.data_usage(sd, spec),
        "signalling": activity.signalling(sd, spec, cells, events, spark),
    }
    feeds = {k: v.drop("sid") for k, v in feeds.items()}
    log.info("population of %d subscribers and %d sub-days in %.1fs", spec.n_subs, sd.count(), time.perf_counter() - t0)
    t0 = time.perf_counter()
    if only_feed_timings is None:
        counts = write_feeds(spark, feeds, spec, out)
    else:  # the benchmark: one feed at a time, timed
        counts = {}
        for feed, records in feeds.items():
            t0 = time.perf_counter()
            counts.update(write_feeds(spark, {feed: records}, spec, out))
            only_feed_timings[feed] = time.perf_counter() - t0
    for feed, n in counts.items():
        log.info("generated %s: %d rows", feed, n)
    log.info("feeds written in %.1fs", time.perf_counter() - t0)
    t0 = time.perf_counter()
    sd.unpersist()
    dup = _deliver_twice(spec, out)
    cells_df = truth.cells_frame(spark, cells)
    t = f"{out}/truth"
    tables = {
        "subscribers": truth.subscribers_truth(subs, spec, cells_df).orderBy("subscriber_index"),
        "communities": truth.communities_truth(subs).orderBy("community_id"),
        "propensities": truth.propensities_truth(subs).orderBy("msisdn", "product_id"),
        "association_rules": truth.rules_truth(spark),
        "campaign_response": truth.campaign_response_truth(subs, spec).orderBy("msisdn", "offer_id"),
        "duplicate_files": spark.createDataFrame([dup], "feed string, file string, duplicate_of string"),
    }
    for name, df in tables.items():
        df.coalesce(1).write.mode("overwrite").parquet(f"{t}/{name}")
    subs.unpersist()
    shutil.rmtree(f"{out}/_staging", ignore_errors=True)
    log.info("truth tables written in %.1fs", time.perf_counter() - t0)
    return Province(f"{out}/raw", t, spec.months, spec.seed, spec.n_subs), counts


def _deliver_twice(spec: ProvinceSpec, out: str) -> tuple[str, str, str]:
    """Copy one SMS file (same bytes) under the next part number in its day folder: a re-delivered file."""
    names = file_names(spec, "sms")
    rnd = random.Random(spec.seed * 31 + 5)
    fk = rnd.randrange(len(names))
    original = names[fk]
    d = spec.days()[fk // spec.n_parts]
    copy = f"sms/{d:%Y-%m-%d}/" + FEEDS["sms"].file_pattern.format(date=d, part=spec.n_parts + 1)
    shutil.copyfile(f"{out}/raw/{original}", f"{out}/raw/{copy}")
    return ("sms", copy, original)
