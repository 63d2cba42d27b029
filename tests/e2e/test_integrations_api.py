"""POST /integrations/alertmanager and GET /metrics through the HTTP API (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore
from api.settings import Settings
from ledger.store.opening import open_ledger
from tests.factories import ndjson, signed


def notification(status: str, *alerts: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": status,
        "receiver": "sla-ledger", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093", "alerts": list(alerts),
    }  # fmt: skip


def alert(fingerprint: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "status": status, "labels": {"alertname": "LoginDown", **labels}, "annotations": {},
        "startsAt": "2026-04-05T12:00:00Z", "generatorURL": "", "fingerprint": fingerprint,
        "endsAt": "2026-04-05T12:45:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
    }  # fmt: skip


@pytest.fixture
def client(database_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    ledger = open_ledger(database_url)
    store = KeyStore(ledger.datastore)
    keys = {role: store.create(role)[1] for role in ("operator", "auditor", "ingest")}
    keys["customer"] = store.create("customer", "acme")[1]
    ledger.close()
    headers = {role: {"Authorization": f"Bearer {key}"} for role, key in keys.items()}
    with TestClient(create_app(Settings(database_url=database_url, follow=False))) as test:
        signing = test.post("/events", content=ndjson(signed("acme")), headers=headers["operator"])
        assert signing.status_code == 201
        yield test, headers


def test_alerts_start_and_end_outages_once_and_report_what_they_did(
    client: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    test, headers = client

    def post(body: dict[str, Any], role: str = "ingest") -> Any:
        return test.post("/integrations/alertmanager", json=body, headers=headers.get(role, {}))

    firing = notification(
        "firing", alert("aa01", sla_accounts="acme,ghost"), alert("bb02", severity="page"),
        alert("cc03", sla_accounts="ghost"),
    )  # fmt: skip
    answer = post(firing)
    assert answer.status_code == 200, answer.text
    outcomes = [(a["outcome"], a["unknown_accounts"]) for a in answer.json()["alerts"]]
    assert outcomes == [("recorded", ["ghost"]), ("ignored", []), ("unknown_accounts", ["ghost"])]
    outage_id = answer.json()["alerts"][0]["outage_id"]
    assert outage_id == "am-aa01-20260405T120000Z"
    assert post(firing).json()["alerts"][0]["outcome"] == "duplicate"  # a repeat notification

    resolved = post(notification("resolved", alert("aa01", "resolved", sla_accounts="acme,ghost")))
    assert resolved.json()["alerts"][0]["outcome"] == "recorded"
    again = post(notification("resolved", alert("aa01", "resolved", sla_accounts="acme,ghost")))
    assert again.json()["alerts"][0]["outcome"] == "duplicate"

    events = test.get("/events", headers=headers["auditor"]).json()["events"]
    assert [e["type"] for e in events] == ["contract.signed", "outage.started", "outage.ended"]
    assert events[1]["payload"]["outage_id"] == outage_id

    assert post({"version": "3", "alerts": []}).status_code == 422
    # The ingest key may use only the integration routes; others may not post alerts.
    assert test.get("/events", headers=headers["ingest"]).status_code == 403
    assert test.post("/events", content="", headers=headers["ingest"]).status_code == 403
    assert post(firing, "auditor").status_code == 403
    assert post(firing, "nobody").status_code == 401

    metrics = test.get("/metrics", headers=headers["auditor"])
    assert metrics.status_code == 200
    text = metrics.text
    assert 'sla_ledger_facts_recorded_total{type="outage.started"}' in text
    assert 'sla_ledger_alerts_total{outcome="unknown_accounts"}' in text
    assert 'sla_ledger_read_model_lag_positions{read_model="availability"}' in text
    assert "sla_ledger_open_outages 0.0" in text
    assert 'route="/integrations/alertmanager"' in text
    for role in ("ingest", "customer"):
        assert test.get("/metrics", headers=headers[role]).status_code == 403
    assert test.get("/metrics").status_code == 401


def test_metrics_can_be_public(database_url: str) -> None:
    settings = Settings(database_url=database_url, follow=False, metrics_public=True)
    with TestClient(create_app(settings)) as test:
        assert test.get("/metrics").status_code == 200
