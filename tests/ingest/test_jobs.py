"""The ingest and silver jobs end to end on hand-made raw files: exactly-once (rerun, duplicate delivery,
corrected re-delivery, a run killed before its manifest commit), quarantine, reconciliation, the privacy
boundary, and one-line errors for a missing or unreadable file and a bad quality config."""

from __future__ import annotations

import shutil
from pathlib import Path

from lifecircle.runtime import run_script
from tests.conftest import make_config
from tests.ingest.rawfiles import CELLS, cdr, write_raw

DAY = "2026-10-01"
CDR_FILE = "voice_cdr/2026-10-01/cdr_20261001_0001.txt.gz"
GOOD_IMEI, BAD_IMEI = "490154203237518", "490154203237519"


def _rows(spark, cfg, table: str, drop: tuple[str, ...] = ()) -> list[tuple]:
    layer, name = table.split(".")
    df = spark.read.format("delta").load(f"{cfg.get('paths.tables')}/{layer}/{name}")
    return sorted(tuple(r) for r in df.drop(*drop).collect())


def _deliver(root: Path) -> None:
    write_raw(root, "cells", "", CELLS)
    write_raw(root, "voice_cdr", DAY, [
        cdr("R1"), cdr("R2", other="13000000009"), cdr("R2", other="13000000009"),  # lines 2-4: 4 repeats 3
        cdr("R3", msisdn="1380000000"), '"' + cdr("R4"),                              # 5 bad_msisdn, 6 malformed
        cdr("R5", other="02112345678", network="fixed", direction="MT"),             # 7
    ])
    write_raw(root, "terminal", "2026-10", [f"13800000001|{GOOD_IMEI}|20260101|20261031",
                                             f"13900000002|{BAD_IMEI}|20260101|20261031"])


def test_ingest_exactly_once_then_silver_private_and_idempotent(spark, tmp_cfg):
    root = Path(tmp_cfg.get("paths.raw"))
    _deliver(root)
    assert run_script("ingest", [], spark=spark, cfg=tmp_cfg) == 0
    bronze = _rows(spark, tmp_cfg, "bronze.voice_cdr")
    assert [(r[0], r[11]) for r in bronze] == [("R1", 2), ("R2", 3), ("R2", 4), ("R5", 7)]
    quarantine = _rows(spark, tmp_cfg, "meta.quarantine", drop=("quarantined_at", "batch_id", "raw_line", "detail"))
    assert quarantine == [
        ("terminal", "terminal/2026-10/imei_202610.txt", 3, "bad_imei", "bronze", "2026-10"),
        ("voice_cdr", CDR_FILE, 5, "bad_msisdn", "bronze", DAY),
        ("voice_cdr", CDR_FILE, 6, "malformed_line", "bronze", DAY),
    ]
    recon = _rows(spark, tmp_cfg, "meta.reconciliation", drop=("batch_id", "recorded_at"))
    assert ("bronze", "voice_cdr", CDR_FILE, DAY, 6, 4, 2, "yes") in recon
    assert all(r[-1] == "yes" for r in recon)
    before = {t: _rows(spark, tmp_cfg, t) for t in ("bronze.voice_cdr", "meta.quarantine", "meta.file_manifest")}

    # rerun, then the same bytes delivered again under another part number: nothing changes but the manifest
    assert run_script("ingest", [], spark=spark, cfg=tmp_cfg) == 0
    assert {t: _rows(spark, tmp_cfg, t) for t in before} == before
    shutil.copyfile(root / CDR_FILE, root / CDR_FILE.replace("_0001", "_0002"))
    assert run_script("ingest", ["--feed", "voice_cdr,terminal", "--date", DAY], spark=spark, cfg=tmp_cfg) == 0
    assert _rows(spark, tmp_cfg, "bronze.voice_cdr") == before["bronze.voice_cdr"]
    manifest = {(r[0], r[6], r[7]) for r in _rows(spark, tmp_cfg, "meta.file_manifest")}
    assert (CDR_FILE.replace("_0001", "_0002"), "duplicate_file", CDR_FILE) in manifest

    # silver: deduplicated, typed, pseudonymised; a rerun leaves it identical
    assert run_script("silver", ["--month", "2026-10"], spark=spark, cfg=tmp_cfg) == 0
    cdrs = _rows(spark, tmp_cfg, "silver.voice_cdr")
    assert [(r[1], r[4], r[5]) for r in cdrs] == [("R1", "on_net", "MO"), ("R2", "competitor_a", "MO"),
                                                   ("R5", "fixed", "MT")]
    assert [r[3] for r in _rows(spark, tmp_cfg, "silver.terminal")] == ["49015420"]
    dup = _rows(spark, tmp_cfg, "meta.quarantine", drop=("quarantined_at", "batch_id", "raw_line"))
    assert ("voice_cdr", CDR_FILE, 4, "duplicate_record", f"repeat of {CDR_FILE}:3", "silver", DAY) in dup
    silver_before = {t: _rows(spark, tmp_cfg, t) for t in ("silver.voice_cdr", "silver.terminal", "silver.cells")}
    recon_before = _rows(spark, tmp_cfg, "meta.reconciliation", drop=("recorded_at",))
    assert ("silver", "voice_cdr", CDR_FILE, DAY, 4, 3, 1, "yes") in [r[1:] for r in recon_before]
    assert run_script("silver", ["--month", "2026-10"], spark=spark, cfg=tmp_cfg) == 0
    assert {t: _rows(spark, tmp_cfg, t) for t in silver_before} == silver_before
    assert _rows(spark, tmp_cfg, "meta.reconciliation", drop=("recorded_at",)) == recon_before  # not appended twice
    clear = {"13800000001", "13000000009", "02112345678", "13900000002", GOOD_IMEI, BAD_IMEI}
    for table, rows in silver_before.items():
        text = repr(rows)
        assert not [c for c in clear if c in text], f"a clear number reached {table}"

    # a corrected re-delivery (same name, other bytes) replaces that file's rows and quarantine
    write_raw(root, "voice_cdr", DAY, [cdr("R1"), cdr("R6")])
    assert run_script("ingest", ["--feed", "voice_cdr", "--date", DAY], spark=spark, cfg=tmp_cfg) == 0
    assert [(r[0], r[11]) for r in _rows(spark, tmp_cfg, "bronze.voice_cdr")] == [("R1", 2), ("R6", 3)]
    statuses = sorted(r[6] for r in _rows(spark, tmp_cfg, "meta.file_manifest") if r[0] == CDR_FILE)
    assert statuses == ["ingested", "replaced"]
    assert not [r for r in _rows(spark, tmp_cfg, "meta.quarantine") if r[1] == CDR_FILE and r[6] == "bronze"]


def test_a_run_killed_before_the_manifest_commit_is_completed_by_the_rerun(spark, tmp_cfg, capsys):
    root = Path(tmp_cfg.get("paths.raw"))
    write_raw(root, "cells", "", CELLS)
    write_raw(root, "voice_cdr", DAY, [cdr("R1"), cdr("R2", msisdn="1")])
    blocker = Path(tmp_cfg.get("paths.tables")) / "meta" / "file_manifest"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a table")  # the manifest commit fails after bronze and quarantine are written
    assert run_script("ingest", [], spark=spark, cfg=tmp_cfg) != 0
    assert [(r[0], r[11]) for r in _rows(spark, tmp_cfg, "bronze.voice_cdr")] == [("R1", 2)]
    blocker.unlink()
    assert run_script("ingest", [], spark=spark, cfg=tmp_cfg) == 0
    assert [(r[0], r[11]) for r in _rows(spark, tmp_cfg, "bronze.voice_cdr")] == [("R1", 2)]
    assert [(r[1], r[2], r[4]) for r in _rows(spark, tmp_cfg, "meta.quarantine")] == [(CDR_FILE, 3, "bad_msisdn")]
    assert sorted((r[0], r[6]) for r in _rows(spark, tmp_cfg, "meta.file_manifest")) == [
        ("ref/cells.csv", "ingested"), (CDR_FILE, "ingested")]


def test_missing_unreadable_file_and_bad_config_fail_with_one_line(spark, tmp_path, capsys):
    cfg = make_config(tmp_path / "data")
    assert run_script("ingest", ["--feed", "voice_cdr", "--date", "2026-10-05"], spark=spark, cfg=cfg) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ERROR ingest: no raw file of feed voice_cdr for 2026-10-05: expected ")
    assert err.endswith("/voice_cdr/2026-10-05/cdr_{date:%Y%m%d}_{part:04d}.txt.gz") and "\n" not in err
    assert run_script("ingest", ["--feed", "sms,voice_cdrs", "--date", "2026-10-05"], spark=spark, cfg=cfg) == 2
    assert capsys.readouterr().err.strip().startswith("ERROR ingest: unknown feed voice_cdrs (known: all, ")

    broken = Path(cfg.get("paths.raw")) / "voice_cdr" / DAY / "cdr_20261001_0001.txt.gz"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"this is not gzip")
    assert run_script("ingest", ["--feed", "voice_cdr", "--date", DAY], spark=spark, cfg=cfg) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"ERROR ingest: raw file {CDR_FILE} cannot be read: not a gzip file (bad magic bytes)"

    bad = make_config(tmp_path / "data", "quality.rules.daily_volume.check=bogus")
    assert run_script("ingest", [], spark=spark, cfg=bad) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ERROR ingest: conf/quality.yaml: key 'quality.rules.daily_volume.check' has unknown rule")
    assert "\n" not in err


def test_silver_over_a_range_of_months_equals_one_run_per_month(spark, tmp_cfg):
    root = Path(tmp_cfg.get("paths.raw"))
    write_raw(root, "cells", "", CELLS)
    sep = "2026-09-30"
    write_raw(root, "voice_cdr", sep, [cdr("R1", start=f"{sep} 08:00:00"), cdr("R1", start=f"{sep} 08:00:00"),
                                       cdr("R9", start=f"{sep} 09:00:00")])
    write_raw(root, "voice_cdr", DAY, [cdr("R2"), cdr("R9", start=f"{DAY} 09:00:00"), cdr("R2")])
    for month in ("2026-09", "2026-10"):
        write_raw(root, "terminal", month, [f"13800000001|{GOOD_IMEI}|20260101|{month.replace('-', '')}28"])
    assert run_script("ingest", [], spark=spark, cfg=tmp_cfg) == 0
    tables = {"silver.voice_cdr": (), "silver.terminal": (), "meta.quarantine": ("quarantined_at",),
              "meta.reconciliation": ("recorded_at",)}

    assert run_script("silver", ["--months", "2026-09:2026-10"], spark=spark, cfg=tmp_cfg) == 0
    once = {t: _rows(spark, tmp_cfg, t, drop) for t, drop in tables.items()}
    # R9 in both months is no repeat (duplicates are looked for within a month, as --month does); R1 and R2 are
    assert sorted(r[1] for r in once["silver.voice_cdr"]) == ["R1", "R2", "R9", "R9"]
    assert sorted((r[1], r[2], r[4]) for r in once["meta.quarantine"]) == [
        (f"voice_cdr/{sep}/cdr_20260930_0001.txt.gz", 3, "duplicate_record"), (CDR_FILE, 4, "duplicate_record")]
    assert {r[0] for r in once["meta.reconciliation"] if r[1] == "silver"} == {"silver:2026-09", "silver:2026-10"}
    assert len(once["silver.terminal"]) == 2

    for month in ("2026-09", "2026-10"):
        assert run_script("silver", ["--month", month], spark=spark, cfg=tmp_cfg) == 0
    assert {t: _rows(spark, tmp_cfg, t, drop) for t, drop in tables.items()} == once
    assert run_script("silver", ["--months", "2026-09:2026-10", "--month", "2026-09"], spark=spark, cfg=tmp_cfg) == 2
