"""Alertmanager alerts -> outage facts: the label mapping, the outage id, the facts."""

from __future__ import annotations

from typing import Any

from ledger.alerts import Alert, LabelMapping, alert_accounts, alert_facts, alert_outage_id
from ledger.importing import parse_fact


def alert(status: str = "firing", **labels: str) -> Alert:
    fields: dict[str, Any] = {
        "status": status, "labels": {"alertname": "LoginDown", **labels},
        "startsAt": "2026-04-05T12:00:00.123456789+02:00", "fingerprint": "0a1b2c3d4e5f6789",
        "endsAt": "2026-04-05T12:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
    }  # fmt: skip
    return Alert.model_validate(fields)


def test_labels_name_every_account_some_accounts_or_none() -> None:
    mapping = LabelMapping()
    assert alert_accounts({"sla_scope": "all"}, mapping) == "all"
    assert alert_accounts({"sla_accounts": " acme, beta ,acme,"}, mapping) == ["acme", "beta"]
    assert alert_accounts({"severity": "page"}, mapping) == []
    custom = LabelMapping(scope_label="everyone", accounts_label="customer")
    assert alert_accounts({"customer": "acme"}, custom) == ["acme"]
    assert alert_accounts({"sla_scope": "all"}, custom) == []


def test_the_outage_id_is_the_fingerprint_and_the_start_in_utc_and_a_valid_id() -> None:
    outage_id = alert_outage_id(alert())
    assert outage_id == "am-0a1b2c3d4e5f6789-20260405T100000.123456Z"
    assert alert_outage_id(alert("resolved")) == outage_id  # the same outage when it resolves
    parse_fact({"type": "outage.ended", "outage_id": outage_id, "at": "2026-04-05T12:00:00Z"})


def test_firing_starts_resolved_starts_and_ends_with_ids_from_fingerprint_start_and_status() -> (
    None
):
    [started] = alert_facts(alert(), ["acme"])
    assert started["event_id"] == alert_outage_id(alert()) + "-firing"
    assert (started["type"], started["accounts"], started["source"]) == (
        "outage.started", ["acme"], "alertmanager: LoginDown",
    )  # fmt: skip
    again, ended = alert_facts(alert("resolved"), ["acme"])
    assert again == started
    assert (ended["type"], ended["at"], ended["event_id"]) == (
        "outage.ended", "2026-04-05T12:30:00+00:00", alert_outage_id(alert()) + "-resolved",
    )  # fmt: skip
    assert alert_facts(alert(), "all")[0]["scope"] == "all"
