"""Early-warning rules on hand-made panorama rows, with the default rules of conf/churn.yaml."""

from __future__ import annotations

import pytest
from pyspark.testing import assertDataFrameEqual

from lifecircle.core.errors import ConfigError
from lifecircle.models.alerts import ALERTS_SCHEMA, evaluate_alerts, missing_columns

COLS = ("subscriber_id string, month string, bill_decline_streak int, arpu_change_m1 double, "
        "svc_complaints_3m int, svc_fault_reports_3m int")


def test_default_rules(spark, cfg):
    conf = cfg.get("churn.alerts")
    rows = [
        ("s1", "2026-10", 3, -0.20, 0, 0),       # bill down >15% three months running -> medium
        ("s2", "2026-10", 2, -0.40, 2, 0),       # only two months down: no bill alert; 2 complaints -> low
        ("s3", "2026-10", 4, -0.35, 4, 3),       # bill high, complaints high, faults medium
        ("s4", "2026-10", None, None, None, 6),  # nulls never alert; 6 fault reports -> high
        ("s5", "2026-10", 0, 0.05, 1, 2),        # nothing
    ]
    out = evaluate_alerts(spark.createDataFrame(rows, COLS), conf["rules"], conf["level_rank"])
    bill, comp, fault = ("bill down more than 15% in each of the last three months",
                         "two or more complaints in three months", "three or more repeated fault reports")
    expected = spark.createDataFrame([
        ("s1", "2026-10", "bill_decline_3m", "medium", 2, "bill_decline", bill),
        ("s2", "2026-10", "complaints_3m", "low", 1, "complaints_faults", comp),
        ("s3", "2026-10", "bill_decline_3m", "high", 3, "bill_decline", bill),
        ("s3", "2026-10", "complaints_3m", "high", 3, "complaints_faults", comp),
        ("s3", "2026-10", "repeated_faults", "medium", 2, "complaints_faults", fault),
        ("s4", "2026-10", "repeated_faults", "high", 3, "complaints_faults", fault),
    ], ALERTS_SCHEMA)
    assertDataFrameEqual(out, expected)


def test_bad_rules(spark, cfg):
    df = spark.createDataFrame([("s1", "2026-10", 0, 0.0, 0, 0)], COLS)
    rules = {"r": {"levels": {"high": "no_such_column > 1"}}}
    assert list(missing_columns(df, rules)) == ["r"]
    assert missing_columns(df, cfg.get("churn.alerts.rules")) == {}
    with pytest.raises(ConfigError, match="invalid SQL"):
        evaluate_alerts(df, {"r": {"levels": {"high": "complaints_3m >>> ("}}}, {})
