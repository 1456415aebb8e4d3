"""Circle tags (category / tag / value with confidence and evidence) from the configured taxonomy:
place circles from dwell, event circles from stays at venues, activity circles from signalling,
roaming circles from voice CDR, and region tags from the region profile. One pass per rule kind:
the rules travel as a broadcast frame, so adding a circle adds no Spark job."""

from __future__ import annotations

import re

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, DoubleType, IntegerType, StringType, StructField, StructType

from lifecircle.circles.region import LEVELS
from lifecircle.circles.stays import day_kind_matches, segments_frame
from lifecircle.circles.taxonomy import Taxonomy
from lifecircle.core.month_keys import key_month, key_subject, shift_month

TAG_COLUMNS = ("subscriber_id", "category", "tag", "value", "confidence", "evidence_count", "first_seen",
               "last_seen")
TAGS_SCHEMA = StructType([
    StructField("subscriber_id", StringType(), False),
    StructField("month", StringType(), False),
    StructField("category", StringType(), False),
    StructField("tag", StringType(), False),
    StructField("value", StringType(), False),
    StructField("confidence", DoubleType(), False),
    StructField("evidence_count", IntegerType(), False),
    StructField("first_seen", DateType(), True),
    StructField("last_seen", DateType(), True),
    StructField("valid_month", StringType(), False),
])


def _confidence(evidence: Column, minimum: Column) -> Column:
    """Evidence at the threshold → 0.5, twice the threshold or more → 1.0."""
    return F.round(F.least(F.lit(1.0), evidence.cast("double") / (F.lit(2.0) * minimum)), 3)


def _finish(df: DataFrame, minimum: Column) -> DataFrame:
    return df.select(
        "subscriber_id", "category", "tag", "value", _confidence(F.col("evidence_count"), minimum).alias("confidence"),
        F.col("evidence_count").cast("int").alias("evidence_count"), "first_seen", "last_seen",
    )


def place_tags(spark: SparkSession, dwell: DataFrame, cells: DataFrame, tax: Taxonomy) -> DataFrame:
    """Dwell (subscriber_id, cell_id, day, window, seconds) + cells → tags of every place circle."""
    if not tax.place_circles:
        return _empty(spark)
    rules = spark.createDataFrame(
        [(i, r.category, r.tag, r.window, pt, float(r.min_minutes_per_day * 60), r.min_days)
         for i, r in enumerate(tax.place_circles) for pt in r.place_types],
        "rule int, category string, tag string, window string, place_type string, min_s double, min_days int",
    )
    value = F.lit(None).cast("string")
    for i, r in enumerate(tax.place_circles):
        if r.value_mode == "keywords":
            expr = F.lit(r.keyword_default)
            for kw, v in reversed(r.keywords):
                expr = F.when(F.col("place_name").contains(kw), F.lit(v)).otherwise(expr)
        elif r.value_mode == "constant":
            expr = F.lit(r.value_constant)
        else:
            expr = F.coalesce(F.col(r.value_mode), F.col("cell_id"))
        value = F.when(F.col("rule") == i, expr).otherwise(value)
    places = F.broadcast(cells.select("cell_id", "place_type", "place_name"))
    d = dwell.join(places, "cell_id").join(F.broadcast(rules), ["window", "place_type"])
    daily = (
        d.withColumn("value", value)
        .groupBy("subscriber_id", "rule", "category", "tag", "value", "day", "min_s", "min_days")
        .agg(F.sum("seconds").alias("seconds"))
        .where(F.col("seconds") >= F.col("min_s"))
    )
    per = daily.groupBy("subscriber_id", "rule", "category", "tag", "value", "min_days").agg(
        F.count(F.lit(1)).alias("evidence_count"), F.min("day").alias("first_seen"), F.max("day").alias("last_seen"),
    ).where(F.col("evidence_count") >= F.col("min_days"))
    return _finish(per, F.col("min_days"))


_FIELD = re.compile(r"\{([a-z_]+)\}")


def _template(template: str) -> Column:
    """'{sub_category}:{artist}' → a concat over event columns (a missing field leaves no stray ':')."""
    parts: list[Column] = []
    pos = 0
    for m in _FIELD.finditer(template):
        if m.start() > pos:
            parts.append(F.lit(template[pos:m.start()]))
        parts.append(F.coalesce(F.col(m.group(1)).cast("string"), F.lit("")))
        pos = m.end()
    if pos < len(template):
        parts.append(F.lit(template[pos:]))
    text = F.concat(*parts) if parts else F.lit(template)
    return F.regexp_replace(F.regexp_replace(text, r"^[:/ ]+|[:/ ]+$", ""), r"[:]{2,}", ":")


def event_tags(spark: SparkSession, stays: DataFrame, cells: DataFrame, events: DataFrame, tax: Taxonomy) -> DataFrame:
    """Stays + cells (place_name) + event calendar → tags for presence at a venue during an event."""
    if not tax.event_circles:
        return _empty(spark)
    rules = spark.createDataFrame(
        [(i, r.event_category, r.category, r.tag, float(r.min_overlap_minutes * 60), r.min_events)
         for i, r in enumerate(tax.event_circles)],
        "rule int, event_category string, category string, tag string, min_s double, min_events int",
    )
    value = F.lit(None).cast("string")
    for i, r in enumerate(tax.event_circles):
        value = F.when(F.col("rule") == i, _template(r.value_template)).otherwise(value)
    ev = events.select(
        "event_id", F.col("place_name").alias("venue"), F.col("start_time").alias("ev_start"),
        F.col("end_time").alias("ev_end"), F.col("category").alias("event_category"), "sub_category", "artist",
    ).join(F.broadcast(rules), "event_category")
    venues = F.broadcast(cells.where(F.col("place_name").isNotNull()).select("cell_id", "place_name"))
    at = stays.select("subscriber_id", "cell_id", "start_time", "end_time").join(venues, "cell_id")
    hit = at.join(
        F.broadcast(ev),
        (F.col("place_name") == F.col("venue")) & (F.col("start_time") < F.col("ev_end"))
        & (F.col("end_time") > F.col("ev_start")),
    )
    overlap = (F.unix_timestamp(F.least("end_time", "ev_end")) - F.unix_timestamp(F.greatest("start_time", "ev_start")))
    attended = (
        hit.withColumn("_o", overlap).withColumn("value", value)
        .groupBy("subscriber_id", "rule", "category", "tag", "value", "event_id", "ev_start", "min_s", "min_events")
        .agg(F.sum("_o").alias("_o"))
        .where(F.col("_o") >= F.col("min_s"))
    )
    per = attended.groupBy("subscriber_id", "rule", "category", "tag", "value", "min_events").agg(
        F.count(F.lit(1)).alias("evidence_count"), F.min(F.to_date("ev_start")).alias("first_seen"),
        F.max(F.to_date("ev_start")).alias("last_seen"),
    ).where(F.col("evidence_count") >= F.col("min_events"))
    return _finish(per, F.col("min_events"))


def activity_tags(spark: SparkSession, signalling: DataFrame, tax: Taxonomy) -> DataFrame:
    """Signalling (subscriber_id, event_time, event_type) → tags for activity in a window on enough days."""
    if not tax.activity_circles:
        return _empty(spark)
    rules = spark.createDataFrame(
        [(i, r.category, r.tag, r.value, r.window, et, r.min_events_per_day, r.min_days)
         for i, r in enumerate(tax.activity_circles) for et in r.event_types],
        "rule int, category string, tag string, value string, window string, event_type string, "
        "min_per_day int, min_days int",
    )
    used = {r.window for r in tax.activity_circles}
    segs = segments_frame(spark, [s for s in tax.segments if s.window in used])
    rule_segs = F.broadcast(rules.join(segs, "window"))
    tod = F.hour("event_time") * 3600 + F.minute("event_time") * 60 + F.second("event_time")
    ev = signalling.select("subscriber_id", "event_type", F.to_date("event_time").alias("day"), tod.alias("_tod"))
    hit = ev.join(rule_segs, (ev["event_type"] == rule_segs["event_type"]) & day_kind_matches(F.col("day"), F.col("days"))
                  & (F.col("_tod") >= F.col("from_s")) & (F.col("_tod") < F.col("to_s")))
    daily = hit.groupBy("subscriber_id", "rule", "category", "tag", "value", "day", "min_per_day", "min_days").agg(
        F.count(F.lit(1)).alias("n")).where(F.col("n") >= F.col("min_per_day"))
    per = daily.groupBy("subscriber_id", "rule", "category", "tag", "value", "min_days").agg(
        F.count(F.lit(1)).alias("evidence_count"), F.min("day").alias("first_seen"), F.max("day").alias("last_seen"),
    ).where(F.col("evidence_count") >= F.col("min_days"))
    return _finish(per, F.col("min_days"))


def roaming_tags(spark: SparkSession, voice_cdr: DataFrame | None, tax: Taxonomy) -> DataFrame:
    """Voice CDR (subscriber_id, date, call_type) → tags for calls of the configured types on enough days."""
    if not tax.roaming_circles or voice_cdr is None:
        return _empty(spark)
    rules = spark.createDataFrame(
        [(i, r.category, r.tag, r.value, ct, r.min_days)
         for i, r in enumerate(tax.roaming_circles) for ct in r.call_types],
        "rule int, category string, tag string, value string, call_type string, min_days int",
    )
    days = (
        voice_cdr.select("subscriber_id", "call_type", F.col("date").alias("day"))
        .join(F.broadcast(rules), "call_type")
        .select("subscriber_id", "rule", "category", "tag", "value", "min_days", "day").distinct()
    )
    per = days.groupBy("subscriber_id", "rule", "category", "tag", "value", "min_days").agg(
        F.count(F.lit(1)).alias("evidence_count"), F.min("day").alias("first_seen"), F.max("day").alias("last_seen"),
    ).where(F.col("evidence_count") >= F.col("min_days"))
    return _finish(per, F.col("min_days"))


def region_tags(profile: DataFrame, tax: Taxonomy) -> DataFrame:
    """Region profile → region / home_* and work_* tags, region / unlocatable, region / home_moved and
    demographic / income / <price band of a residential home cell>."""
    rows: list[DataFrame] = []
    for role in ("home", "work"):
        for level, col in (("cell", f"{role}_cell"), *[(lv, f"{role}_{lv}") for lv in LEVELS]):
            name = f"{role}_{level.removesuffix('_id')}"
            rows.append(profile.where(F.col(col).isNotNull()).select(
                "subscriber_id", F.lit("region").alias("category"), F.lit(name).alias("tag"),
                F.col(col).alias("value"), F.col(f"{role}_confidence").alias("confidence"),
                F.col(f"{role}_days").alias("evidence_count"), F.col(f"{role}_first_day").alias("first_seen"),
                F.col(f"{role}_last_day").alias("last_seen"),
            ))
    rows.append(profile.where(~F.col("locatable")).select(
        "subscriber_id", F.lit("region").alias("category"), F.lit("unlocatable").alias("tag"),
        F.lit("yes").alias("value"), F.lit(1.0).alias("confidence"), F.col("days_seen").alias("evidence_count"),
        F.col("first_seen"), F.col("last_seen"),
    ))
    rows.append(profile.where(F.col("home_moved")).select(
        "subscriber_id", F.lit("region").alias("category"), F.lit("home_moved").alias("tag"),
        F.coalesce(F.col("recent_home_cell"), F.col("home_cell")).alias("value"), F.lit(1.0).alias("confidence"),
        F.col("home_days").alias("evidence_count"), F.col("home_first_day").alias("first_seen"),
        F.col("home_last_day").alias("last_seen"),
    ))
    income_ok = F.col("home_price_band").isNotNull()
    if tax.income_place_types:
        income_ok = income_ok & F.col("home_place_type").isin(*tax.income_place_types)
    rows.append(profile.where(income_ok).select(
        "subscriber_id", F.lit("demographic").alias("category"), F.lit("income").alias("tag"),
        F.col("home_price_band").alias("value"), F.col("home_confidence").alias("confidence"),
        F.col("home_days").alias("evidence_count"), F.col("home_first_day").alias("first_seen"),
        F.col("home_last_day").alias("last_seen"),
    ))
    out = rows[0]
    for r in rows[1:]:
        out = out.unionByName(r)
    return out.select(
        "subscriber_id", "category", "tag", "value", F.coalesce(F.col("confidence").cast("double"), F.lit(1.0))
        .alias("confidence"), F.coalesce(F.col("evidence_count"), F.lit(0)).cast("int").alias("evidence_count"),
        "first_seen", "last_seen",
    )


def _empty(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([], TAGS_SCHEMA).select(*TAG_COLUMNS)


def stamp(tags: DataFrame, tax: Taxonomy) -> DataFrame:
    """Tag rows keyed by subscriber-month → the tag-store schema: subscriber_id, month and valid_month
    (month + validity_months[category] - 1)."""
    month = key_month()
    valid = month
    for category, months in tax.validity_months.items():
        valid = F.when(F.col("category") == category, shift_month(month, months - 1)).otherwise(valid)
    return tags.select(
        key_subject().alias("subscriber_id"), month.alias("month"), "category", "tag", "value", "confidence",
        "evidence_count", "first_seen", "last_seen", valid.alias("valid_month"),
    )
