"""Real Delta Lake: partitioned write, partition-scoped overwrite, merge and time travel."""

from __future__ import annotations

import pytest
from pyspark.sql import Row

from lifecircle.core.delta_io import predicate, read_delta, write_delta
from lifecircle.core.errors import InputError


def test_partitioned_write_replace_where_and_time_travel(spark, tmp_path):
    path = str(tmp_path / "t")
    df = spark.createDataFrame([("2026-09", "a", 1), ("2026-09", "b", 2), ("2026-10", "a", 3)], "month string, k string, v int")
    assert write_delta(df, path, mode="replace", partition_by=("month",), replace_where={"month": "2026-09"}) == 3
    redo = spark.createDataFrame([("2026-10", "a", 30), ("2026-10", "c", 40)], "month string, k string, v int")
    assert write_delta(redo, path, mode="replace", partition_by=("month",), replace_where={"month": "2026-10"}) == 2
    # rerunning the same partition is idempotent
    write_delta(redo, path, mode="replace", partition_by=("month",), replace_where={"month": "2026-10"})
    now = {(r.month, r.k, r.v) for r in read_delta(spark, path).collect()}
    assert now == {("2026-09", "a", 1), ("2026-09", "b", 2), ("2026-10", "a", 30), ("2026-10", "c", 40)}
    v0 = {(r.month, r.k, r.v) for r in read_delta(spark, path, version=0).collect()}
    assert v0 == {("2026-09", "a", 1), ("2026-09", "b", 2), ("2026-10", "a", 3)}
    assert spark.read.format("delta").load(path).inputFiles()  # files really exist
    parts = {p.name for p in (tmp_path / "t").iterdir() if p.name.startswith("month=")}
    assert parts == {"month=2026-09", "month=2026-10"}


def test_replace_where_refuses_rows_outside_the_partition(spark, tmp_path):
    path = str(tmp_path / "t")
    df = spark.createDataFrame([("2026-09", 1)], "month string, v int")
    write_delta(df, path, mode="replace", partition_by=("month",), replace_where={"month": "2026-09"})
    wrong = spark.createDataFrame([("2026-11", 1)], "month string, v int")
    with pytest.raises(Exception, match="(?i)replaceWhere|does not conform|DELTA_REPLACE_WHERE_MISMATCH"):
        write_delta(wrong, path, mode="replace", partition_by=("month",), replace_where={"month": "2026-09"})


def test_replace_on_a_data_column_counts_only_new_rows(spark, tmp_path):
    # the predicate is on a non-partition column: Delta rewrites the touched file and copies its kept rows
    path = str(tmp_path / "q")
    first = spark.createDataFrame([("f", "2026-04-30", 1), ("f", "2026-05-01", 2)], "feed string, period string, v int")
    write_delta(first.coalesce(1), path, mode="replace", partition_by=("feed",), replace_where="period < '2026-05-01'")
    redo = spark.createDataFrame([("f", "2026-05-01", 20), ("f", "2026-05-02", 30)], "feed string, period string, v int")
    assert write_delta(redo, path, mode="replace", partition_by=("feed",), replace_where="period >= '2026-05-01'") == 2
    assert sorted(r.v for r in read_delta(spark, path).collect()) == [1, 20, 30]


def test_merge_upserts_on_keys(spark, tmp_path):
    path = str(tmp_path / "m")
    write_delta(spark.createDataFrame([Row(k="a", v=1), Row(k="b", v=2)]), path, mode="merge", merge_keys=("k",))
    rows = write_delta(spark.createDataFrame([Row(k="b", v=20), Row(k="c", v=3)]), path, mode="merge", merge_keys=("k",))
    assert rows == 2
    assert {(r.k, r.v) for r in read_delta(spark, path).collect()} == {("a", 1), ("b", 20), ("c", 3)}


def test_missing_table_is_a_clear_error(spark, tmp_path):
    with pytest.raises(InputError, match="table silver.nothing not found"):
        read_delta(spark, str(tmp_path / "none"), "silver.nothing")


def test_predicate_quotes_values():
    assert predicate({"month": "2026-10", "feed": ["b", "a"]}) == "`month` = '2026-10' AND `feed` IN ('a', 'b')"
    assert predicate({"k": "o'x"}) == "`k` = 'o\\'x'"


def test_optimized_writes_leave_one_file_per_partition_value(spark, tmp_path):
    # eight tasks each holding rows of three days: without optimized writes that is up to 24 files
    df = spark.range(0, 3000, 1, 8).selectExpr("cast(date_add(date'2026-10-01', cast(id % 3 as int)) as date) as date",
                                             "id")
    path = str(tmp_path / "t")
    assert write_delta(df, path, mode="overwrite", partition_by=("date",)) == 3000
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{path}`").select("numFiles").first()
    assert detail["numFiles"] == 3
