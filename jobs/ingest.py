"""Ingest raw operator files into bronze Delta tables, exactly once, with quarantine, reconciliation and DQ.

`--feed <name>[,<name>...]|all` and `--date D` (that day's daily files, plus that month's monthly files and the
reference snapshots when present) or `--month M` (every day of M); without a period every file not yet
in meta.file_manifest is ingested. Order inside a run: reference → monthly → daily (cells first, so that
unknown_cell can be checked), bronze per feed, then quarantine, reconciliation, DQ results and, last,
the manifest: a run killed before the manifest commit is redone by the rerun (replaceWhere on source_file).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError, LifecircleError
from lifecircle.core.periods import month_bounds
from lifecircle.core.spark import reuse
from lifecircle.feeds import FEEDS, feed_folder
from lifecircle.ingest import quality, raw, rules
from lifecircle.ingest.bronze import (
    Decision,
    batch_id_of,
    bronze_rows,
    file_predicate,
    plan_files,
    quarantine_rows,
    unchanged,
)
from lifecircle.ingest.schemas import DQ_RESULTS, MANIFEST, RECONCILIATION, bronze_partition
from lifecircle.runtime import JobContext, job

GRAIN_ORDER = {"reference": 0, "monthly": 1, "daily": 2}


def _days(month: str) -> list[str]:
    first, last = month_bounds(month)
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days)]


def scope(feeds: list[str], date: str | None, month: str | None) -> dict[str, list[str]]:
    """feed → the period folders this run reads (['*'] = every file of the feed; [''] = reference)."""
    out: dict[str, list[str]] = {}
    for f in feeds:
        grain = FEEDS[f].grain
        if grain == "reference":
            out[f] = [""]
        elif not date and not month:
            out[f] = ["*"]
        elif grain == "daily":
            out[f] = [date] if date else _days(month or "")
        else:
            out[f] = [(date or "")[:7] or month or ""]
    return out


def _list(ctx: JobContext, raw_root: str, feed: str, periods: list[str]) -> dict[str, list[raw.RawFile]]:
    found: dict[str, list[raw.RawFile]] = {}
    for p in periods:
        if FEEDS[feed].grain == "reference":
            files = [f for f in raw.list_files(ctx.spark, raw_root, "ref") if f.feed == feed]
        elif p == "*":
            files = raw.list_files(ctx.spark, raw_root, feed)
        else:
            files = raw.list_files(ctx.spark, raw_root, f"{feed}/{p}")
        found[p] = files
    return found


def _manifest_rows(ctx: JobContext) -> list[dict[str, Any]]:
    m = ctx.read_optional("meta.file_manifest")
    if m is None:
        return []
    return [r.asDict() for r in m.select(
        "path", "sha256", "size", "modified_ms", "status", "feed", "period", "rows_accepted").collect()]  # ok: one row per raw file


@job("ingest", description=__doc__, args=[
    (["--feed"], {"default": "all", "help": "feed name (libs/lifecircle/feeds.py), several joined by commas, or all"}),
])
def main(ctx: JobContext) -> None:
    wanted = list(FEEDS) if ctx.args.feed == "all" else [f.strip() for f in ctx.args.feed.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FEEDS]
    if unknown or not wanted:
        raise LifecircleError(f"unknown feed {', '.join(unknown) or repr(ctx.args.feed)} (known: all, {', '.join(FEEDS)})")
    date, month = ctx.args.date, ctx.args.month
    if date and month:
        raise LifecircleError("give --date or --month, not both")
    isec = ctx.cfg.section("ingest")
    qrules = quality.parse_rules(ctx.cfg.section("quality"))
    feeds = sorted(set(wanted), key=lambda f: (GRAIN_ORDER[FEEDS[f].grain], f))
    raw_root = ctx.cfg.get("paths.raw")
    base = raw.root_uri(ctx.spark, raw_root)
    now = dt.datetime.now().replace(microsecond=0)
    prefixes = rules.mobile_prefixes(isec.get("msisdn_prefixes", "all"))

    # 1. what is there, and what is new
    listing = {f: _list(ctx, raw_root, f, ps) for f, ps in scope(feeds, date, month).items()}
    for named in ([] if ctx.args.feed == "all" or not (date or month) else feeds):
        if not any(listing[named].values()):
            where = feed_folder(raw_root, named, date or month or "")
            raise InputError(f"no raw file of feed {named} for {date or month}: expected {where}/{FEEDS[named].file_pattern}")
    files = [f for per in listing.values() for fs in per.values() for f in fs]
    manifest = _manifest_rows(ctx)
    same = unchanged(files, manifest)
    todo = [f for f in files if f.rel not in same]
    raw.check_readable(ctx.spark, todo)
    hashes = raw.file_hashes(ctx.spark, todo)
    # identical bytes mark a re-delivery only when there is data: every quiet day's header-only file is alike
    seen = Counter(hashes.values()) + Counter(str(m["sha256"]) for m in manifest if m["status"] == "ingested")
    no_data = raw.without_data(ctx.spark, [f for f in todo if seen[hashes[f.rel]] > 1])
    decisions = plan_files(todo, hashes, manifest, no_data)
    by_feed: dict[str, list[Decision]] = defaultdict(list)
    for d in decisions:
        by_feed[d.file.feed].append(d)
    ctx.log.info("%d files in scope: %d unchanged, %s", len(files), len(same),
                 ", ".join(f"{k}={v}" for k, v in sorted(_count(decisions).items())) or "nothing new")

    dq: list[dict[str, Any]] = []
    recon: list[dict[str, Any]] = []
    manifest_out: list[dict[str, Any]] = []
    quarantines: list[DataFrame] = []
    persisted: list[DataFrame] = []
    q_paths: list[str] = []
    expected_quarantined = 0
    dq_written = False

    # completeness: expected files per period (only when a period was asked for)
    for f in feeds:
        for r in qrules:
            if r.check == "expected_files" and f in r.feeds and (date or month) and FEEDS[f].grain != "reference":
                periods = listing[f]
                missing = [p for p, fs in periods.items() if not fs]
                detail = f"missing: {', '.join(feed_folder(raw_root, f, p) for p in missing[:3])}" if missing else ""
                dq.append(quality.result_row(r, f, date or month or "", len(periods), len(missing), detail))

    try:
        quality.gate(dq)  # a missing daily file stops the run before anything is written
        for feed in feeds:
            todo_f = [d for d in by_feed.get(feed, []) if d.action in ("ingest", "replace")]
            for d in by_feed.get(feed, []):
                if d.action == "duplicate":
                    manifest_out.append(_mrow(d, "duplicate_file", "", now, None))
                    ctx.log.warning("%s has the same bytes as %s: recorded as duplicate_file", d.file.rel, d.duplicate_of)
            if not todo_f:
                continue
            batch = batch_id_of(feed, [(d.file.rel, d.sha256) for d in todo_f])
            lines = raw.read_lines(ctx.spark, [d.file for d in todo_f], base)
            cells = ctx.read("bronze.cells").select("cell_id") if ctx.exists("bronze.cells") else None
            frules = rules.feed_rules(isec, feed)
            if frules.cell_column and cells is None:
                ctx.log.warning("no cell catalogue (bronze.cells) yet: unknown_cell not checked for %s", feed)
            classified = reuse(rules.classify(lines, feed, frules, prefixes, cells))
            persisted.append(classified)

            # one aggregation: per file and reason, rows, last line, and the row rules' failures
            row_rules = [r for r in qrules if r.check in quality.ROW_CHECKS and feed in r.feeds]
            aggs = [F.count(F.lit(1)).alias("_n"), F.max("line_number").alias("_last")] + [
                F.sum(F.when(quality._row_failure(r, feed), 1).otherwise(0)).alias(f"_r{i}")
                for i, r in enumerate(row_rules)
            ]
            stats = classified.groupBy("source_file", "reason").agg(*aggs).collect()  # ok: files x reasons
            per_file: dict[str, dict[str, Any]] = {
                d.file.rel: {"read": 0, "accepted": 0, "quarantined": 0, "last": 1, "reasons": {}} for d in todo_f
            }
            rule_fail = [0] * len(row_rules)
            for s in stats:
                pf = per_file[s["source_file"]]
                pf["last"] = max(pf["last"], int(s["_last"]))
                if s["reason"] is None:
                    pf["accepted"] += int(s["_n"])
                    rule_fail = [a + int(s[f"_r{i}"] or 0) for i, a in enumerate(rule_fail)]
                else:
                    pf["quarantined"] += int(s["_n"])
                    pf["reasons"][s["reason"]] = pf["reasons"].get(s["reason"], 0) + int(s["_n"])
            accepted_total = sum(p["accepted"] for p in per_file.values())
            for i, r in enumerate(row_rules):
                dq.append(quality.result_row(r, feed, _period_label(todo_f), accepted_total, rule_fail[i]))

            # lines read (header excluded) must equal accepted + quarantined, for every file
            feed_reasons: dict[str, int] = defaultdict(int)
            for d in todo_f:
                pf = per_file[d.file.rel]
                pf["read"] = pf["last"] - 1
                balanced = pf["read"] == pf["accepted"] + pf["quarantined"]
                recon.append({"batch_id": batch, "stage": "bronze", "feed": feed, "source_file": d.file.rel,
                              "period": d.file.period, "lines_read": pf["read"], "accepted": pf["accepted"],
                              "quarantined": pf["quarantined"], "balanced": "yes" if balanced else "no",
                              "recorded_at": now})
                if not balanced:
                    raise LifecircleError(
                        f"reconciliation failed for {d.file.rel}: {pf['read']} lines read != "
                        f"{pf['accepted']} accepted + {pf['quarantined']} quarantined")
                for k, v in pf["reasons"].items():
                    feed_reasons[k] += v
                manifest_out.append(_mrow(d, "ingested", batch, now, pf))
                if d.action == "replace":
                    old = Decision(d.file, d.previous_sha256 or "", "replace")
                    manifest_out.append({**_mrow(old, "replaced", batch, now, None), **_old_counts(manifest, old)})

            read_total = sum(p["read"] for p in per_file.values())
            for name, (checked, failed) in quality.measure_quarantine(qrules, feed, read_total, feed_reasons).items():
                rule = next(r for r in qrules if r.name == name)
                dq.append(quality.result_row(rule, feed, _period_label(todo_f), checked, failed))

            # volume vs the trailing median of earlier periods (daily feeds; manifest history + this batch)
            totals = _period_totals(manifest, feed, set(per_file))
            for d in todo_f:
                totals[d.file.period] = totals.get(d.file.period, 0) + per_file[d.file.rel]["accepted"]
            for r in qrules:
                if r.check == "volume" and feed in r.feeds and FEEDS[feed].grain == "daily":
                    for period in sorted({d.file.period for d in todo_f}):
                        hist = [totals[p] for p in sorted(totals) if p < period]
                        checked, failed, detail = quality.measure_volume(r, totals[period], hist)
                        dq.append(quality.result_row(r, feed, period, checked, failed, detail))

            quality.gate([x for x in dq if x["feed"] == feed])
            part = bronze_partition(feed)
            periods = {d.file.period[:7] for d in todo_f}  # the files' months (bronze's partitions)
            pred = file_predicate([d.file.rel for d in todo_f], part[0] if part else None, periods)
            written = ctx.write(f"bronze.{feed}", bronze_rows(classified, feed, batch, now), where=pred)
            if written != accepted_total:
                raise LifecircleError(f"bronze.{feed} commit wrote {written} rows, expected {accepted_total} accepted")
            quarantines.append(quarantine_rows(classified, feed, "bronze", batch, now))
            q_paths += [d.file.rel for d in todo_f]
            expected_quarantined += sum(p["quarantined"] for p in per_file.values())
            ctx.reject(sum(p["quarantined"] for p in per_file.values()))

        batch_all = batch_id_of("ingest", [(m["path"], m["sha256"]) for m in manifest_out]) if manifest_out else "-"
        if quarantines:
            q = quarantines[0]
            for other in quarantines[1:]:
                q = q.unionByName(other)
            qpred = f"stage = 'bronze' AND {file_predicate(q_paths)}"
            got = ctx.write("meta.quarantine", q, where=qpred)
            if got != expected_quarantined:
                raise LifecircleError(f"meta.quarantine commit wrote {got} rows, expected {expected_quarantined}")
        if recon:
            ctx.write("meta.reconciliation", ctx.spark.createDataFrame(
                [tuple(r[f.name] for f in RECONCILIATION.fields) for r in recon], RECONCILIATION), mode="append")
        _write_dq(ctx, dq, batch_all, now)
        dq_written = True
        print(quality.summary(dq))
        quality.gate(dq)
        if manifest_out:
            ctx.write("meta.file_manifest", ctx.spark.createDataFrame(
                [tuple(r[f.name] for f in MANIFEST.fields) for r in manifest_out], MANIFEST),
                merge_keys=["path", "sha256"])
    except LifecircleError:
        if dq and not dq_written:
            _write_dq(ctx, dq, "-", now)
            print(quality.summary(dq))
        raise
    finally:
        for df in persisted:
            df.unpersist()


def _count(decisions: list[Decision]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for d in decisions:
        out[d.action] += 1
    return dict(out)


def _period_label(decisions: list[Decision]) -> str:
    periods = sorted({d.file.period for d in decisions})
    return periods[0] if len(periods) == 1 else (f"{periods[0]}..{periods[-1]}" if periods else "")


def _mrow(d: Decision, status: str, batch: str, now: dt.datetime, pf: dict[str, Any] | None) -> dict[str, Any]:
    return {"path": d.file.rel, "sha256": d.sha256, "size": d.file.size, "modified_ms": d.file.modified,
            "feed": d.file.feed, "period": d.file.period, "status": status, "duplicate_of": d.duplicate_of,
            "batch_id": batch or "-", "rows_read": pf["read"] if pf else None,
            "rows_accepted": pf["accepted"] if pf else None, "rows_quarantined": pf["quarantined"] if pf else None,
            "recorded_at": now}


def _old_counts(manifest: list[dict[str, Any]], old: Decision) -> dict[str, Any]:
    """The replaced delivery keeps its size and mtime; its rows no longer count (they were replaced)."""
    for m in manifest:
        if m["path"] == old.file.rel and m["sha256"] == old.sha256:
            return {"size": m["size"], "modified_ms": m["modified_ms"], "rows_accepted": None}
    return {}


def _period_totals(manifest: list[dict[str, Any]], feed: str, exclude: set[str]) -> dict[str, int]:
    """Accepted rows per period of `feed` from the manifest's ingested files (minus those re-read now)."""
    totals: dict[str, int] = defaultdict(int)
    for m in manifest:
        if m["feed"] == feed and m["status"] == "ingested" and m["period"] and m["path"] not in exclude:
            totals[m["period"]] += int(m["rows_accepted"] or 0)
    return dict(totals)


def _write_dq(ctx: JobContext, dq: list[dict[str, Any]], batch: str, now: dt.datetime) -> None:
    if not dq:
        return
    rows = [tuple({**r, "batch_id": batch, "job": ctx.name, "recorded_at": now}[f.name] for f in DQ_RESULTS.fields)
            for r in dq]
    ctx.write("meta.dq_results", ctx.spark.createDataFrame(rows, DQ_RESULTS), mode="append")


if __name__ == "__main__":
    raise SystemExit(main())
