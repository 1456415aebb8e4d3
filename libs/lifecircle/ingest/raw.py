"""Raw files as delivered: listing, content hashes, and lines with their physical line numbers.

Line numbers are computed without collecting and without a per-file sort: every row gets
`monotonically_increasing_id()` straight after the text scan (ids are consecutive inside one input
split, and a split belongs to one file), Spark's file metadata tells which split (`file_block_start`)
a line came from, and a tiny per-(file, split) aggregate gives each split its offset in the file.
line = offset of the split + (id - first id of the split) + 1. Gzip files are one split; plain files
cut into several splits stay exact because Hadoop's line reader gives a line to the split it starts in.

Listing, the readability check and the hashes go through Hadoop's FileSystem API and Spark, except under a
local (`file:`) raw root, where the driver reads the directory itself: Hadoop's local listing costs ~8 ms of
py4j calls and `stat` per file (10 s for the demo's 1,312 files) and Spark's hash job lists them again.
Both paths give the same files, sizes, times and hashes (tests/ingest/test_rules.py).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError
from lifecircle.feeds import FEEDS, FeedSpec

GZIP_MAGIC = b"\x1f\x8b"
CSV_SPLIT = ',(?=(?:[^"]*"[^"]*")*[^"]*$)'  # a comma outside double quotes (RFC 4180)


@dataclass(frozen=True)
class RawFile:
    """One delivered file: path relative to the raw root, its URI, size, modification time (ms)."""

    rel: str
    uri: str
    size: int
    modified: int

    @property
    def feed(self) -> str:
        return feed_of(self.rel)

    @property
    def period(self) -> str:
        return period_of(self.rel)


def feed_of(rel: str) -> str:
    """`voice_cdr/2026-10-01/x.gz` → voice_cdr; `ref/cells.csv` → cells."""
    head, _, rest = rel.partition("/")
    if head == "ref":
        return rest.split("/")[-1].split(".")[0]
    return head


def period_of(rel: str) -> str:
    """The date/month folder of a daily/monthly file ('' for reference snapshots)."""
    parts = rel.split("/")
    return "" if parts[0] == "ref" or len(parts) < 3 else parts[1]


def name_regex(spec: FeedSpec, period: str) -> re.Pattern[str]:
    """The regular expression of the file names a feed's contract expects in a period folder."""
    pattern = re.escape(spec.file_pattern)
    compact = period.replace("-", "")
    pattern = pattern.replace(re.escape("{date:%Y%m%d}"), re.escape(compact) if spec.grain == "daily" else r"\d{8}")
    pattern = pattern.replace(re.escape("{month}"), re.escape(compact) if spec.grain == "monthly" else r"\d{6}")
    pattern = pattern.replace(re.escape("{part:04d}"), r"\d{4}")
    return re.compile(f"^{pattern}$")


def _fs(spark: SparkSession, path: str):
    jvm = spark._jvm  # type: ignore[attr-defined]
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    return hpath, hpath.getFileSystem(spark._jsc.hadoopConfiguration())  # type: ignore[attr-defined]


def root_uri(spark: SparkSession, raw_root: str) -> str:
    """The fully qualified URI of the raw root, the prefix stripped to make relative paths."""
    hpath, fs = _fs(spark, raw_root)
    return str(fs.makeQualified(hpath).toString()).rstrip("/")


def local_path(uri: str) -> str | None:
    """The local filesystem path of a `file:` URI (None for hdfs://, s3a://, ... URIs)."""
    if not uri.startswith("file:"):
        return None
    return "/" + uri[len("file:"):].lstrip("/")


def _keep(rel: str, name: str) -> bool:
    """Hidden and in-progress files (e.g. `_COPYING_`, `.crc`) and files outside the feeds are not deliveries."""
    return not name.startswith((".", "_")) and feed_of(rel) in FEEDS


def list_files(spark: SparkSession, raw_root: str, folder: str = "") -> list[RawFile]:
    """Every file under `<raw_root>/<folder>` (recursively) with size and mtime; [] if the folder is absent."""
    base = root_uri(spark, raw_root)
    local = local_path(base)
    if local is not None:
        return _list_local(base, local, folder)
    return _list_hadoop(spark, base, raw_root, folder)


def _list_local(base: str, local_root: str, folder: str) -> list[RawFile]:
    top = os.path.join(local_root, folder) if folder else local_root
    if not os.path.isdir(top):
        return []
    out = []
    for dirpath, _dirs, names in os.walk(top):
        for name in names:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, local_root).replace(os.sep, "/")
            if not _keep(rel, name):
                continue
            st = os.stat(path)
            out.append(RawFile(rel, f"{base}/{rel}", int(st.st_size), int(st.st_mtime_ns // 1_000_000)))
    return sorted(out, key=lambda f: f.rel)


def _list_hadoop(spark: SparkSession, base: str, raw_root: str, folder: str) -> list[RawFile]:
    target = f"{raw_root.rstrip('/')}/{folder}" if folder else raw_root
    hpath, fs = _fs(spark, target)
    if not fs.exists(hpath):
        return []
    out = []
    it = fs.listFiles(hpath, True)
    while it.hasNext():
        st = it.next()
        uri = str(st.getPath().toString())
        rel = uri[len(base) + 1:] if uri.startswith(base + "/") else uri
        if not _keep(rel, uri.rsplit("/", 1)[-1]):
            continue
        out.append(RawFile(rel, uri, int(st.getLen()), int(st.getModificationTime())))
    return sorted(out, key=lambda f: f.rel)


def _unreadable(f: RawFile, exc: Exception) -> InputError:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputError(f"raw file {f.rel} cannot be read: {msg[:200]}")


def check_readable(spark: SparkSession, files: list[RawFile]) -> None:
    """Open each file and read its first bytes; InputError naming the file if it cannot be read."""
    for f in files:
        local = local_path(f.uri)
        try:
            if local is not None:
                with open(local, "rb") as fh:
                    head = fh.read(2)
            else:
                hpath, fs = _fs(spark, f.uri)
                stream = fs.open(hpath)
                try:
                    head = bytes(b for b in (stream.read(), stream.read()) if b >= 0)
                finally:
                    stream.close()
        except Exception as exc:
            raise _unreadable(f, exc) from None
        if f.rel.endswith(".gz") and head != GZIP_MAGIC:
            raise InputError(f"raw file {f.rel} cannot be read: not a gzip file (bad magic bytes)")


def file_hashes(spark: SparkSession, files: list[RawFile]) -> dict[str, str]:
    """sha256 of each file's bytes keyed by relative path: read by the driver for local files, else computed on
    the executors (binaryFile + sha2)."""
    out = {}
    remote = []
    for f in files:
        local = local_path(f.uri)
        if local is None:
            remote.append(f)
            continue
        h = hashlib.sha256()
        with open(local, "rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                h.update(chunk)
        out[f.rel] = h.hexdigest()
    return {**out, **_spark_hashes(spark, remote)}


def _spark_hashes(spark: SparkSession, files: list[RawFile]) -> dict[str, str]:
    if not files:
        return {}
    by_uri = {f.uri: f.rel for f in files}
    rows = (
        spark.read.format("binaryFile").load([f.uri for f in files])
        .select("path", F.sha2(F.col("content"), 256).alias("sha256"))
        .collect()  # ok: one hash per delivered file
    )
    return {_rel_of(by_uri, r["path"]): r["sha256"] for r in rows}


def _rel_of(by_uri: dict[str, str], path: str) -> str:
    """The relative path of a file Spark reports by URI (possibly spelled differently from the listing's)."""
    rel = by_uri.get(path)
    if rel is None:
        rel = next((v for k, v in by_uri.items() if k.endswith(path.split(":", 1)[-1])), path)
    return rel


def without_data(spark: SparkSession, files: list[RawFile]) -> set[str]:
    """Relative paths of `files` that hold no data line (empty, or a header only), counted on the executors."""
    if not files:
        return set()
    by_uri = {f.uri: f.rel for f in files}
    counts = (
        spark.read.text([f.uri for f in files]).groupBy(F.col("_metadata.file_path").alias("path"))
        .agg(F.count(F.lit(1)).alias("n")).where(F.col("n") > 1).collect()  # ok: one count per delivered file
    )
    with_data = {_rel_of(by_uri, r["path"]) for r in counts}
    return {f.rel for f in files} - with_data


def read_lines(spark: SparkSession, files: list[RawFile], base_uri: str) -> DataFrame:
    """Text lines of `files` (gzip decompressed) → source_file (relative), line_number (1 = header), value."""
    scan = spark.read.text([f.uri for f in files]).select(
        F.col("value"),
        F.col("_metadata.file_path").alias("_path"),
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_id"),
    )
    blocks = scan.groupBy("_path", "_block").agg(F.count(F.lit(1)).alias("_n"), F.min("_id").alias("_first"))
    w = Window.partitionBy("_path").orderBy("_block").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    blocks = blocks.withColumn("_offset", F.sum("_n").over(w) - F.col("_n"))
    prefix = F.lit(base_uri + "/")
    return (
        scan.join(F.broadcast(blocks), ["_path", "_block"])
        .select(
            F.when(F.startswith(F.col("_path"), prefix), F.substring(F.col("_path"), len(base_uri) + 2, 100000))
            .otherwise(F.col("_path")).alias("source_file"),
            (F.col("_offset") + F.col("_id") - F.col("_first") + 1).cast("long").alias("line_number"),
            F.col("value"),
        )
    )


def split_fields(value: Column, spec: FeedSpec) -> Column:
    """The delimited fields of a line as an array (empty trailing fields kept; CSV quotes removed)."""
    if spec.delimiter == ",":
        raw = F.split(value, CSV_SPLIT, -1)
        return F.transform(
            raw, lambda x: F.when(x.rlike('^".*"$'), F.regexp_replace(F.regexp_replace(x, '^"|"$', ""), '""', '"'))
            .otherwise(x)
        )
    return F.split(value, re.escape(spec.delimiter), -1)
