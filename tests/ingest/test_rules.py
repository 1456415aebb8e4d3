"""Hard row rules, line numbers, Luhn, the manifest's decisions and the quality config: small and exact."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from lifecircle.core.errors import ConfigError
from lifecircle.ingest import quality, raw, rules
from lifecircle.ingest.bronze import plan_files
from lifecircle.ingest.raw import RawFile
from tests.ingest.rawfiles import CELLS, cdr, write_raw

CDR_RULES = rules.FeedRules(within_day=("start_time",), ranges={"duration_s": (0, 21600)}, cell_column="cell_id")


def test_classify_gives_each_bad_line_its_reason_and_physical_line_number(spark, tmp_path):
    root = tmp_path / "raw"
    write_raw(root, "cells", "", CELLS)
    lines = [
        cdr("R1"),                                   # 2 ok
        cdr("R2", msisdn="1000"),                    # 3 bad_msisdn
        cdr("R3", start="2026-10-02 00:00:01"),      # 4 timestamp_outside_day
        cdr("R4", dur="-5"),                         # 5 bad_duration
        cdr("R5", cell="C999"),                      # 6 unknown_cell
        "garbage",                                   # 7 malformed_line
        "a|b",                                       # 8 wrong_column_count
        b"\xff\xfe|x",                               # 9 bad_encoding
        cdr("R6", start="2026-13-01 00:00:00"),      # 10 bad_timestamp
        cdr("R7", dur="abc"),                        # 11 malformed_line (not a number)
        cdr("R8", msisdn="13000000001", other="02112345678", network="fixed"),  # 12 ok (competitor A mobile)
    ]
    write_raw(root, "voice_cdr", "2026-10-01", lines)
    files = raw.list_files(spark, str(root))
    assert [f.rel for f in files] == ["ref/cells.csv", "voice_cdr/2026-10-01/cdr_20261001_0001.txt.gz"]
    base = raw.root_uri(spark, str(root))
    cells = rules.classify(raw.read_lines(spark, files[:1], base), "cells", rules.FeedRules(msisdn_column=None),
                           rules.mobile_prefixes())
    got = rules.classify(raw.read_lines(spark, files[1:], base), "voice_cdr", CDR_RULES, rules.mobile_prefixes(),
                         cells.select("cell_id"))
    rows = sorted((r["line_number"], r["reason"], r["record_id"]) for r in
                  got.select("line_number", "reason", "record_id").collect())
    assert rows == [
        (2, None, "R1"), (3, "bad_msisdn", "R2"), (4, "timestamp_outside_day", "R3"), (5, "bad_duration", "R4"),
        (6, "unknown_cell", "R5"), (7, "malformed_line", None), (8, "wrong_column_count", None),
        (9, "bad_encoding", None), (10, "bad_timestamp", "R6"), (11, "malformed_line", "R7"), (12, None, "R8"),
    ]


def test_line_numbers_stay_exact_when_a_plain_file_is_split(spark, tmp_path):
    root = tmp_path / "raw"
    rel = write_raw(root, "vas_orders", "2026-10-01", [f"line{i:05d}" for i in range(2, 3002)])
    files = raw.list_files(spark, str(root))
    old = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "4096")  # ~9 splits of one 30 kB file
    try:
        df = raw.read_lines(spark, files, raw.root_uri(spark, str(root)))
        bad = df.where((F.col("line_number") > 1)
                       & (F.col("value") != F.format_string("line%05d", F.col("line_number"))))
        stats = df.agg(F.count(F.lit(1)), F.max("line_number"), F.countDistinct("source_file"),
                       F.first("source_file")).first()
        assert bad.count() == 0
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", old)
    assert tuple(stats) == (3001, 3001, 1, rel)


def test_luhn_and_msisdn_checks(spark):
    df = spark.createDataFrame([("490154203237518",), ("490154203237519",), ("49015420323751",), (None,)], "x string")
    got = [r[0] for r in df.select(rules.luhn_ok(F.col("x"))).collect()]
    assert got == [True, False, False, None]
    assert rules.mobile_prefixes("on_net")[0] == "134"


def _file(rel: str) -> RawFile:
    return RawFile(rel, "file:/r/" + rel, 10, 1)


def test_manifest_decisions_skip_duplicate_replace():
    a = "voice_cdr/2026-10-01/cdr_20261001_0001.txt.gz"
    copy = "voice_cdr/2026-10-02/cdr_20261001_0001 (1).txt.gz"
    new = "voice_cdr/2026-10-02/cdr_20261002_0001.txt.gz"
    manifest = [{"path": a, "sha256": "h1", "status": "ingested"}]
    got = plan_files([_file(a), _file(copy), _file(new)], {a: "h1", copy: "h1", new: "h2"}, manifest)
    assert [(d.file.rel, d.action, d.duplicate_of) for d in got] == [
        (a, "skip", None), (copy, "duplicate", a), (new, "ingest", None)]
    got = plan_files([_file(a)], {a: "h9"}, manifest)
    assert [(d.action, d.previous_sha256) for d in got] == [("replace", "h1")]
    # within one batch the conventionally named file wins over the copy, whatever the sort order
    got = plan_files([_file(copy), _file(a)], {a: "h1", copy: "h1"}, [])
    assert {d.file.rel: d.action for d in got} == {a: "ingest", copy: "duplicate"}


def test_quiet_days_with_identical_header_only_files_are_not_duplicates():
    day1 = "sms/2026-10-01/sms_20261001_0001.txt"
    day2 = "sms/2026-10-02/sms_20261002_0001.txt"
    copy = "sms/2026-10-02/sms_20261002_0002.txt"
    manifest = [{"path": day1, "sha256": "header", "status": "ingested"}]
    got = plan_files([_file(day2), _file(copy)], {day2: "header", copy: "header"}, manifest, no_data={day2, copy})
    assert {d.file.rel: d.action for d in got} == {day2: "ingest", copy: "ingest"}
    # without the no-data mark the same bytes are a re-delivery
    got = plan_files([_file(day2)], {day2: "header"}, manifest)
    assert [(d.action, d.duplicate_of) for d in got] == [("duplicate", day1)]


def test_without_data_finds_empty_and_header_only_files(spark, tmp_path):
    import gzip

    from lifecircle.ingest.raw import without_data
    (tmp_path / "a.txt").write_text("h1|h2\n")
    (tmp_path / "b.txt").write_text("")
    (tmp_path / "c.txt").write_text("h1|h2\n1|2\n")
    (tmp_path / "d.txt.gz").write_bytes(gzip.compress(b"h1|h2\n"))
    (tmp_path / "e.txt.gz").write_bytes(gzip.compress(b"h1|h2\n1|2\n"))
    files = [RawFile(n, f"file:{tmp_path}/{n}", 1, 1) for n in ("a.txt", "b.txt", "c.txt", "d.txt.gz", "e.txt.gz")]
    assert without_data(spark, files) == {"a.txt", "b.txt", "d.txt.gz"}


def test_local_listing_and_hashes_agree_with_hadoop_and_spark(spark, tmp_path):
    """The driver's fast path for a local raw root gives the same files, sizes, times and sha256 as Hadoop's
    listing and Spark's hash job (the path every other filesystem takes)."""
    root = tmp_path / "raw"
    write_raw(root, "cells", "", CELLS)
    write_raw(root, "voice_cdr", "2026-10-01", [cdr("R1"), cdr("R2")])
    write_raw(root, "voice_cdr", "2026-10-02", [cdr("R3")], part=2)
    write_raw(root, "sms", "2026-10-01", [])
    (root / "voice_cdr" / "2026-10-01" / "_cdr.gz._COPYING_").write_bytes(b"partial")
    (root / "notes").mkdir()
    (root / "notes" / "readme.txt").write_text("not a feed")
    base = raw.root_uri(spark, str(root))
    local = raw.list_files(spark, str(root))
    hadoop = raw._list_hadoop(spark, base, str(root), "")
    assert local == hadoop and len(local) == 4
    assert raw.list_files(spark, str(root), "voice_cdr") == raw._list_hadoop(spark, base, str(root), "voice_cdr")
    assert raw.list_files(spark, str(root), "no_such_feed") == []
    hashes = raw.file_hashes(spark, local)
    assert hashes == raw._spark_hashes(spark, local) and len(set(hashes.values())) == 4
    raw.check_readable(spark, local)
    (root / "voice_cdr" / "2026-10-02" / "cdr_20261002_0002.txt.gz").write_bytes(b"plain text")
    with pytest.raises(Exception, match="cdr_20261002_0002.txt.gz cannot be read: not a gzip file"):
        raw.check_readable(spark, raw.list_files(spark, str(root), "voice_cdr"))


@pytest.mark.parametrize("section, message", [
    ({"rules": {"r1": {"check": "no_such_rule"}}}, "conf/quality.yaml: key 'quality.rules.r1.check' has unknown rule"),
    ({"rules": {"r1": {"check": "range", "column": "duration_s", "feed": "voice_cdr", "min": "zero"}}},
     "conf/quality.yaml: key 'quality.rules.r1.min' must be integer or number or null, got 'zero'"),
    ({"rules": {"r1": {"check": "required_fields", "severity": "fatal"}}},
     "conf/quality.yaml: key 'quality.rules.r1.severity' must be error or warn"),
    ({"rules": {"r1": {"check": "required_fields", "colour": 1}}}, "conf/quality.yaml: unknown key 'quality.rules.r1.colour'"),
    ({"rules": {"r1": {"check": "pattern", "feed": "voice_cdr", "column": "nope", "regex": "x"}}},
     "conf/quality.yaml: key 'quality.rules.r1.column': feed voice_cdr has no column 'nope'"),
])
def test_bad_quality_config_is_one_line_naming_file_and_key(section, message):
    with pytest.raises(ConfigError) as err:
        quality.parse_rules(section)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_project_quality_config_parses_and_gate_names_rule_and_count(cfg):
    parsed = quality.parse_rules(cfg.section("quality"))
    assert {"required_fields", "expected_daily_files", "daily_volume", "cells_in_catalogue"} <= {r.name for r in parsed}
    rule = quality.Rule("cdr_ok", "quarantined", "error", ("voice_cdr",), {"reasons": ["bad_msisdn"]})
    res = [quality.result_row(rule, "voice_cdr", "2026-10-01", 100, 3)]
    with pytest.raises(Exception) as err:
        quality.gate(res)
    assert type(err.value).__name__ == "QualityGateError"
    assert str(err.value) == "data-quality gate failed: cdr_ok on voice_cdr 2026-10-01: 3 of 100 failed"
    assert quality.measure_volume(parsed[0].__class__("v", "volume", "warn", ("sms",), {}), 30, [10, 10, 11])[1] == 1
