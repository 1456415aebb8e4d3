"""A small campaign world: a definition builder and the contact policy settings used by the tests."""

from __future__ import annotations

import copy

import pytest

from lifecircle.campaigns.definition import parse_campaign

BASE = {
    "id": "winback", "name": "Win back", "goal": "Keep risky subscribers",
    "target": {"metric": "churn_reduction_pp", "value": 2.0},
    "rule": "churn_probability >= 0.5", "product_id": "P1",
    "strategies": [
        {"id": "call_pack", "offer_id": "O1", "channel": "outbound_call", "script": "hello", "offer_cost": 5.0},
        {"id": "sms_gift", "offer_id": "O2", "channel": "sms", "script": "hi", "offer_cost": 1.0},
    ],
    "channels": {"outbound_call": {"capacity": 1000}, "sms": {"capacity": 1000}},
    "window": {"start": "2026-11-01", "end": "2026-11-30"},
    "priority": 50, "budget": 100000, "seed": 42, "approvals": ["manager", "director"],
    "frequency_caps": {"max_contacts": 2, "window_days": 90},
}
POLICY = {"trial_months": 6, "bulk_cancel_months": 6, "active_cancel_months": 12, "complaint_months": 12,
          "contacted_months": 3}
NO_HOLDOUT = {"share": 0.0, "seed": 1}


def campaign_dict(**overrides):
    d = copy.deepcopy(BASE)
    d.update(overrides)
    return d


def make_campaign(**overrides):
    return parse_campaign(campaign_dict(**overrides), "winback.yaml")


@pytest.fixture
def campaign():
    return make_campaign()
