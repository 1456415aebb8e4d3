"""On the generated tiny province: quarantine equals the generator's defect list exactly, kind by kind;
every file reconciles; the re-delivered file is a duplicate_file; no clear number reaches silver."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from lifecircle.ingest.silver_schemas import SILVER

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(request):
    try:
        return request.getfixturevalue("tiny_silver")
    except pytest.FixtureLookupError:
        pytest.skip("the generator's tiny_province fixture (tests/fixtures/province.py) is not registered yet")


def test_quarantine_equals_the_defect_list_kind_by_kind(spark, world):
    defects = spark.read.parquet(f"{world.truth}/defects").select(
        "feed", F.col("file").alias("source_file"), F.col("line").cast("long").alias("line_number"),
        F.col("kind").alias("reason"))
    quarantine = world.table(spark, "meta.quarantine").select("feed", "source_file", "line_number", "reason")
    missed = defects.exceptAll(quarantine).groupBy("reason").count().collect()
    extra = quarantine.exceptAll(defects).groupBy("reason").count().collect()
    assert (sorted(map(tuple, missed)), sorted(map(tuple, extra))) == ([], [])
    assert quarantine.count() > 0


def test_every_file_reconciles_and_the_copy_is_a_duplicate_file(spark, world):
    recon = world.table(spark, "meta.reconciliation")
    assert recon.where((F.col("balanced") != "yes")
                       | (F.col("lines_read") != F.col("accepted") + F.col("quarantined"))).count() == 0
    dup = spark.read.parquet(f"{world.truth}/duplicate_files").first()
    manifest = world.table(spark, "meta.file_manifest")
    got = manifest.where(F.col("status") == "duplicate_file").select("path", "duplicate_of").collect()
    assert [tuple(r) for r in got] == [(dup["file"], dup["duplicate_of"])]


def test_no_clear_number_or_imei_reaches_silver(spark, world):
    clear = (
        world.table(spark, "bronze.subscriber_profile").select(F.col("msisdn").alias("v"))
        .unionByName(world.table(spark, "bronze.voice_cdr").select(F.col("other_number").alias("v")))
        .unionByName(world.table(spark, "bronze.terminal").select(F.col("imei").alias("v")))
        .where(F.length("v") >= 11).distinct()
    )
    leaks = []
    for name, (schema, _) in SILVER.items():
        df = world.table(spark, name)
        strings = [f.name for f in schema.fields if f.dataType.simpleString() == "string"]
        values = df.select(F.explode(F.array(*[F.col(c) for c in strings])).alias("v"))
        if values.join(F.broadcast(clear), "v", "left_semi").limit(1).count():
            leaks.append(name)
    assert leaks == []
