"""Bronze → silver: typed, deduplicated (repeats quarantined as duplicate_record), pseudonymised tables.

`--month M` processes every daily partition of M, the monthly snapshot of M and the reference
catalogues written to bronze since silver's last copy; `--date D` one day of the daily feeds (and the reference
catalogues); `--months A:B` (a backfill: the demo, a first load of history) every month from A to B in one pass,
with the same result as one `--month` run per month at a fixed cost per table instead of per table and month.
Each silver table is replaced only for the period (replaceWhere), so reruns leave it identical. Duplicates are
looked for within the run's day or month. The pseudonymisation key comes from the environment (privacy.pii_key_env).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lifecircle.core.delta_io import last_commit_millis, sql_literal
from lifecircle.core.errors import LifecircleError
from lifecircle.core.periods import month_bounds, month_range
from lifecircle.core.spark import reuse
from lifecircle.feeds import FEEDS
from lifecircle.ingest.bronze import quarantine_rows
from lifecircle.ingest.privacy import pii_key
from lifecircle.ingest.schemas import RECONCILIATION
from lifecircle.ingest.silver import SILVER_OF, conform, mark_duplicates
from lifecircle.runtime import MONTHS_ARG, JobContext, job


def _period_filter(feed: str, date: str | None, months: list[str]) -> tuple[str, str, str] | None:
    """(bronze predicate, silver predicate, quarantine period predicate) for the feed, or None to skip it.
    `months` is empty for a `--date` run."""
    grain = FEEDS[feed].grain
    if grain == "reference":
        return "true", "true", "true"
    if grain == "monthly":
        if not months:
            return None
        ms = ", ".join(sql_literal(m) for m in months)
        return f"month IN ({ms})", f"month IN ({ms})", f"period IN ({ms})"
    if date:  # bronze and silver are partitioned by month: the month prunes, the date picks the day
        d = sql_literal(date)
        m = sql_literal(date[:7])
        return f"month = {m} AND date = {d}", f"month = {m} AND date = DATE{d}", f"period = {d}"
    first, last = month_bounds(months[0])[0].isoformat(), month_bounds(months[-1])[1].isoformat()
    ms = ", ".join(sql_literal(m) for m in months)
    return f"month IN ({ms})", f"month IN ({ms})", f"period >= '{first}' AND period < '{last}'"


def _reference_changed(ctx: JobContext, feed: str) -> bool:
    """A monthly run conforms a reference catalogue again only when bronze was written after silver (the daily
    runs, `--date`, always do): the month's feeds do not change it, and each rewrite is a Delta commit."""
    bronze = last_commit_millis(ctx.spark, ctx.spec(f"bronze.{feed}").path(ctx.cfg))
    silver = last_commit_millis(ctx.spark, ctx.spec(SILVER_OF[feed]).path(ctx.cfg))
    return silver == 0 or bronze >= silver


def _month_of(feed: str) -> F.Column | None:
    """The bronze record's month, so that a multi-month run looks for duplicates within each month as --month does."""
    grain = FEEDS[feed].grain
    return F.substring("date", 1, 7) if grain == "daily" else F.col("month") if grain == "monthly" else None


@job("silver", description=__doc__, args=[MONTHS_ARG])
def main(ctx: JobContext) -> None:
    date, month, span = ctx.args.date, ctx.args.month, ctx.args.months
    if sum(bool(x) for x in (date, month, span)) != 1:
        raise LifecircleError("job silver needs --month YYYY-MM, --date YYYY-MM-DD or --months YYYY-MM:YYYY-MM (one of them)")
    months = month_range(span) if span else [month] if month else []

    def batch_of(period: str) -> str:
        """One batch per month (or day) whatever the run covered: a later rerun of one month replaces its rows."""
        return f"silver:{date}" if date else f"silver:{period[:7] or months[-1]}"
    isec = ctx.cfg.section("ingest")
    key = pii_key(ctx.cfg.get("privacy.pii_key_env", "LIFECIRCLE_PII_KEY"))
    now = dt.datetime.now().replace(microsecond=0)
    keys_cfg: dict[str, Any] = isec.get("dedup_keys") or {}
    quarantines: list[DataFrame] = []
    q_preds: list[str] = []
    recon: list[dict[str, Any]] = []
    persisted: list[DataFrame] = []
    expected_q = 0
    try:
        for feed in FEEDS:
            preds = _period_filter(feed, date, months)
            if preds is None or not ctx.exists(f"bronze.{feed}"):
                if preds is not None:
                    ctx.log.warning("bronze.%s does not exist yet: silver skips it", feed)
                continue
            bronze_pred, silver_pred, q_pred = preds
            if FEEDS[feed].grain == "reference" and months and not _reference_changed(ctx, feed):
                ctx.log.info("%s unchanged since bronze.%s was last written: kept", SILVER_OF[feed], feed)
                continue
            keys = keys_cfg.get(feed) or FEEDS[feed].column_names
            bronze = ctx.read(f"bronze.{feed}").where(bronze_pred)
            marked = reuse(mark_duplicates(bronze, keys, _month_of(feed) if span else None))
            persisted.append(marked)
            stats = marked.groupBy("source_file", F.col("reason").isNull().alias("kept")).count().collect()  # ok: files x kept, a few hundred rows
            per_file: dict[str, list[int]] = {}
            for s in stats:
                per_file.setdefault(s["source_file"], [0, 0])[0 if s["kept"] else 1] += int(s["count"])
            kept = sum(v[0] for v in per_file.values())
            dups = sum(v[1] for v in per_file.values())
            table = SILVER_OF[feed]
            rows = conform(feed, marked.where(F.col("reason").isNull()), key, isec)
            mode = "overwrite" if FEEDS[feed].grain == "reference" else None
            written = ctx.write(table, rows, mode=mode, where=None if mode else silver_pred)
            if written != kept:
                raise LifecircleError(f"{table} commit wrote {written} rows, expected {kept}")
            quarantines.append(quarantine_rows(marked, feed, "silver", None, now))
            q_preds.append(f"(feed = {sql_literal(feed)} AND {q_pred})")
            expected_q += dups
            ctx.reject(dups)
            for path, (k, d) in sorted(per_file.items()):
                period = "" if FEEDS[feed].grain == "reference" else path.split("/")[1]
                recon.append({"batch_id": batch_of(period), "stage": "silver", "feed": feed,
                              "source_file": path, "period": period, "lines_read": k + d, "accepted": k,
                              "quarantined": d, "balanced": "yes", "recorded_at": now})
        if quarantines:
            q = quarantines[0]
            for other in quarantines[1:]:
                q = q.unionByName(other)
            got = ctx.write("meta.quarantine", q, where=f"stage = 'silver' AND ({' OR '.join(q_preds)})")
            if got != expected_q:
                raise LifecircleError(f"meta.quarantine commit wrote {got} rows, expected {expected_q}")
        if recon:  # the batch id is the period: a rerun replaces its rows instead of adding a second set
            ctx.write("meta.reconciliation", ctx.spark.createDataFrame(
                [tuple(r[f.name] for f in RECONCILIATION.fields) for r in recon], RECONCILIATION),
                merge_keys=["batch_id", "stage", "feed", "source_file"])
    finally:
        for df in persisted:
            df.unpersist()


if __name__ == "__main__":
    raise SystemExit(main())
