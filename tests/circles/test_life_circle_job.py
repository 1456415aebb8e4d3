"""jobs/life_circle.py on hand-made silver tables: `--months` writes what one `--month` run per month writes, and
a rerun replaces its months instead of adding to them."""

from __future__ import annotations

from pyspark.sql import functions as F

from lifecircle.core.delta_io import read_delta, write_delta
from lifecircle.registry import table
from lifecircle.runtime import run_script
from tests.fixtures.signalling_days import weeks_later, world

OUTPUTS = ("gold.stays", "gold.tags", "gold.circle_features", "gold.region_counts")


def _silver(spark, cfg) -> None:
    """October's world and a copy five weeks later (November) as silver tables."""
    signalling, cells, events, voice = world(spark)
    facts = {"silver.signalling": signalling.unionByName(weeks_later(signalling, 5, "2026-12-01")),
             "silver.voice_cdr": voice.unionByName(weeks_later(voice, 5, "2026-12-01"))}
    for name, df in facts.items():
        spec = table(name)
        write_delta(df.withColumn("month", F.date_format("date", "yyyy-MM")), spec.path(cfg),
                    partition_by=spec.partition_by)
    for name, df in (("silver.cells", cells), ("silver.events", events)):
        write_delta(df, table(name).path(cfg))


def _tables(spark, cfg) -> dict[str, list]:
    return {n: sorted((tuple(r) for r in read_delta(spark, table(n).path(cfg), n).collect()), key=repr)
            for n in OUTPUTS}


def test_months_in_one_run_equal_one_run_per_month_and_rerun_the_same(spark, tmp_path):
    from tests.conftest import make_config

    per_month, one_pass = make_config(tmp_path / "a"), make_config(tmp_path / "b")
    for cfg in (per_month, one_pass):
        _silver(spark, cfg)
    for month in ("2026-10", "2026-11"):
        assert run_script("life_circle", ["--month", month], spark=spark, cfg=per_month) == 0
    assert run_script("life_circle", ["--months", "2026-10:2026-11"], spark=spark, cfg=one_pass) == 0
    expected = _tables(spark, per_month)
    assert {r[0] for r in expected["gold.circle_features"]} == {"2026-10", "2026-11"}
    assert _tables(spark, one_pass) == expected
    assert run_script("life_circle", ["--months", "2026-10:2026-11"], spark=spark, cfg=one_pass) == 0
    assert _tables(spark, one_pass) == expected  # replaced, not duplicated


def test_a_month_without_signalling_is_refused_by_name(spark, tmp_cfg):
    _silver(spark, tmp_cfg)
    assert run_script("life_circle", ["--months", "2026-10:2026-12"], spark=spark, cfg=tmp_cfg) == 2
    assert run_script("life_circle", ["--months", "2026-10:2026-11", "--month", "2026-10"], spark=spark,
                      cfg=tmp_cfg) == 2
