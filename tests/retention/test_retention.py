"""Retention plan: quadrant thresholds, offer rules (with no eligible offer), budget cut and channels, the card
JSON and scripts, forward adaptation counts, and the card command's refusal of bulk input and masking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from lifecircle.core.errors import ConfigError, InputError
from lifecircle.models.alerts import ALERTS_SCHEMA
from lifecircle.models.registry import CHURN_SCORES_SCHEMA
from lifecircle.retention.card import CARD_FIELDS, check_msisdn, mask_msisdn
from lifecircle.retention.offers import NO_OFFER, match_offers, offer_fit, parse_offers
from lifecircle.retention.plan import assemble, build_plan
from lifecircle.retention.priority import Thresholds, thresholds, with_quadrant

CONF = Path(__file__).resolve().parents[2] / "conf"
FAMILIES = ("plan_mismatch", "bundle_expiry", "competitor_poaching", "complaints_faults", "bill_decline",
            "moving_away", "contagion", "habitual_switching")
M = "2026-10"


@pytest.fixture(scope="module")
def offers():
    return parse_offers(yaml.safe_load((CONF / "offers.yaml").read_text()), FAMILIES)


def test_quadrant_thresholds_pinned(spark):
    rows = [("a", 0.50, 300.0), ("b", 0.50, 299.9), ("c", 0.49, 300.0), ("d", 0.49, 299.9), ("e", None, 1e6)]
    df = spark.createDataFrame(rows, "subscriber_id string, churn_probability double, efficiency double")
    got = with_quadrant(df, Thresholds(churn=0.5, efficiency=300.0)).select("subscriber_id", "quadrant")
    want = spark.createDataFrame([("a", "A"), ("b", "B"), ("c", "C"), ("d", "D"), ("e", "C")],
                                 "subscriber_id string, quadrant string")
    assertDataFrameEqual(got, want)


def test_absolute_thresholds_need_no_pass_and_negatives_are_refused(spark):
    df = spark.createDataFrame([], "churn_probability double, efficiency double")
    assert thresholds(df, {"churn_probability_min": 0.4, "efficiency_min": 250}) == Thresholds(0.4, 250.0)
    with pytest.raises(ConfigError, match="retention.efficiency_min"):
        thresholds(df, {"churn_probability_min": 0.4, "efficiency_min": -1})


def test_offers_yaml_validation_names_the_field(offers):
    assert [o.offer_id for o in offers][:2] == ["plan_migration", "data_pack"]
    good = {"kind": "data_pack", "name_zh": "x", "name_en": "x", "eligible_if": "true", "cost": 1}
    bad_cases = [
        ({**good, "cost": "cheap"}, "offers.p.cost"),
        ({**good, "kind": "lottery"}, "offers.p.kind"),
        ({**good, "reasons": ["weather"]}, "offers.p.reasons"),
        ({**good, "plan_fit": ["upgrade"]}, "offers.p.plan_fit"),
        ({k: v for k, v in good.items() if k != "eligible_if"}, "offers.p.eligible_if"),
        ({**good, "colour": "red"}, "offers.p.colour"),
    ]
    for offer, field in bad_cases:
        with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
            parse_offers({"offers": {"p": offer}}, FAMILIES)
    with pytest.raises(ConfigError, match="offers"):
        parse_offers({"offers": {}}, FAMILIES)


SECTION = {
    "value": {"base_months": 6, "months_per_tenure_year": 2, "max_months": 24},
    "response": {"default": 0.3},
    "quadrants": {"churn_probability_min": 0.5, "efficiency_min": 300},
    "budget": {"quadrants": ["A", "B", "C"], "max_subscribers": 2, "max_spend": 0},
    "channels": {"customer_manager": {"capacity": 1, "when": "quadrant = 'A' AND arpu >= 150"},
                 "outbound_call": {"capacity": 0, "when": "quadrant IN ('A', 'B')"},
                 "sms": {"capacity": 10, "when": "true"}},
    "card": {"talking_points": {"plan_mismatch": {"zh": "套餐不匹配", "en": "plan does not fit"}}},
}


@pytest.fixture(scope="module")
def plan(spark, offers):
    """Four subscribers: s1 plan mismatch (A), s2 complaints (B), s3 contagion with a family (C), s4 no offer (D)."""
    detail = [{"family": "plan_mismatch", "feature": "plan_fee_ratio", "score": 1.0}]
    scores = spark.createDataFrame([
        ("s1", M, 0.9, 1, 1, "A", ["plan_mismatch", "bill_decline"], detail, "3"),
        ("s2", M, 0.8, 2, 1, "A", ["complaints_faults"], [], "3"),
        ("s3", M, 0.1, 3, 8, "D", ["contagion"], None, "3"),
        ("s4", M, 0.2, 4, 6, "C", ["plan_mismatch"], None, "3"),
    ], CHURN_SCORES_SCHEMA)
    panorama = spark.createDataFrame([
        ("s1", M, 200.0, 36, "ST1", "D1", 1000.0, False, False), ("s2", M, 20.0, 0, "ST2", "D2", 50.0, False, None),
        ("s3", M, 300.0, 120, None, None, 10.0, False, False), ("s4", M, 10.0, 12, "ST1", "D1", 0.0, True, False),
    ], "subscriber_id string, month string, arpu double, tenure_months int, region_store_id string, "
       "region_district string, data_mb double, region_outside_registered_county boolean, lc_home_moved boolean")
    plan_fit = spark.createDataFrame([("s1", "P1", "P2", 12.5, "step_up"), ("s4", "P1", "P1", 0.0, "none")],
                                     "subscriber_id string, current_plan_id string, best_plan_id string, "
                                     "saving double, rule string")
    social = spark.createDataFrame([("s3", "F1", 3)], "subscriber_id string, family_circle_id string, family_size int")
    nbo = spark.createDataFrame([("s2", "VAS9", 0.2, 4.0)], "subscriber_id string, product_id string, "
                                "propensity double, expected_value double")
    alerts = spark.createDataFrame([("s1", M, "complaints_3m", "low", 1, "complaints_faults", None),
                                    ("s1", M, "bill_decline_3m", "high", 3, "bill_decline", None)], ALERTS_SCHEMA)
    base = assemble(scores, panorama, {"plan_fit": plan_fit, "social": social, "next_best_offer": nbo,
                                       "segments": None, "circles": None}, alerts)
    return build_plan(base, SECTION, offers).cache()


def test_priority_quadrant_offer_budget_channel(spark, plan):
    got = plan.select("subscriber_id", F.round("priority", 2).alias("priority"), "quadrant", "offer_id", "plan_rank",
                      "in_plan", "channel", "preferred_channel", "alert_level", "recommended_plan")
    want = spark.createDataFrame([
        # s1: ARPU 200 x (6 + 2 x 3 yrs) months x 0.3 = 720 efficiency; x 0.9 = 648
        ("s1", 648.0, "A", "plan_migration", 1, True, "customer_manager", "customer_manager", "high", "P2"),
        ("s2", 28.8, "B", "service_care", 2, True, "sms", "outbound_call", None, None),
        ("s3", 216.0, "C", "family_sharing", 3, False, None, "sms", None, None),
        ("s4", 4.8, "D", NO_OFFER, None, False, None, "sms", None, None),
    ], "subscriber_id string, priority double, quadrant string, offer_id string, plan_rank int, in_plan boolean, "
       "channel string, preferred_channel string, alert_level string, recommended_plan string")
    assertDataFrameEqual(got, want)


def test_forward_adaptation_counts(spark, plan, offers):
    got = offer_fit(plan, offers).select("offer_id", "fit_subscribers", "best_for_subscribers",
                                         "in_plan_subscribers", "in_plan_cost")
    want = spark.createDataFrame([
        ("plan_migration", 1, 1, 1, 5.0), ("data_pack", 1, 0, 0, 0.0), ("tenure_upgrade", 0, 0, 0, 0.0),
        ("family_sharing", 1, 1, 0, 0.0), ("device_subsidy", 0, 0, 0, 0.0), ("service_care", 1, 1, 1, 5.0),
        ("relocation", 0, 0, 0, 0.0), ("vas_trial", 1, 0, 0, 0.0), (NO_OFFER, 0, 1, 0, 0.0),
    ], "offer_id string, fit_subscribers long, best_for_subscribers long, in_plan_subscribers long, "
       "in_plan_cost double")
    assertDataFrameEqual(got, want)


def test_card_json_and_scripts(plan):
    row = plan.where("subscriber_id = 's1'").select("card_json", "script_zh", "script_en").first()
    card = json.loads(row["card_json"])
    assert set(CARD_FIELDS) <= set(card)
    assert (card["quadrant"], card["offer_id"], card["recommended_plan"], card["home_store_id"]) == \
        ("A", "plan_migration", "P2", "ST1")
    assert card["reasons"] == ["plan_mismatch", "bill_decline"] and card["traits"] == ["plan_fee_ratio"]
    assert card["talking_points_en"] == ["plan does not fit", "Move to the better-fitting plan P2"]
    assert "流失概率 90.0%" in row["script_zh"] and "套餐迁移" in row["script_zh"] and "ST1" in row["script_zh"]
    assert "Churn probability 90.0%" in row["script_en"] and "customer_manager" in row["script_en"]


def test_card_refuses_bulk_input_and_masks():
    assert check_msisdn(["13800138000"]) == "13800138000"
    assert mask_msisdn("13800138000") == "138****8000"
    for bad in (["13800138000", "13900139000"], ["13800138000,13900139000"], ["138*"], ["@numbers.txt"],
                ["numbers.csv"], ["1380013800"], ["138001380001"], []):
        with pytest.raises(InputError):
            check_msisdn(bad)


def test_card_command(spark, tmp_path, capsys):
    from lifecircle.cli import main
    from lifecircle.core.delta_io import read_delta, write_delta
    from lifecircle.ingest.privacy import pii_key, pseudonymise_py
    from lifecircle.registry import table
    from tests.conftest import make_config

    assert main(["card", "13800138000", "13900139000"]) == 2
    assert "exactly one" in capsys.readouterr().err
    cfg = make_config(tmp_path / "data")
    pseudo = pseudonymise_py("13800138000", pii_key())
    card = json.dumps({"subscriber_id": pseudo, "quadrant": "A"})
    write_delta(spark.createDataFrame([(pseudo, M, card, "中文卡片", "english card")],
                                      "subscriber_id string, month string, card_json string, script_zh string, "
                                      "script_en string"), table("gold.retention_plan").path(cfg))
    conf = ["--env", "test", "--set", f"paths.data_root={tmp_path / 'data'}"]
    assert main(["card", *conf, "--lang", "en", "13800138000"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["138****8000  (2026-10)", "english card"]
    assert main(["card", *conf, "13900139000"]) == 2
    log = read_delta(spark, table("meta.card_access_log").path(cfg)).select("subscriber_id", "month", "found")
    assertDataFrameEqual(log, spark.createDataFrame(
        [(pseudo, M, True), (pseudonymise_py("13900139000", pii_key()), None, False)],
        "subscriber_id string, month string, found boolean"))


def test_truth_checks(spark, plan):
    from lifecircle.retention.evaluation import offer_agreement, offer_agreement_by_cause, quadrant_a_lift

    truth = spark.createDataFrame([("s1", "2026-11", "plan_mismatch"), ("s2", "2026-12", "bundle_expiry"),
                                   ("s3", None, None), ("s4", "2027-06", "plan_mismatch")],
                                  "subscriber_id string, churn_month string, churn_cause string")
    # ARPU median of 10/20/200/300 (approx) = 20: targets s1 (A) and s2 -> A share 1.0, random 0.5
    assert quadrant_a_lift(plan, truth, M) == {"a_share": 1.0, "random_share": 0.5, "lift": 2.0, "a_subscribers": 1.0}
    # s1 plan_mismatch -> plan_migration (agrees); s2 bundle_expiry -> service_care (disagrees); s4 beyond horizon
    assert offer_agreement(plan, truth, M) == {"known_cause_churners": 2.0, "agreement": 0.5,
                                               "plan_mismatch_agreement": 1.0}
    assert offer_agreement_by_cause(plan, truth, M) == {
        "plan_mismatch": {"n": 1, "agreement": 1.0, "offer_kinds": {"plan_migration": 1}},
        "bundle_expiry": {"n": 1, "agreement": 0.0, "offer_kinds": {"service_care": 1}}}


def test_moving_away_gets_relocation_only_with_a_trace_of_the_move(spark, offers):
    """s4 above lives outside its county but its reason is plan mismatch: no relocation. Here the reason is
    moving away: a home outside the registered county or a move this month → relocation; neither → no offer."""
    rows = [("m1", True, False), ("m2", None, True), ("m3", False, False)]
    df = spark.createDataFrame(rows, "subscriber_id string, region_outside_registered_county boolean, "
                                     "lc_home_moved boolean").withColumns({
        "top_reasons": F.array(F.lit("moving_away")), "plan_fit_rule": F.lit("none"),
        "current_plan_id": F.lit("P1"), "best_plan_id": F.lit("P1"), "data_mb": F.lit(10.0),
        "tenure_months": F.lit(3), "arpu": F.lit(30.0), "family_circle_id": F.lit(None).cast("string"),
        "family_size": F.lit(None).cast("int"), "nbo_product_id": F.lit(None).cast("string"),
        "strategic_segment": F.lit("1"), "value_segment": F.lit("1"), "behaviour_segment": F.lit("1")})
    got = {r["subscriber_id"]: r["offer_id"] for r in match_offers(df, offers).collect()}
    assert got == {"m1": "relocation", "m2": "relocation", "m3": NO_OFFER}
