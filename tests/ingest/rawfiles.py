"""Hand-made raw files that follow the feed contract (libs/lifecircle/feeds.py), for ingestion tests."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

from lifecircle.feeds import FEEDS, feed_folder


def file_name(feed: str, period: str, part: int = 1) -> str:
    spec = FEEDS[feed]
    compact = period.replace("-", "")
    name = spec.file_pattern.replace("{date:%Y%m%d}", compact).replace("{month}", compact)
    return name.replace("{part:04d}", f"{part:04d}")


def write_raw(root: Path, feed: str, period: str, lines: Sequence[str | bytes], part: int = 1,
              name: str | None = None, header: bool = True) -> str:
    """Write one raw file (header + `lines`) where the contract puts it; returns its path relative to root."""
    spec = FEEDS[feed]
    folder = Path(feed_folder(str(root), feed, period))
    folder.mkdir(parents=True, exist_ok=True)
    name = name or file_name(feed, period, part)
    body = b""
    if header:
        body += spec.delimiter.join(spec.column_names).encode("utf-8") + b"\n"
    for line in lines:
        body += (line if isinstance(line, bytes) else line.encode("utf-8")) + b"\n"
    path = folder / name
    path.write_bytes(gzip.compress(body, mtime=0) if name.endswith(".gz") else body)
    return str(path.relative_to(root))


CELLS = [
    "C001,121.47,31.23,S01,residential,\"阳光小区, 一期\",mid,ST1,D1,MC1,CB1,C002",
    "C002,121.48,31.24,S01,office_tower,金融大厦,,ST1,D1,MC1,CB1,C001 C003",
    "C003,121.49,31.25,S02,campus,大学城,,ST2,D2,MC1,CB1,",
]


def cdr(rid: str, msisdn: str = "13800000001", other: str = "13900000002", start: str = "2026-10-01 08:00:00",
        dur: str = "60", cell: str = "C001", direction: str = "MO", network: str = "on_net") -> str:
    return "|".join([rid, msisdn, other, direction, start, dur, "local", network, cell, "0"])
