"""Bronze: classified raw lines → bronze records and quarantine rows; the file manifest's decisions.

Exactly-once rests on the manifest (meta.file_manifest, keyed by path + sha256): a file whose path and
bytes are already there is skipped; the same bytes under another name are a `duplicate_file` and none
of their rows is read; a path delivered again with other bytes replaces that file's rows (bronze and
quarantine are written with replaceWhere on source_file, so a rerun after a crash replaces, never adds).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.feeds import FEEDS
from lifecircle.ingest.raw import RawFile, name_regex
from lifecircle.ingest.schemas import QUARANTINE, bronze_schema


@dataclass(frozen=True)
class Decision:
    """What to do with one delivered file: ingest | replace | duplicate | skip."""

    file: RawFile
    sha256: str
    action: str
    duplicate_of: str | None = None
    previous_sha256: str | None = None


def batch_id_of(feed: str, files: Iterable[tuple[str, str]]) -> str:
    """A deterministic batch id from the feed and its (path, sha256) pairs: a rerun gets the same id."""
    text = feed + "\n" + "\n".join(f"{p}:{h}" for p, h in sorted(files))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def unchanged(files: Sequence[RawFile], manifest: Sequence[Mapping[str, object]]) -> set[str]:
    """Paths whose size and modification time match a manifest row: skipped without hashing."""
    seen = {(m["path"], m["size"], m["modified_ms"]) for m in manifest if m["status"] in ("ingested", "duplicate_file")}
    return {f.rel for f in files if (f.rel, f.size, f.modified) in seen}


def plan_files(
    files: Sequence[RawFile], hashes: Mapping[str, str], manifest: Sequence[Mapping[str, object]],
    no_data: AbstractSet[str] = frozenset(),
) -> list[Decision]:
    """Decide each file's fate against the manifest rows (path, sha256, status) and the batch itself.

    Within a batch, a file whose name follows the feed's convention for its folder wins over a copy. Files in
    `no_data` (empty or header only: every quiet day of a feed has the same bytes) are never duplicates.
    """
    recorded = {(m["path"], m["sha256"]) for m in manifest if m["status"] in ("ingested", "duplicate_file")}
    active_by_hash = {m["sha256"]: m["path"] for m in manifest if m["status"] == "ingested"}
    active_by_path = {m["path"]: m["sha256"] for m in manifest if m["status"] == "ingested"}

    def conventional(f: RawFile) -> bool:
        spec = FEEDS[f.feed]
        return bool(name_regex(spec, f.period).match(f.rel.rsplit("/", 1)[-1]))

    out = []
    for f in sorted(files, key=lambda f: (not conventional(f), f.rel)):
        sha = hashes[f.rel]
        if (f.rel, sha) in recorded:
            out.append(Decision(f, sha, "skip"))
        elif sha in active_by_hash and active_by_hash[sha] != f.rel and f.rel not in no_data:
            out.append(Decision(f, sha, "duplicate", duplicate_of=active_by_hash[sha]))
        elif f.rel in active_by_path and active_by_path[f.rel] != sha:
            out.append(Decision(f, sha, "replace", previous_sha256=active_by_path[f.rel]))
            active_by_hash[sha] = f.rel
        else:
            out.append(Decision(f, sha, "ingest"))
            active_by_hash[sha] = f.rel
    return sorted(out, key=lambda d: d.file.rel)


def _partition_value(feed: str) -> F.Column:
    return F.element_at(F.split(F.col("source_file"), "/"), 2)


def bronze_rows(classified: DataFrame, feed: str, batch_id: str, ingested_at: dt.datetime) -> DataFrame:
    """Accepted classified lines → rows of `bronze.<feed>` (feed columns as strings, lineage, partition)."""
    schema = bronze_schema(feed)
    cols = []
    for f in schema.fields:
        if f.name == "ingested_at":
            cols.append(F.lit(ingested_at).cast("timestamp").alias(f.name))
        elif f.name == "batch_id":
            cols.append(F.lit(batch_id).alias(f.name))
        elif f.name == "date":
            cols.append(_partition_value(feed).alias(f.name))
        elif f.name == "month":
            cols.append(F.substring(_partition_value(feed), 1, 7).alias(f.name))
        else:
            cols.append(F.col(f.name).cast(f.dataType).alias(f.name))
    return classified.where(F.col("reason").isNull()).select(*cols)


def quarantine_rows(
    rejected: DataFrame, feed: str, stage: str, batch_id: str | None, at: dt.datetime,
) -> DataFrame:
    """Rows with a `reason` (source_file, line_number, raw_line, reason, detail) → meta.quarantine rows."""
    period = F.lit("") if FEEDS[feed].grain == "reference" else _partition_value(feed)
    values = {
        "feed": F.lit(feed), "stage": F.lit(stage), "period": period, "batch_id": F.lit(batch_id).cast("string"),
        "quarantined_at": F.lit(at).cast("timestamp"),
    }
    return rejected.where(F.col("reason").isNotNull()).select(
        *[values.get(f.name, F.col(f.name)).cast(f.dataType).alias(f.name) for f in QUARANTINE.fields]
    )


def file_predicate(paths: Iterable[str], partition: str | None = None, periods: Iterable[str] = ()) -> str:
    """`source_file IN (...)` (plus the partition values, so Delta prunes) for replaceWhere."""
    from lifecircle.core.delta_io import sql_literal

    files = ", ".join(sql_literal(p) for p in sorted(set(paths)))
    pred = f"source_file IN ({files})"
    periods = sorted(set(periods))
    if partition and periods:
        pred = f"`{partition}` IN ({', '.join(sql_literal(p) for p in periods)}) AND {pred}"
    return pred
