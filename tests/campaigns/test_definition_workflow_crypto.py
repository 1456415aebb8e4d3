"""Campaign definition validation, the approval workflow and the encrypted list format (no Spark needed
except the audit-table round trip)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet

from lifecircle.campaigns.cli import main as cli_main
from lifecircle.campaigns.crypto import csv_bytes, decrypt, encrypt, lists_key
from lifecircle.campaigns.definition import load_campaign_file, parse_campaign
from lifecircle.campaigns.workflow import current_state, transition
from lifecircle.core.errors import ConfigError, InputError, LifecircleError

from .conftest import campaign_dict, make_campaign


def test_valid_definition_and_unit_costs():
    c = make_campaign()
    assert c.groups == ("call_pack", "sms_gift", "control")
    assert c.unit_costs == {"outbound_call": 1.3, "sms": 0.1}
    assert (c.start, c.end, c.priority, c.approvals) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30), 50,
                                                         ("manager", "director"))


@pytest.mark.parametrize(("change", "message"), [
    ({"rule": ""}, "field 'rule': is required"),
    ({"strategies": []}, "field 'strategies': is required"),
    ({"channels": {"fax": {"capacity": 3}}}, "field 'channels.fax': unknown channel"),
    ({"channels": {"outbound_call": {"capacity": -1}, "sms": {"capacity": 5}}}, "field 'channels.outbound_call.capacity'"),
    ({"window": {"start": "2026-11-30", "end": "2026-11-01"}}, "field 'window.end'"),
    ({"window": {"start": "someday", "end": "2026-11-01"}}, "field 'window.start'"),
    ({"priority": "high"}, "field 'priority': must be an integer"),
    ({"budget": None}, "field 'budget'"),
    ({"target": {"metric": "x"}}, "field 'target'"),
    ({"colour": "red"}, "field 'colour': unknown field"),
    ({"id": "other"}, "field 'id': 'other' must equal the file name"),
])
def test_invalid_definitions_name_file_and_field(change, message):
    with pytest.raises(ConfigError, match=f"^winback.yaml: .*{message}"):
        parse_campaign(campaign_dict(**change), "winback.yaml")


def test_strategy_errors_name_the_index():
    d = campaign_dict()
    d["strategies"][1]["channel"] = "mms"
    d["strategies"].append({"id": "call_pack", "offer_id": "O", "channel": "sms", "script": "x"})
    with pytest.raises(ConfigError) as err:
        parse_campaign(d, "winback.yaml")
    assert "field 'strategies[1].channel': channel 'mms' has no capacity" in str(err.value)
    assert "field 'strategies[2].id': duplicate strategy id 'call_pack'" in str(err.value)


def test_demo_campaign_file_is_valid():
    from lifecircle.core.paths import project_root

    c = load_campaign_file(project_root() / "conf" / "campaigns" / "retention_2026q4.yaml")
    assert c.id == "retention_2026q4" and len(c.strategies) == 2


def _run(history, action, actor, level=None):
    row = transition("c1", history, action, actor, ("manager", "director"), level)
    return [*history, row]


def test_workflow_happy_path_and_refusals():
    h: list = []
    with pytest.raises(LifecircleError, match="launch refused in state draft: missing approval"):
        _run(h, "launch", "ops")
    h = _run(h, "submit", "alice")
    with pytest.raises(LifecircleError, match="next approval level is 'manager', not 'director'"):
        _run(h, "approve", "bob", "director")
    with pytest.raises(LifecircleError, match="already submitted or approved"):
        _run(h, "approve", "alice")
    h = _run(h, "approve", "bob")
    assert current_state(h) == "in_approval"
    with pytest.raises(LifecircleError, match="missing approval\\(s\\): director"):
        _run(h, "launch", "ops")
    h = _run(h, "approve", "carol", "director")
    assert current_state(h) == "approved"
    h = _run(h, "launch", "ops")
    with pytest.raises(LifecircleError, match="cannot submit"):
        _run(h, "submit", "alice")
    h = _run(h, "close", "ops")
    assert [(r["seq"], r["action"], r["from_state"], r["to_state"], r["level"], r["actor"]) for r in h] == [
        (1, "submit", "draft", "submitted", None, "alice"),
        (2, "approve", "submitted", "in_approval", "manager", "bob"),
        (3, "approve", "in_approval", "approved", "director", "carol"),
        (4, "launch", "approved", "launched", None, "ops"),
        (5, "close", "launched", "closed", None, "ops"),
    ]


def test_reject_returns_to_draft_and_approvals_restart():
    h = _run(_run([], "submit", "alice"), "approve", "bob")
    h = _run(h, "reject", "carol")
    assert current_state(h) == "draft"
    h = _run(h, "submit", "alice")
    with pytest.raises(LifecircleError, match="launch refused"):
        _run(h, "launch", "ops")
    with pytest.raises(LifecircleError, match="next approval level is 'manager'"):
        _run(h, "approve", "carol", "director")


def test_audit_table_round_trip_through_the_cli(spark, tmp_path, capsys):
    conf = ["--env", "test", "--set", f"paths.data_root={tmp_path / 'data'}"]
    cid = "retention_2026q4"
    assert cli_main(["launch", cid, "--by", "ops", *conf], spark=spark) == 2
    assert "launch refused" in capsys.readouterr().err
    assert cli_main(["submit", cid, "--by", "alice", *conf], spark=spark) == 0
    assert cli_main(["approve", cid, "--by", "bob", *conf], spark=spark) == 0
    assert cli_main(["approve", cid, "--by", "carol", "--level", "branch_director", *conf], spark=spark) == 0
    assert cli_main(["launch", cid, "--by", "ops", *conf], spark=spark) == 0
    assert cli_main(["status", cid, *conf], spark=spark) == 0
    out = capsys.readouterr().out
    assert "retention_2026q4: launched; approvals ['marketing_manager', 'branch_director']" in out
    assert "approve  submitted->in_approval marketing_manager by bob" in out


def test_encrypted_list_needs_the_key_and_detects_tampering(tmp_path, capsys):
    key = Fernet.generate_key()
    clear = csv_bytes(["subscriber_id", "script"], [("abc123", "您好"), ("def456", None)])
    assert clear.decode() == "subscriber_id,script\nabc123,您好\ndef456,\n"
    token = encrypt(clear, key)
    assert b"abc123" not in token
    assert decrypt(token, key) == clear
    with pytest.raises(InputError, match="wrong key or the file was altered"):
        decrypt(token, Fernet.generate_key())
    tampered = bytearray(token)
    tampered[len(tampered) // 2] = ord("A") if tampered[len(tampered) // 2] != ord("A") else ord("B")
    with pytest.raises(InputError, match="wrong key or the file was altered"):
        decrypt(bytes(tampered), key)
    # the administrator's command
    path = tmp_path / "list.csv.fernet"
    path.write_bytes(token)
    env = {"LIFECIRCLE_LISTS_KEY": key.decode()}
    assert lists_key(environ=env) == key
    import os

    old = os.environ.get("LIFECIRCLE_LISTS_KEY")
    os.environ["LIFECIRCLE_LISTS_KEY"] = key.decode()
    try:
        assert cli_main(["lists", "decrypt", str(path), "--env", "test"]) == 0
        assert "abc123,您好" in capsys.readouterr().out
        os.environ["LIFECIRCLE_LISTS_KEY"] = Fernet.generate_key().decode()
        assert cli_main(["lists", "decrypt", str(path), "--env", "test"]) == 2
        assert "wrong key or the file was altered" in capsys.readouterr().err
    finally:
        if old is None:
            os.environ.pop("LIFECIRCLE_LISTS_KEY", None)
        else:
            os.environ["LIFECIRCLE_LISTS_KEY"] = old
    with pytest.raises(ConfigError, match="LIFECIRCLE_LISTS_KEY"):
        lists_key(environ={})
    with pytest.raises(ConfigError, match="not a valid Fernet key"):
        lists_key(environ={"LIFECIRCLE_LISTS_KEY": "short"})
