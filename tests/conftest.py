"""One SparkSession for the whole run (local[2], 2 shuffle partitions, no UI) with Delta enabled, and
configs whose data folders live in a temporary directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests use their own pseudonymisation and list keys, set before anything reads the environment.
os.environ.setdefault("LIFECIRCLE_PII_KEY", "test-only-pseudonymisation-key-0001")
os.environ.setdefault("LIFECIRCLE_LISTS_KEY", "dGVzdC1vbmx5LWxpc3RzLWtleS0wMDAwMDAwMDAwMDA=")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

from lifecircle.core.config import Config, load_config  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT.parent / "shared" / "data"

pytest_plugins: list[str] = ["tests.fixtures.silver", "tests.fixtures.province", "tests.fixtures.pipeline"]


def make_config(data_root: Path | str, *overrides: str) -> Config:
    """The test environment's config with every data path under `data_root`."""
    return load_config("test", overrides=[f"paths.data_root={data_root}", *overrides])


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lifecircle")


@pytest.fixture(scope="session")
def cfg(session_dir) -> Config:
    return make_config(session_dir / "data")


@pytest.fixture(scope="session")
def spark(cfg):
    from lifecircle.core.spark import build_session

    session = build_session("tests", cfg)
    yield session
    session.stop()


@pytest.fixture(autouse=True, scope="module")
def _release_spark_memory_after_module():
    """Drop cached tables and let the JVM collect dead checkpoints/broadcasts after each module: the whole run
    shares one 3 GB driver, and unreferenced local checkpoints otherwise wait for Spark's 30-minute cleaner GC."""
    yield
    from pyspark.sql import SparkSession

    from lifecircle.core.spark import release_memory

    session = SparkSession.getActiveSession()  # never starts one for modules that did not use Spark
    if session is not None:
        release_memory(session)


@pytest.fixture
def tmp_cfg(tmp_path) -> Config:
    """A config whose tables, checkpoints and MLflow store live in this test's own folder."""
    return make_config(tmp_path / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public datasets in ../shared/data (skips with the reason when the folder is absent)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real public datasets not found at {SHARED_DATA} (only present beside the project checkout)")
    return SHARED_DATA
