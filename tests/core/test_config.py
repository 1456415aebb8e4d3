from __future__ import annotations

from pathlib import Path

import pytest

from lifecircle.core.config import load_config
from lifecircle.core.errors import ConfigError


def _conf(tmp_path: Path, base: str, **files: str) -> Path:
    (tmp_path / "base.yaml").write_text(base)
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    return tmp_path


BASE = """
include: [extra.yaml]
paths:
  data_root: data
  tables: ${paths.data_root}/tables
spark:
  master: local[*]
  shuffle_partitions: 8
  conf: {}
"""


def test_layers_merge_in_order_and_refs_resolve(tmp_path):
    conf = _conf(tmp_path, BASE, extra="threshold: 0.5\n", local="spark:\n  shuffle_partitions: 4\n")
    cfg = load_config("local", conf, overrides=["paths.data_root=/x"],
                      environ={"LIFECIRCLE__SPARK__MASTER": "yarn"})
    assert cfg.get("spark.shuffle_partitions") == 4
    assert cfg.get("spark.master") == "yarn"
    assert cfg.get("paths.tables") == "/x/tables"
    assert cfg.get("extra.threshold") == 0.5


def test_open_mapping_accepts_new_keys(tmp_path):
    conf = _conf(tmp_path, BASE, extra="{}", local="spark:\n  conf:\n    spark.foo: bar\n")
    assert load_config("local", conf).get("spark.conf") == {"spark.foo": "bar"}


def test_unknown_key_names_the_key_and_file(tmp_path):
    conf = _conf(tmp_path, BASE, extra="{}", local="spark:\n  mastr: yarn\n")
    with pytest.raises(ConfigError, match=r"local.yaml: unknown key 'spark.mastr'"):
        load_config("local", conf)


def test_wrong_type_names_the_key_and_file(tmp_path):
    conf = _conf(tmp_path, BASE, extra="{}", local="spark:\n  shuffle_partitions: many\n")
    with pytest.raises(ConfigError, match=r"local.yaml: key 'spark.shuffle_partitions' must be int, got str"):
        load_config("local", conf)


def test_bad_set_override_and_missing_env(tmp_path):
    conf = _conf(tmp_path, BASE, extra="{}", local="{}")
    with pytest.raises(ConfigError, match="expected key=value"):
        load_config("local", conf, overrides=["spark.master"])
    with pytest.raises(ConfigError, match="no such environment 'prod'"):
        load_config("prod", conf)


def test_invalid_yaml_names_file_and_line(tmp_path):
    conf = _conf(tmp_path, BASE, extra="{}", local="spark: [unclosed\n")
    with pytest.raises(ConfigError, match=r"local.yaml: line \d+ invalid YAML"):
        load_config("local", conf)


def test_project_config_loads_for_every_environment():
    for env in ("local", "test", "cluster.example"):
        cfg = load_config(env)
        assert cfg.get("paths.tables").endswith("/tables")
    assert load_config("test").get("spark.shuffle_partitions") == 2
