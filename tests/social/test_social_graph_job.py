"""jobs/social_graph.py end to end on hand-made silver voice, SMS and subscriber tables."""

from __future__ import annotations

import datetime as dt
import importlib.util

from pyspark.sql import functions as F

from lifecircle.core.delta_io import read_delta, write_delta
from lifecircle.ingest.silver_schemas import SILVER, SUBSCRIBER
from lifecircle.registry import table
from tests.conftest import PROJECT

M = "2026-10"


def _job():
    spec = importlib.util.spec_from_file_location("social_graph_job", PROJECT / "jobs" / "social_graph.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def _frame(spark, schema, rows, time_col):
    """Rows with the timestamp as text 'YYYY-MM-DD HH:MM:SS' (session time zone), date and month derived from it."""
    names = [f.name for f in schema.fields]
    full = [{**{n: None for n in names}, **r} for r in rows]
    text = spark.createDataFrame([tuple(str(r[n]) if r[n] is not None else None for n in names) for r in full],
                                 ", ".join(f"{n} string" for n in names))
    cols = []
    for f in schema.fields:
        c = (F.to_timestamp(time_col).cast(f.dataType) if f.name == "date"
             else F.substring(time_col, 1, 7) if f.name == "month" else F.col(f.name).cast(f.dataType))
        cols.append(c.alias(f.name))
    return spark.createDataFrame(text.select(*cols).rdd, schema)


def _call(i, sub, contact, net, direction, time, secs):
    return {"record_id": f"v{i}", "subscriber_id": sub, "contact_id": contact, "contact_network": net,
            "direction": direction, "start_time": time, "duration_s": secs, "call_type": "local", "forwarded": False}


def _sms(i, sub, contact, net, direction, time):
    return {"record_id": f"s{i}", "subscriber_id": sub, "contact_id": contact, "contact_network": net,
            "direction": direction, "send_time": time, "sms_type": "p2p"}


def _write_silver(spark, cfg, september: bool = False) -> None:
    """Hand-made October voice, SMS and subscribers; with `september`, also a copy four weeks earlier."""
    voice = _frame(spark, SILVER["silver.voice_cdr"][0], [
        # A -> B on-net: the MO and the MT record of the same call count once
        _call(1, "A", "B", "on_net", "MO", "2026-10-05 20:00:00", 120),
        _call(2, "B", "A", "on_net", "MT", "2026-10-05 20:00:00", 120),
        _call(3, "B", "A", "on_net", "MO", "2026-10-06 10:00:00", 60),
        _call(4, "A", "B", "on_net", "MO", "2026-10-10 11:00:00", 180),   # a Saturday: home time
        _call(5, "A", "X", "competitor_a", "MO", "2026-10-07 09:00:00", 300),
        _call(6, "A", "X", "competitor_a", "MO", "2026-10-08 09:00:00", 300),
        _call(7, "A", "X", "competitor_a", "MT", "2026-10-09 09:00:00", 600),
        _call(8, "C", "S", "service", "MO", "2026-10-07 09:00:00", 60),
        _call(9, "C", "S", "service", "MO", "2026-10-08 09:00:00", 60),
        _call(10, "D", "A", "on_net", "MO", "2026-10-07 12:00:00", 60),   # one-off contact: dropped
        _call(11, "A", "B", "on_net", "MO", "2026-11-02 12:00:00", 60),   # next month: not read
    ], "start_time")
    sms = _frame(spark, SILVER["silver.sms"][0], [
        _sms(1, "A", "C", "on_net", "MO", "2026-10-05 08:00:00"),
        _sms(2, "A", "C", "on_net", "MO", "2026-10-06 08:00:00"),
        _sms(3, "C", "A", "on_net", "MO", "2026-10-07 08:00:00"),
    ], "send_time")
    subs = spark.createDataFrame(
        [{**{f.name: None for f in SUBSCRIBER.fields}, "month": m, "subscriber_id": s,
          "churned": (s, m) in {("C", "2026-09"), ("B", "2026-11")}}
         for s in "ABCD" for m in ("2026-08", "2026-09", "2026-10", "2026-11")], SUBSCRIBER)
    if september:
        voice, sms = (df.unionByName(_weeks_earlier(df, 4, "2026-09")) for df in (voice, sms))
    for name, df, part in (("silver.voice_cdr", voice, ("month",)), ("silver.sms", sms, ("month",)),
                           ("silver.subscriber", subs, ("month",))):
        write_delta(df, table(name).path(cfg), mode="overwrite", partition_by=part)



def _weeks_earlier(df, weeks: int, month: str):
    """The rows `weeks` weeks earlier (same weekdays) that fall in `month`, with their date and month."""
    ts = next(c for c in ("start_time", "send_time") if c in df.columns)
    moved = df.withColumn(ts, F.col(ts) - F.expr(f"INTERVAL {7 * weeks} DAYS"))
    moved = moved.withColumn("date", F.to_date(ts)).withColumn("month", F.date_format(ts, "yyyy-MM"))
    return moved.where(F.col("month") == month).withColumn("record_id", F.concat(F.lit("e"), "record_id"))


def test_job_writes_edges_and_features(spark, tmp_cfg):
    _write_silver(spark, tmp_cfg)
    assert _job()(["--month", M, "--set", "social.graph.local_checkpoints=true",
                   "--set", "social.graph.pagerank_iter=3", "--set", "social.community.max_iter=2"], spark=spark, cfg=tmp_cfg) == 0

    edges = read_delta(spark, table("gold.social_edges").path(tmp_cfg))
    got = {(r["src"], r["dst"]): (r["calls"], r["minutes"], r["sms"], r["reciprocal"], r["home_calls"], r["strong"])
           for r in edges.collect()}
    assert got == {
        ("A", "B"): (3, 6.0, 0, True, 2, True),
        ("A", "X"): (3, 20.0, 0, True, 0, True),
        ("A", "C"): (0, 0.0, 3, True, 0, True),
    }
    f = read_delta(spark, table("gold.social_features").path(tmp_cfg)).where(F.col("month") == M)
    rows = {r["subscriber_id"]: r for r in f.collect()}
    assert sorted(rows) == ["A", "B", "C", "D"]
    a = rows["A"]
    assert (a["degree"], a["degree_on_net"], a["degree_competitor"]) == (3, 2, 1)
    # minutes: B 6, X 20, D 1 (before the tie filter) -> 20 / 27 with competitors
    assert a["competitor_minutes_share"] == round(20 / 27, 4)
    # strong contacts who are subscribers: B and C; C churned in 2026-09, B only in 2026-11 (after M: not counted)
    assert (a["strong_contacts"], a["contagion_churned_1m"], a["contagion_churned_3m"], a["contagion_share_3m"]) == (
        2, 0, 1, 0.5)
    assert rows["D"]["degree"] == 0 and rows["D"]["community_id"] == "D"
    assert rows["A"]["community_id"] == rows["B"]["community_id"]
    comm = read_delta(spark, table("gold.communities").path(tmp_cfg))
    assert comm.where(F.col("month") == M).agg(F.sum("size")).first()[0] == 5  # A B C X + the isolated D
    assert dt.date(2026, 10, 10).weekday() == 5


def test_job_needs_a_month(spark, tmp_cfg):
    assert _job()([], spark=spark, cfg=tmp_cfg) == 2


def test_months_in_one_run_equal_one_run_per_month(spark, tmp_path):
    """September (a copy of October four weeks earlier) and October: one `--months` run writes every table as
    a September run then an October run do, including October's trend and circle churn, which read September."""
    from tests.conftest import make_config

    fast = ["--set", "social.graph.local_checkpoints=true", "--set", "social.graph.pagerank_iter=3",
            "--set", "social.community.max_iter=2"]
    names = ("gold.social_edges", "gold.social_features", "gold.communities")
    per_month, one_pass = make_config(tmp_path / "a"), make_config(tmp_path / "b")
    for cfg in (per_month, one_pass):
        _write_silver(spark, cfg, september=True)
    for month in ("2026-09", "2026-10"):
        assert _job()(["--month", month, *fast], spark=spark, cfg=per_month) == 0
    assert _job()(["--months", "2026-09:2026-10", *fast], spark=spark, cfg=one_pass) == 0

    def tables(cfg):
        return {n: sorted((tuple(r) for r in read_delta(spark, table(n).path(cfg)).collect()), key=repr) for n in names}

    expected = tables(per_month)
    assert {r[1] for r in expected["gold.social_features"]} == {"2026-09", "2026-10"}
    october_a = next(r for r in expected["gold.social_features"] if r[:2] == ("A", "2026-10"))
    assert october_a[14] == 0.0  # competitor_share_trend_3m: the same share in September and October
    assert tables(one_pass) == expected
