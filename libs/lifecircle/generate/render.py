"""Feed records → text lines with planted defects: each line gets its file index, 1-based line number
(the header is line 1) and, when defective, exactly one kind from lifecircle.feeds.DEFECT_KINDS."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lifecircle.feeds import FEEDS
from lifecircle.generate.rng import pick, uniform

TIMESTAMP_COLUMN = {"voice_cdr": "start_time", "sms": "send_time", "data_usage": "hour_start", "signalling": "event_time",
                    "vas_orders": "event_time", "service_contacts": "contact_time"}
DATE_COLUMN = {"subscriber_profile": "join_date", "terminal": "first_seen"}
ENCODING_COLUMN = {"voice_cdr": "record_id", "sms": "record_id", "data_usage": "app_category", "signalling": "event_type",
                   "vas_orders": "order_id", "service_contacts": "area_label", "subscriber_profile": "name",
                   "billing": "points", "terminal": "last_seen"}


def defect_kinds(feed: str) -> list[str]:
    """The defect kinds that can be planted in `feed` (those whose field exists there)."""
    kinds = ["malformed_line", "wrong_column_count", "bad_msisdn", "bad_encoding", "duplicate_record"]
    if feed in TIMESTAMP_COLUMN:
        kinds += ["timestamp_outside_day", "bad_timestamp"]
    if feed in DATE_COLUMN:
        kinds += ["bad_timestamp"]
    if feed in ("voice_cdr", "data_usage"):
        kinds += ["bad_duration"]
    if feed in ("voice_cdr", "data_usage", "signalling"):
        kinds += ["unknown_cell"]
    if feed == "terminal":
        kinds += ["bad_imei"]
    if feed == "billing":
        kinds += ["inconsistent_fees"]
    return kinds


def _previous_day(ts: Column) -> Column:
    return F.concat(F.date_format(F.date_sub(F.to_date(ts.substr(1, 10)), 1), "yyyy-MM-dd"), ts.substr(11, 9))


def _corrupt(feed: str, col: str, kind: Column) -> Column:
    """The value of `col` after planting `kind` (unchanged for kinds that do not touch it)."""
    c = F.col(col)
    rules: list[tuple[str, Column]] = []
    if col == "msisdn":
        rules.append(("bad_msisdn", c.substr(1, 10)))
    if col == TIMESTAMP_COLUMN.get(feed):
        rules += [("timestamp_outside_day", _previous_day(c)), ("bad_timestamp", F.concat(c.substr(1, 10), F.lit(" 25:61:00")))]
    if col == DATE_COLUMN.get(feed):
        rules.append(("bad_timestamp", F.concat(c.substr(1, 4), F.lit("1399"))))
    if col in ("duration_s",):
        rules.append(("bad_duration", F.when(F.col("o2") % 2 == 0, F.concat(F.lit("-"), c)).otherwise(F.lit("99999"))))
    if col == "bytes_down":
        rules.append(("bad_duration", F.concat(F.lit("-"), c)))
    if col == "cell_id":
        rules.append(("unknown_cell", F.concat(F.lit("X"), c.substr(2, 20))))
    if col == "imei":
        rules.append(("bad_imei", F.concat(c.substr(1, 14), ((c.substr(15, 1).cast("int") + 1) % 10).cast("string"))))
    if col == "total_fee":
        rules.append(("inconsistent_fees", (c.cast("decimal(12,2)") + F.lit(5).cast("decimal(12,2)")).cast("decimal(12,2)").cast("string")))
    if col == ENCODING_COLUMN.get(feed):
        rules.append(("bad_encoding", F.concat(F.coalesce(c, F.lit("")), F.unhex(F.lit("FFFE")).cast("string"))))
    out = c
    for k, v in rules:
        out = F.when(kind == k, v).otherwise(out)
    return out


def to_lines(records: DataFrame, feed: str, files: DataFrame, seed: int, rate: float) -> DataFrame:
    """Records (fk, o1, o2, feed columns as strings) → (fk, o1, o2, dup, value, kind) including one header per file
    (o1 = o2 = -1); `number_lines` adds the line numbers once all feeds are together.

    `files` lists every file index (`fk`) so that empty days still get a header-only file.
    """
    spec = FEEDS[feed]
    names = spec.column_names
    kinds = defect_kinds(feed)
    u = uniform(seed, f"defect:{feed}", "fk", "o1", "o2")
    kind = F.when(u < rate, pick(kinds, (u / rate * len(kinds)).cast("int")))
    x = records.withColumn("kind", kind)
    # a duplicated record: the clean original stays, the exact repeat right after it is the defect
    x = x.withColumn("dup", F.explode(F.when(F.col("kind") == "duplicate_record", F.array(F.lit(0), F.lit(1))).otherwise(F.array(F.lit(0)))))
    x = x.withColumn("kind", F.when((F.col("kind") == "duplicate_record") & (F.col("dup") == 0), None).otherwise(F.col("kind")))
    k = F.col("kind")
    body = F.concat_ws(spec.delimiter, *[F.coalesce(_corrupt(feed, n, k), F.lit("")) for n in names])
    value = (F.when(k == "malformed_line", F.concat(F.lit('"'), body))
             .when(k == "wrong_column_count", F.concat(body, F.lit(spec.delimiter + "EXTRA"))).otherwise(body))
    lines = x.select("fk", "o1", "o2", "dup", value.alias("value"), "kind")
    headers = files.select(F.col("fk").cast("int"), F.lit(-1).cast("long").alias("o1"), F.lit(-1).cast("long").alias("o2"),
                           F.lit(0).alias("dup"), F.lit(spec.delimiter.join(names)).alias("value"), F.lit(None).cast("string").alias("kind"))
    return headers.unionByName(lines)


def number_lines(lines: DataFrame, partitions: int) -> DataFrame:
    """Lines of every file → hash-partitioned by file (`fk`) with `line`, the 1-based line number in its file. The
    window reuses the partitioning, so the lines are shuffled once and each file lies in one partition (one part
    file per file when written with partitionBy("fk"))."""
    w = Window.partitionBy("fk").orderBy("o1", "o2", "dup")
    return lines.repartition(partitions, "fk").withColumn("line", F.row_number().over(w))
