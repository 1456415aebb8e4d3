"""Check a deployment end to end: the library imports on every executor, Delta writes and reads back,
and the native pseudonym expression agrees with the Python reference. Writes meta.selfcheck."""

from __future__ import annotations

from lifecircle.runtime import JobContext, job


def _executor_probe(index, rows):
    """Runs on the executors: proves the shipped `lifecircle` package and its dependencies import there."""
    import platform
    import socket

    import lifecircle
    from lifecircle.core.periods import add_months

    count = sum(1 for _ in rows)
    yield (int(index), socket.gethostname(), platform.python_version(), lifecircle.__version__,
           add_months("2026-10", 1), count)


@job("selfcheck", description=__doc__)
def main(ctx: JobContext) -> None:
    from pyspark.sql import functions as F

    from lifecircle.ingest.privacy import pseudonymise, pseudonymise_py

    parts = 4
    probes = ctx.spark.sparkContext.parallelize(range(400), parts).mapPartitionsWithIndex(_executor_probe)
    df = ctx.spark.createDataFrame(
        probes, "partition int, host string, python string, lifecircle_version string, next_month string, rows long")
    key = b"selfcheck-not-a-secret-key"
    sample = "13800138000"
    df = df.withColumn("pseudonym", pseudonymise(F.lit(sample), key)).withColumn(
        "pseudonym_matches", F.col("pseudonym") == F.lit(pseudonymise_py(sample, key)))
    ctx.write("meta.selfcheck", df, mode="overwrite")
    back = ctx.read("meta.selfcheck").agg(
        F.count("*").alias("n"), F.sum("rows").alias("rows"), F.min(F.col("pseudonym_matches").cast("int")).alias("ok"),
        F.countDistinct("host").alias("hosts")).first()
    if back["n"] != parts or back["rows"] != 400 or back["ok"] != 1:
        raise RuntimeError(f"selfcheck failed: {back.asDict()}")
    ctx.log.info("selfcheck ok: %d partitions on %d host(s)", back["n"], back["hosts"])


if __name__ == "__main__":
    raise SystemExit(main())
