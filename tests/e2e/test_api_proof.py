"""Proof over HTTP: GET /verify, GET /signing-key, receipts on reports, POST /verify-report."""

from __future__ import annotations

from tests.e2e.test_api import Api, api  # noqa: F401  (the served API fixture)

FACTS = (
    '{"type": "contract.signed", "account_id": "acme", "effective_from": '
    '"2026-01-01T00:00:00Z", "terms": {"template": "lifesize-extreme"}}\n'
    '{"type": "outage.started", "outage_id": "o-1", "at": "2026-04-05T12:00:00Z", '
    '"accounts": ["acme"]}\n'
    '{"type": "outage.ended", "outage_id": "o-1", "at": "2026-04-05T12:45:00Z"}\n'
)


def seeded(api: Api) -> None:  # noqa: F811
    answer = api.call(
        "operator", "POST", "/events", content=FACTS,
        headers={"Content-Type": "application/x-ndjson"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text


def test_verify_is_for_operators_and_auditors(api: Api) -> None:  # noqa: F811
    seeded(api)
    found = api.call("auditor", "GET", "/verify")
    assert found.status_code == 200
    assert (found.json()["status"], found.json()["head"]) == ("intact", 3)
    assert api.call("customer", "GET", "/verify").status_code == 404
    assert api.call(None, "GET", "/verify").status_code == 401


def test_the_public_key_needs_no_key(api: Api) -> None:  # noqa: F811
    key = api.call(None, "GET", "/signing-key").json()
    assert key["algorithm"] == "Ed25519" and len(key["public_key"]) == 64


def test_writes_record_their_key_as_the_actor(api: Api) -> None:  # noqa: F811
    seeded(api)
    events = api.call("auditor", "GET", "/events").json()["events"]
    assert {event["actor"].rsplit(":", 1)[-1] for event in events} == {"operator"}
    report = api.call("customer", "GET", "/accounts/acme/availability/2026-04").json()
    assert all(ref["actor"].startswith("key:") for ref in report["evidence"])


def test_a_served_report_carries_a_receipt_that_verifies(api: Api) -> None:  # noqa: F811
    seeded(api)
    report = api.call("customer", "GET", "/accounts/acme/availability/2026-04").json()
    assert report["receipt"]["as_of_position"] == 3 and report["receipt"]["signature"]
    checked = api.call("customer", "POST", "/verify-report", json=report).json()
    assert checked == {"valid": True, "checked_against_ledger": True, "problems": []}
    report["unavailable_seconds"] = 0
    checked = api.call("customer", "POST", "/verify-report", json=report).json()
    assert checked["valid"] is False
    assert checked["problems"][0].startswith("unavailable_seconds: differs")


def test_paged_reports_carry_receipts_too(api: Api) -> None:  # noqa: F811
    seeded(api)
    page = api.call("auditor", "GET", "/breaches?month=2026-04").json()
    assert [b["account_id"] for b in page["breaches"]] == ["acme"]
    checked = api.call("auditor", "POST", "/verify-report", json=page).json()
    assert checked["valid"], checked
    malformed = api.call("auditor", "POST", "/verify-report", json={"month": "2026-04"})
    assert malformed.status_code == 422 and "receipt" in malformed.text
