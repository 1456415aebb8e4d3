"""Shared fixtures of the panorama/OLAP tests: the tiny province and its October panorama (built once)."""

from __future__ import annotations

import pytest

from lifecircle.features.panorama import (
    assemble_panorama,
    latest_terminal,
    month_filter,
    monthly_usage,
    subscriber_universe,
)
from tests.features import world

GAP_RULES = [
    {"circle": "is_student", "occupation": "student", "age_band": "18-23"},
    {"circle": "is_white_collar", "occupation": "white_collar"},
]


def build(t: dict, month: str, prev=None):
    """Universe and gold.usage_monthly rows of `month` from the tiny silver tables."""
    universe = subscriber_universe(t["silver.subscriber"], month)
    return universe, monthly_usage(
        universe, t["silver.billing"], month_filter(t["silver.voice_cdr"], month),
        month_filter(t["silver.sms"], month), month_filter(t["silver.data_usage"], month),
        month_filter(t["silver.vas_orders"], month), month_filter(t["silver.service_contacts"], month),
        month, prev_usage=prev, decline=0.15,
    )


@pytest.fixture(scope="session")
def tables(spark):
    return world.load(spark)


@pytest.fixture(scope="session")
def history(spark):
    return spark.createDataFrame(world.usage_history(), world.USAGE_HISTORY_SCHEMA)


@pytest.fixture(scope="session")
def october(spark, tables, history):
    return build(tables, "2026-10", history.where("month = '2026-09'"))


@pytest.fixture(scope="session")
def panorama_df(spark, tables, history, october):
    universe, oct_ = october
    return assemble_panorama(
        universe, oct_, "2026-10", usage_history=history,
        terminal=latest_terminal(tables["silver.terminal"], tables["silver.tac"], "2026-10"),
        tariffs=tables["silver.tariffs"], circles=tables["gold.circle_features"],
        social=tables["gold.social_features"], gap_rules=GAP_RULES,
    ).localCheckpoint()


@pytest.fixture(scope="session")
def rows(panorama_df):
    return {r["subscriber_id"]: r.asDict() for r in panorama_df.collect()}


