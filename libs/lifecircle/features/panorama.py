"""Panorama transforms: silver facts of a month (or a run of months) → `gold.usage_monthly` rows → `gold.panorama`
rows.

Each fact table is aggregated once (voice and SMS first per subscriber × contact pair, so distinct contacts come
from the pairs instead of a distinct count), grouped by subscriber and month so that a range of months is one
pass; 3-month features come from `gold.usage_monthly`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError
from lifecircle.core.month_keys import key_subject, keyed, month_of, shift_month
from lifecircle.core.periods import add_months, month_bounds
from lifecircle.features import catalog as C
from lifecircle.ingest.silver_schemas import SUBSCRIBER


def require_columns(df: DataFrame, columns: Iterable[str], table: str) -> None:
    """Raise InputError naming the table and the columns it lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"{table} lacks column(s) {', '.join(missing)} needed by the panorama")


def _exprs(features: Sequence[C.Feature]) -> list[Column]:
    return [F.expr(f.expr).alias(f.name) for f in features]


def _measures(measures: Mapping[str, str]) -> list[Column]:
    return [F.sum(F.expr(e)).cast("long").alias(n) for n, e in measures.items()]


def _add(df: DataFrame, features: Sequence[C.Feature]) -> DataFrame:
    """Add derived columns one after the other (later ones may use earlier ones)."""
    return df.withColumns({f.name: F.expr(f.expr) for f in features})


def month_filter(df: DataFrame, month: str | Sequence[str], column: str = "date") -> DataFrame:
    """Rows of a daily fact whose `column` falls in the month (or in a run of consecutive months, oldest first).
    When that is a silver daily table's `date`, its `month` partition column (the month of `date`) is filtered
    too: Delta then prunes the other months from its log instead of by file statistics."""
    months = [month] if isinstance(month, str) else list(month)
    start, end = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    in_month = (F.col(column) >= F.lit(start)) & (F.col(column) < F.lit(end))
    if column == "date" and "month" in df.columns:
        in_month = (F.col("month") == months[0] if len(months) == 1 else F.col("month").isin(*months)) & in_month
    return df.where(in_month)


def subscriber_universe(subscriber: DataFrame, month: str | Sequence[str]) -> DataFrame:
    """silver.subscriber rows of M (or of each of several months) that are normal or suspended at month end, or
    closed within their month."""
    require_columns(subscriber, SUBSCRIBER.fieldNames(), "silver.subscriber")
    months = [month] if isinstance(month, str) else list(month)
    start = F.to_date(F.concat(F.col("month"), F.lit("-01")))
    closed_in_m = (F.col("status") == "closed") & (
        F.col("close_date").isNull() | ((F.col("close_date") >= start) & (F.col("close_date") < F.add_months(start, 1))))
    return subscriber.where(F.col("month").isin(*months) & (F.col("status").isin("normal", "suspended") | closed_in_m))


def _keys(by: Sequence[str], *more: str) -> list[str]:
    return [*by, *[k for k in more if k not in by]]


def aggregate_voice(voice: DataFrame, by: Sequence[str] = ("subscriber_id",)) -> DataFrame:
    """Voice CDR rows (one month, or several with `by` = subscriber and month) → one row per `by` with VOICE_AGGS
    (one pass, pairs first)."""
    require_columns(voice, ["subscriber_id", "contact_id", "contact_network", "direction", "start_time",
                            "duration_s", "call_type", "forwarded", *by], "silver.voice_cdr")
    pairs = voice.groupBy(*_keys(by, *C.VOICE_PAIR_KEYS)).agg(*_measures(C.VOICE_PAIR_MEASURES))
    return pairs.groupBy(*by).agg(*_exprs(C.VOICE_AGGS))


def aggregate_sms(sms: DataFrame, by: Sequence[str] = ("subscriber_id",)) -> DataFrame:
    """SMS rows (one month, or several with `by` = subscriber and month) → one row per `by` with SMS_AGGS."""
    require_columns(sms, ["subscriber_id", "contact_id", "contact_network", "direction", "sms_type", *by], "silver.sms")
    pairs = sms.groupBy(*_keys(by, "subscriber_id", "contact_id", "contact_network")).agg(
        *_measures(C.SMS_PAIR_MEASURES))
    return pairs.groupBy(*by).agg(*_exprs(C.SMS_AGGS))


def aggregate_data(data: DataFrame, by: Sequence[str] = ("subscriber_id",)) -> DataFrame:
    """Hourly data usage (one month, or several) → one row per `by` with DATA_AGGS (per app category first)."""
    require_columns(data, ["subscriber_id", "bytes_up", "bytes_down", "app_category", "rat", *by], "silver.data_usage")
    apps = data.groupBy(*by, F.expr(C.DATA_APP_KEY).alias("app")).agg(*_measures(C.DATA_APP_MEASURES))
    return apps.groupBy(*by).agg(*_exprs(C.DATA_AGGS))


def aggregate_vas(vas: DataFrame, by: Sequence[str] = ("subscriber_id",)) -> DataFrame:
    """VAS events (one month, or several) → orders, cancellations and trials per `by`."""
    require_columns(vas, ["subscriber_id", "product_id", "event", "event_time", "order_id", "cancel_kind", *by],
                    "silver.vas_orders")
    return vas.groupBy(*by).agg(*_exprs(C.VAS_AGGS))


def aggregate_service(service: DataFrame, by: Sequence[str] = ("subscriber_id",)) -> DataFrame:
    """Service contacts (one month, or several) → counts by category and complaint area per `by`."""
    require_columns(service, ["subscriber_id", "category", "business_area", *by], "silver.service_contacts")
    return service.groupBy(*by).agg(*_exprs(C.SERVICE_AGGS))


def vas_holdings(events: DataFrame, prior: DataFrame | None) -> DataFrame:
    """Order/unsubscribe events of a period + holdings before it (subscriber_id, product_id) → holdings after.

    The last order/unsubscribe event per product decides; products without events keep their prior state.
    """
    last = (
        events.where(F.col("event").isin("order", "unsubscribe"))
        .groupBy("subscriber_id", "product_id")
        .agg(F.max_by("event", F.struct("event_time", "order_id")).alias("last_event"))
    )
    if prior is None:
        held = last.where(F.col("last_event") == "order")
    else:
        held = (
            prior.select("subscriber_id", "product_id", F.lit(True).alias("prior"))
            .join(last, ["subscriber_id", "product_id"], "full_outer")
            .where(F.coalesce(F.col("last_event") == "order", F.col("prior")))
        )
    return held.select("subscriber_id", "product_id").distinct()


def vas_holdings_by_month(events: DataFrame, prior: DataFrame | None, months: Sequence[str]) -> DataFrame:
    """Order/unsubscribe events of consecutive `months` (with their `month`) + holdings before the first →
    (subscriber_id, month, product_id) held at each month's end: a product's latest event up to that month
    decides, else its prior state. One month is vas_holdings; a range needs no month-by-month loop."""
    if len(months) == 1:
        return vas_holdings(events, prior).withColumn("month", F.lit(months[0]))
    pair = ["subscriber_id", "product_id"]
    last = (
        events.where(F.col("event").isin("order", "unsubscribe"))
        .groupBy(*pair, "month")
        .agg(F.max_by("event", F.struct("event_time", "order_id")).alias("last_event"))
    )
    pairs = last.select(*pair) if prior is None else last.select(*pair).unionByName(prior.select(*pair))
    state = pairs.distinct().withColumn("month", F.explode(F.array(*[F.lit(m) for m in months]))).join(
        last, [*pair, "month"], "left")
    upto = Window.partitionBy(*pair).orderBy("month").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    held = F.last("last_event", ignorenulls=True).over(upto) == "order"
    if prior is not None:
        state = state.join(prior.select(*pair, F.lit(True).alias("prior")).distinct(), pair, "left")
        held = F.coalesce(held, F.col("prior"))
    return state.withColumn("held", held).where("held").select("subscriber_id", "month", "product_id")


def prior_holdings(prev_usage: DataFrame) -> DataFrame:
    """gold.usage_monthly rows of M-1 → (subscriber_id, product_id) held at the end of M-1."""
    return prev_usage.select("subscriber_id", F.explode("vas_held_ids").alias("product_id"))


def bill_decline_streak(usage: DataFrame, prev_usage: DataFrame | None, decline: float) -> DataFrame:
    """(subscriber_id, month, arpu) of consecutive months + gold.usage_monthly of the month before them →
    (subscriber_id, month, bill_decline_streak).

    The catalogue's definition (C.CARRY) is a recursion on M-1: a month whose bill fell more than `decline` below
    the month before adds one to M-1's streak, another month with a bill restarts at 0, no bill gives null. Over a
    range that is the number of declines since the last month that was not one (plus M-1's streak from the table
    when every month of the range so far declined): two windows, no month-by-month loop.
    """
    by_sub = Window.partitionBy("subscriber_id").orderBy("month")
    cur = usage.select("subscriber_id", "month", "arpu", F.lit(None).cast("int").alias("seed"))
    if prev_usage is not None:
        cur = cur.unionByName(prev_usage.select("subscriber_id", "month", "arpu",
                                                F.coalesce(F.col("bill_decline_streak").cast("int"), F.lit(0)).alias("seed")))
    prev_arpu = F.when(F.lag("month").over(by_sub) == shift_month("month", -1), F.lag("arpu").over(by_sub))
    declined = F.coalesce(F.col("arpu").isNotNull() & (prev_arpu > 0) & (F.col("arpu") < prev_arpu * (1 - decline)),
                          F.lit(False))
    chain = cur.withColumn("declined", declined).withColumn(
        "run_id", F.sum(F.when(F.col("declined") & F.col("seed").isNull(), 0).otherwise(1)).over(
            by_sub.rowsBetween(Window.unboundedPreceding, Window.currentRow)))
    in_run = Window.partitionBy("subscriber_id", "run_id").orderBy("month").rowsBetween(
        Window.unboundedPreceding, Window.currentRow)
    streak = (F.first(F.coalesce(F.col("seed"), F.lit(0))).over(in_run)
              + F.sum(F.col("declined").cast("int")).over(in_run))
    chain = chain.withColumn("bill_decline_streak", F.when(F.col("arpu").isNull(), F.lit(None)).when(
        F.col("declined"), streak).otherwise(0).cast("int"))  # before the seed rows go: the windows need them
    return chain.where(F.col("seed").isNull()).select("subscriber_id", "month", "bill_decline_streak")


def _with_month(df: DataFrame) -> DataFrame:
    """A daily fact with its `month` (silver's partition column; derived from `date` where a frame lacks it)."""
    return df if "month" in df.columns else df.withColumn("month", month_of("date"))


def monthly_usage(
    universe: DataFrame,
    billing: DataFrame,
    voice: DataFrame,
    sms: DataFrame,
    data: DataFrame,
    vas: DataFrame,
    service: DataFrame,
    month: str | Sequence[str],
    prev_usage: DataFrame | None = None,
    prior_held: DataFrame | None = None,
    decline: float = 0.15,
) -> DataFrame:
    """Subscribers of M + the month's facts (already limited to M) → gold.usage_monthly rows for M; for a run of
    consecutive months at once when `month` is a list (facts limited to those months; each month's rows are those
    of one run per month in order).

    `prev_usage` is gold.usage_monthly for the month before the first (carries the bill-decline streak);
    `prior_held` is the (subscriber_id, product_id) held before the first month (the job derives it from every
    earlier VAS event); without it the holdings of `prev_usage`'s rows are carried.
    """
    months = [month] if isinstance(month, str) else list(month)
    require_columns(billing, [c for c in ("subscriber_id", "month", "total_fee", "voice_fee", "sms_fee", "data_fee",
                                          "vas_fee", "other_fee", "arrears", "balance", "points")],
                    "silver.billing")
    by = ["subscriber_id", "month"]
    base = universe.where(F.col("month").isin(*months)).select(*by).distinct()
    vas = _with_month(vas)
    if prior_held is None and prev_usage is not None:
        prior_held = prior_holdings(prev_usage)
    held = vas_holdings_by_month(vas, prior_held, months).groupBy(*by).agg(*_exprs(C.VAS_HELD))
    bill = billing.where(F.col("month").isin(*months)).select(*by, *_exprs(C.BILLING))
    df = base
    for part in (aggregate_voice(_with_month(voice), by), aggregate_sms(_with_month(sms), by),
                 aggregate_data(_with_month(data), by), aggregate_vas(vas, by),
                 aggregate_service(_with_month(service), by), held, bill):
        df = df.join(part, by, "left")
    zeros = C.zero_filled()
    df = df.withColumns({c: F.coalesce(F.col(c), F.lit(0)) for c in zeros})
    df = df.withColumn("vas_held_ids", F.coalesce(F.col("vas_held_ids"), F.array().cast("array<string>")))
    df = _add(df, [*C.VOICE_DERIVED, *C.SMS_DERIVED, *C.DATA_DERIVED, *C.VAS_DERIVED, *C.FEES_DERIVED])
    streak = bill_decline_streak(base.join(bill.select(*by, "arpu"), by, "left"), prev_usage, float(decline))
    df = df.join(streak, by, "left")
    names = [f.name for f in C.USAGE_FEATURES]
    return df.select("subscriber_id", *names, "month")


def _history(usage_history: DataFrame | None, lag: int) -> DataFrame | None:
    """gold.usage_monthly rows → the `h<lag>_*` columns of the month `lag` months later (subscriber-month keys)."""
    if usage_history is None:
        return None
    return keyed(usage_history, shift_month("month", lag)).select(
        "subscriber_id", *[F.col(c).alias(f"h{lag}_{c}") for c in C.HISTORY_COLUMNS])


def _prefixed(df: DataFrame | None, prefix: str, months: Sequence[str], skip: Sequence[str] = ()) -> DataFrame | None:
    """An optional monthly gold table → its rows of `months`, keyed by subscriber-month, with every other column
    renamed `<prefix><column>`."""
    if df is None:
        return None
    require_columns(df, ["subscriber_id", "month"], f"{prefix}* source")
    df = keyed(df.where(F.col("month").isin(*months)), "month")
    keep = [c for c in df.columns if c not in ("subscriber_id", "month", *skip)]
    return df.select("subscriber_id", *[F.col(c).alias(f"{prefix}{c}") for c in keep]).dropDuplicates(
        ["subscriber_id"])


def latest_terminal(terminal: DataFrame, tac: DataFrame, month: str | Sequence[str]) -> DataFrame:
    """silver.terminal (month M, or several months) + silver.tac → one handset per subscriber and month (`month`
    column) with `tac_*` capabilities."""
    require_columns(terminal, ["subscriber_id", "month", "tac", "first_seen", "last_seen", "imei_id"],
                    "silver.terminal")
    months = [month] if isinstance(month, str) else list(month)
    latest = (
        terminal.where(F.col("month").isin(*months))
        .groupBy("subscriber_id", "month")
        .agg(F.max_by(F.struct("tac", "first_seen"), F.struct("last_seen", "first_seen", "imei_id")).alias("t"))
        .select("subscriber_id", "month", F.col("t.tac").alias("tac"), F.col("t.first_seen").alias("term_first_seen"))
    )
    caps = tac.select("tac", *[F.col(c).alias(f"tac_{c}") for c in tac.columns if c != "tac"])
    return latest.join(F.broadcast(caps), "tac", "left").drop("tac")


def gap_fill(df: DataFrame, rules: Sequence[Mapping[str, Any]]) -> DataFrame:
    """Fill missing occupation / age_band from life-circle flags (`lc_<circle>`), with *_inferred flags.

    Rules are tried in order; a registered (non-blank) value is never overwritten.
    """
    filled: dict[str, Column | None] = {"occupation": None, "age_band": None}
    for rule in reversed(list(rules)):  # the first matching rule ends up outermost
        col = f"lc_{rule['circle']}"
        if col not in df.columns:
            continue
        hit = F.coalesce(F.col(col).cast("boolean"), F.lit(False))
        for target in filled:
            if rule.get(target) is not None:
                inner = filled[target] if filled[target] is not None else F.lit(None).cast("string")
                filled[target] = F.when(hit, F.lit(str(rule[target]))).otherwise(inner)
    out = {}
    for target, inferred in filled.items():
        missing = F.col(target).isNull() | (F.trim(F.col(target)) == "")
        value = inferred if inferred is not None else F.lit(None).cast("string")
        out[f"{target}_inferred"] = missing & value.isNotNull()
        out[target] = F.when(missing & value.isNotNull(), value).otherwise(F.col(target))
    return df.withColumns(out)


def assemble_panorama(
    universe: DataFrame,
    usage: DataFrame,
    month: str | Sequence[str],
    usage_history: DataFrame | None = None,
    terminal: DataFrame | None = None,
    tariffs: DataFrame | None = None,
    circles: DataFrame | None = None,
    social: DataFrame | None = None,
    gap_rules: Sequence[Mapping[str, Any]] = (),
) -> DataFrame:
    """Profile of M + usage of M (+ M-1/M-2 usage, handset, plan, circle and social rows) → gold.panorama rows;
    for several months at once when `month` is a list (each month on its own: subscriber-month keys).

    `usage_history` holds gold.usage_monthly rows of the months before (absent months give null history);
    `terminal` comes from latest_terminal; `circles`/`social` are left-joined with prefixes `lc_`/`sn_`, so the
    panorama works without them.
    """
    months = [month] if isinstance(month, str) else list(month)
    df = keyed(universe.where(F.col("month").isin(*months)), "month").join(
        keyed(usage.where(F.col("month").isin(*months)), "month").drop("month"), "subscriber_id", "left")
    for part in (_history(usage_history, 1), _history(usage_history, 2)):
        if part is not None:
            df = df.join(part, "subscriber_id", "left")
    for lag in (1, 2):
        missing = {f"h{lag}_{c}": F.lit(None).cast(t) for c, t in C.HISTORY_COLUMNS.items()
                   if f"h{lag}_{c}" not in df.columns}
        df = df.withColumns(missing)
    if terminal is not None:
        df = df.join(keyed(terminal, "month").drop("month"), "subscriber_id", "left")
    if tariffs is not None:
        plans = tariffs.select("plan_id", *[F.col(c).alias(f"t_{c}") for c in tariffs.columns if c != "plan_id"])
        df = df.join(F.broadcast(plans), "plan_id", "left")
    extra: list[str] = []
    for src, prefix in ((circles, "lc_"), (social, "sn_")):
        part = _prefixed(src, prefix, months)
        if part is not None:
            extra += [c for c in part.columns if c != "subscriber_id"]
            df = df.join(part, "subscriber_id", "left")
    needed = {
        "t_plan_type": "string", "t_monthly_fee": "decimal(12,2)", "t_incl_voice_min": "int", "t_incl_sms": "int",
        "t_incl_data_mb": "int", "term_first_seen": "date",
        **{f"tac_{c}": t for c, t in (("brand", "string"), ("model", "string"), ("supports_4g", "boolean"),
                                      ("supports_5g", "boolean"), ("volte", "boolean"), ("wap", "boolean"),
                                      ("mms", "boolean"), ("launch_year", "int"))},
    }
    df = df.withColumns({c: F.lit(None).cast(t) for c, t in needed.items() if c not in df.columns})
    df = gap_fill(df, gap_rules)
    profile = []
    for f in C.PROFILE:
        if f.expr.startswith("{"):
            src = f.expr.strip("{}")
            expr = f"CAST({src} AS STRING)" if src in df.columns else "CAST(NULL AS STRING)"
            profile.append(C.Feature(f.name, f.family, expr, f.unit, f.source, f.definition))
        else:
            profile.append(f)
    df = _add(df, [f for f in profile if f.name != f.expr])
    df = _add(df, [*C.HISTORY_DERIVED, *C.PLAN, *C.TERMINAL])
    df = _add(df, C.ACTIVITY)
    names = [f.name for f in C.PANORAMA_FEATURES]
    return df.withColumn("subscriber_id", key_subject()).select(*names, *extra)


def history_months(month: str) -> list[str]:
    """The months whose gold.usage_monthly rows the panorama of M reads (M-1, M-2)."""
    return [add_months(month, -1), add_months(month, -2)]
