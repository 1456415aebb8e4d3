"""The one SparkSession builder: Delta, the JVM packages, checkpoints, warehouse and tuning from config.

Composed of small builder functions, the way Delta's `configure_spark_with_delta_pip` composes,
so that local mode, `spark-submit --master spark://...|yarn|k8s://...` and tests share one code path.
"""

from __future__ import annotations

import glob
import os
import sys
from typing import Any

from pyspark import SparkConf
from pyspark.sql import DataFrame, SparkSession

from lifecircle.core.config import Config
from lifecircle.core.paths import is_uri, project_root, resolve

DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"


def jvm_jars(cfg: Config) -> list[str]:
    """Jar files to put on the classpath: everything in `spark.jars_dir` plus `spark.jars`."""
    jars: list[str] = []
    jars_dir = cfg.get("spark.jars_dir", None)
    if jars_dir:
        jars += sorted(glob.glob(os.path.join(resolve(jars_dir), "*.jar")))
    jars += [j if is_uri(j) else resolve(j) for j in cfg.get("spark.jars", []) or []]
    return jars


def spark_settings(cfg: Config, app_name: str) -> dict[str, str]:
    """Every `spark.*` setting the session gets, as plain strings (also used to build spark-submit lines)."""
    s = cfg.section("spark")
    settings: dict[str, Any] = {
        "spark.app.name": f"{s.get('app_prefix', 'lifecircle')}-{app_name}",
        "spark.sql.extensions": DELTA_EXTENSION,
        "spark.sql.catalog.spark_catalog": DELTA_CATALOG,
        "spark.sql.shuffle.partitions": s.get("shuffle_partitions", 8),
        # Generated code is cached by its source text, and a month's job rebuilds the same plans with other literals.
        # Spark's default of 100 entries is smaller than one job's ~450 classes, so the LRU cache never hit and
        # every run compiled (Janino) and JIT-compiled everything again: measured in one JVM, a repeated
        # life_circle month 22.8 → 17.4 s and 446 → 48 compilations, a social_graph month 30.8 → 21.7 s.
        "spark.sql.codegen.cache.maxEntries": s.get("codegen_cache_entries", 4000),
        "spark.sql.session.timeZone": s.get("time_zone", "Asia/Shanghai"),
        "spark.sql.warehouse.dir": resolve(cfg.get("paths.warehouse")),
        "spark.driver.memory": s.get("driver_memory", "4g"),
        "spark.ui.enabled": str(bool(s.get("ui_enabled", True))).lower(),
        "spark.ui.showConsoleProgress": str(bool(s.get("console_progress", False))).lower(),
        # Delta's snapshot reconstruction otherwise fans out to 50 tasks per table read.
        "spark.databricks.delta.snapshotPartitions": s.get("delta_snapshot_partitions", 2),
        # With a non-UTC session time zone Delta re-verifies every file listed in the commit checksum after each
        # commit (one more Spark job per write); the incremental checksum itself stays on.
        "spark.databricks.delta.allFilesInCrc.verificationMode.forceOnNonUTC.enabled": "false",
        # Delta's optimized writes: one shuffle before each write bins rows by partition value into files of up to
        # binSize, so a month of a daily table is ~one file per day instead of one per task per day (8x fewer files
        # to list, open and track in the Delta state; measured: 24 → 3 files for 300k rows over 3 days, no slower).
        "spark.databricks.delta.optimizeWrite.enabled": str(bool(s.get("optimize_write", True))).lower(),
        # PySpark records the Python line of every DataFrame function call for error context: about five py4j round
        # trips per call (building the generator's plan: 52,600 round trips, 12.0 s; without: 21,900, 5.9 s).
        "spark.python.sql.dataFrameDebugging.enabled": str(bool(s.get("python_call_sites", False))).lower(),
        # PySpark 4.2's Arrow Python UDF input path hung in measurements (docs/PERFORMANCE facts).
        "spark.sql.execution.arrow.pythonUDF.columnarInput.enabled": "false",
    }
    # JIT settings (spark.jvm_options) go to the driver, which in local mode also runs the tasks, and to executors
    jvm = [str(o) for o in s.get("jvm_options") or []]
    if jvm:
        settings["spark.executor.extraJavaOptions"] = " ".join(jvm)
    log4j = project_root() / "conf" / "log4j2.properties"
    if log4j.exists() and s.get("quiet_logs", True):
        jvm = [f"-Dlog4j.configurationFile=file:{log4j}", *jvm]
    if jvm:
        settings["spark.driver.extraJavaOptions"] = " ".join(jvm)
    jars = jvm_jars(cfg)
    if jars:
        settings["spark.jars"] = ",".join(jars)
    packages = s.get("packages") or []
    if packages:
        settings["spark.jars.packages"] = ",".join(packages)
    for key, value in (s.get("conf") or {}).items():
        settings[key] = value
    return {k: str(v) for k, v in settings.items()}


def build_session(app_name: str, cfg: Config, master: str | None = None) -> SparkSession:
    """Create (or join) the SparkSession for `app_name` configured from `cfg`.

    Under spark-submit the master and the shipped jars come from the command line; settings already
    present in the launcher's SparkConf win over config so the submit line stays the source of truth.
    """
    if os.environ.get("PYSPARK_GATEWAY_PORT"):  # launched by spark-submit: its JVM holds the submit conf
        from pyspark import SparkContext

        SparkContext._ensure_initialized()
    launched = SparkConf()  # spark-submit's settings when launched by it, empty otherwise
    settings = spark_settings(cfg, app_name)
    submitted_jars = launched.get("spark.jars", "")
    if submitted_jars:
        settings["spark.jars"] = ",".join(x for x in [submitted_jars, settings.get("spark.jars", "")] if x)
    builder = SparkSession.builder
    chosen_master = master or launched.get("spark.master", None) or cfg.get("spark.master")
    if chosen_master.startswith("local"):  # Python workers use this interpreter (the project's .venv)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = builder.master(chosen_master)
    for key, value in settings.items():
        if key in ("spark.jars",) or not launched.contains(key):
            builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(cfg.get("spark.log_level", "WARN"))
    checkpoint = cfg.get("paths.checkpoints")
    spark.sparkContext.setCheckpointDir(checkpoint if is_uri(checkpoint) else resolve(checkpoint))
    return spark


def reuse(df: DataFrame) -> DataFrame:
    """`df`, computed on first use and then read back by every later use (what `.cache()` is for).

    In local mode a lazy in-memory local checkpoint: later plans start from a plain scan of its blocks, so
    they stay small, and a Delta commit no longer re-analyses it (every Delta write re-checks each cached plan,
    loading the snapshots of the tables it read: measured, a life_circle month 45 → 24 s warm). On a cluster,
    where an executor and its blocks can go away, `cache()`, which Spark recomputes when blocks are lost.
    """
    if df.sparkSession.sparkContext.master.startswith("local"):
        return df.localCheckpoint(eager=False)
    return df.cache()


def release_memory(spark: SparkSession) -> None:
    """Drop cached tables and let the JVM collect dead local checkpoints and broadcasts now (between jobs
    sharing one session), instead of waiting for Spark's 30-minute periodic cleaner GC."""
    import gc

    spark.catalog.clearCache()
    gc.collect()  # ok: Python garbage collection (not a Spark collect), frees finished jobs' DataFrame proxies first
    spark.sparkContext._jvm.System.gc()  # type: ignore[attr-defined]
