"""The HTTP API through real HTTP semantics (TestClient) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore
from api.settings import Settings
from ledger.store.opening import open_ledger
from tests.factories import ndjson

TERMS: dict[str, Any] = {
    "template": "vivition-business",
    "availability": {"target_percent": "99.9"},
    "credits": {
        "monthly_fee": {"amount": "1000.00", "currency": "EUR"},
        "availability_tiers": [{"below_percent": "99.9", "credit_percent": "10"}],
        "ticket_breach_credit_percent": {"high": "5"},
    },
}
BETA_ONLY = "beta-secret-outage"


@dataclass
class Api:
    client: TestClient
    keys: dict[str, str]

    def headers(self, role: str | None) -> dict[str, str]:
        return {} if role is None else {"Authorization": f"Bearer {self.keys[role]}"}

    def call(self, role: str | None, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    ledger = open_ledger(database_url)
    store = KeyStore(ledger.datastore)
    keys = {
        "operator": store.create("operator")[1],
        "auditor": store.create("auditor")[1],
        "customer": store.create("customer", "acme")[1],
    }
    ledger.close()
    with TestClient(create_app(Settings(database_url=database_url, follow=False))) as client:
        yield Api(client, keys)


def seed(api: Api) -> None:
    """Two accounts; one outage only beta had, one everyone had; tickets; a renewal of beta's
    first term, then a late outage of beta's that makes an adjustment."""
    facts = [
        {
            "type": "contract.signed",
            "account_id": name,
            "effective_from": "2025-01-01T00:00:00Z",
            "terms": TERMS,
        }
        for name in ("acme", "beta")
    ] + [
        {
            "type": "outage.started",
            "outage_id": BETA_ONLY,
            "at": "2026-04-05T12:00:00Z",
            "accounts": ["beta"],
        },
        {"type": "outage.ended", "outage_id": BETA_ONLY, "at": "2026-04-05T13:00:00Z"},
        {
            "type": "outage.started",
            "outage_id": "everyone",
            "at": "2026-04-06T12:00:00Z",
            "scope": "all",
        },
        {"type": "outage.ended", "outage_id": "everyone", "at": "2026-04-06T12:50:00Z"},
        {
            "type": "ticket.opened",
            "ticket_id": "acme-1",
            "account_id": "acme",
            "priority": "high",
            "at": "2026-04-07T09:00:00+02:00",
        },
        {
            "type": "ticket.opened",
            "ticket_id": "beta-1",
            "account_id": "beta",
            "priority": "high",
            "at": "2026-04-07T09:00:00+02:00",
        },
        {
            "type": "renewal.completed",
            "account_id": "beta",
            "at": "2026-01-02T00:00:00Z",
            "term": 1,
            "credit_applied": {"amount": "0.00", "currency": "EUR"},
        },
        {
            "type": "outage.started",
            "outage_id": "beta-late",
            "at": "2025-06-01T00:00:00Z",
            "accounts": ["beta"],
        },
        {"type": "outage.ended", "outage_id": "beta-late", "at": "2025-06-01T05:00:00Z"},
    ]
    response = api.call(
        "operator",
        "POST",
        "/events",
        content=ndjson(*facts),
        headers={"content-type": "application/x-ndjson", **api.headers("operator")},
    )
    assert response.status_code == 201, response.text


# --- every endpoint, every role -------------------------------------------------------------

READS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/accounts/{account}/availability/2026-04", {}),
    ("GET", "/accounts/{account}/tickets?month=2026-04", {}),
    ("GET", "/accounts/{account}/credits?term=1", {}),
    (
        "GET",
        "/accounts/{account}/diff?month=2026-04&as_of=2020-01-01T00:00:00Z&vs=2100-01-01T00:00:00Z",
        {},
    ),
    (
        "POST",
        "/replay",
        {
            "json": {
                "terms": TERMS,
                "from_month": "2026-01",
                "to_month": "2026-06",
                "account_id": "{account}",
            }
        },
    ),
]
LISTS = ["/breaches?month=2026-04", "/at-risk?within=31000000", "/adjustments", "/events"]


def _fill(path: str, account: str) -> str:
    return path.replace("{account}", account)


def _request(
    api: Api, role: str | None, method: str, path: str, options: dict[str, Any], account: str
) -> Any:
    filled = json.loads(_fill(json.dumps(options), account)) if options else {}
    return api.call(role, method, _fill(path, account), **filled)


@pytest.mark.parametrize(("method", "path", "options"), READS)
def test_account_reads_by_role(api: Api, method: str, path: str, options: dict[str, Any]) -> None:
    seed(api)
    for role in ("operator", "auditor"):
        for account in ("acme", "beta"):
            response = _request(api, role, method, path, options, account)
            assert response.status_code == 200, (role, account, response.text)
    own = _request(api, "customer", method, path, options, "acme")
    assert own.status_code == 200, own.text
    assert "beta" not in own.text
    for account in ("beta", "no-such-account"):
        other = _request(api, "customer", method, path, options, account)
        assert other.status_code == 404
        assert other.json() == {"error": "not_found", "message": "not found", "problems": []}
    assert _request(api, None, method, path, options, "acme").status_code == 401


@pytest.mark.parametrize("path", LISTS)
def test_lists_show_a_customer_only_its_own_account(api: Api, path: str) -> None:
    seed(api)
    everything = api.call("auditor", "GET", path)
    assert everything.status_code == 200 and "beta" in everything.text
    mine = api.call("customer", "GET", path)
    assert mine.status_code == 200, mine.text
    assert "beta" not in mine.text and BETA_ONLY not in mine.text
    as_of = api.call(
        "customer",
        "GET",
        path
        + ("&" if "?" in path else "?")
        + "as_of="
        + datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    )
    if path.startswith("/at-risk"):  # answers for now only, and says so
        assert as_of.status_code == 422 and "now only" in as_of.text
    else:
        assert as_of.status_code == 200 and "beta" not in as_of.text, as_of.text
        unlike = {"query_time": None, "as_of": None, "receipt": None}
        assert mine.json() | unlike == as_of.json() | unlike
    assert api.call(None, "GET", path).status_code == 401


def test_a_customer_sees_its_own_ticket_only(api: Api) -> None:
    seed(api)
    assert api.call("customer", "GET", "/tickets/acme-1").status_code == 200
    for ticket in ("beta-1", "no-such-ticket"):
        response = api.call("customer", "GET", f"/tickets/{ticket}")
        assert response.status_code == 404 and response.json()["message"] == "not found"
    assert api.call("auditor", "GET", "/tickets/beta-1").status_code == 200


def test_a_customers_event_list_hides_other_accounts_even_in_shared_events(api: Api) -> None:
    seed(api)
    shared = {
        "type": "outage.started",
        "outage_id": "two",
        "at": "2026-05-01T00:00:00Z",
        "accounts": ["acme", "beta"],
    }
    api.call("operator", "POST", "/events", content=ndjson(shared))
    events = api.call("customer", "GET", "/events").json()["events"]
    two = next(e for e in events if e["payload"].get("outage_id") == "two")
    assert two["payload"]["accounts"] == ["acme"]
    assert "beta" not in json.dumps(events)
    other = api.call("customer", "GET", "/events?account_id=beta")
    assert other.status_code == 404


def test_replay_for_all_accounts_is_narrowed_to_the_customer(api: Api) -> None:
    seed(api)
    body = {"terms": TERMS, "from_month": "2026-01", "to_month": "2026-06", "all_accounts": True}
    mine = api.call("customer", "POST", "/replay", json=body)
    assert mine.status_code == 200 and mine.json()["accounts"] == ["acme"]
    assert api.call("operator", "POST", "/replay", json=body).json()["accounts"] == ["acme", "beta"]
    early = api.call("operator", "POST", "/replay", json={**body, "as_of": "2000-01-01T00:00:00Z"})
    assert (early.status_code, early.json()["accounts"], early.json()["as_of_position"]) == (
        200,
        [],
        0,
    )
    naive = api.call("operator", "POST", "/replay", json={**body, "as_of": "2026-01-01T00:00:00"})
    assert naive.status_code == 422
    refused = api.call("operator", "GET", "/at-risk?as_of=2026-01-01T00:00:00Z")
    assert refused.status_code == 422 and "now only" in refused.text


WRITES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "PUT",
        "/accounts/gamma/contract",
        {"effective_from": "2026-01-01T00:00:00Z", "terms": {"template": "lifesize-extreme"}},
    ),
    ("POST", "/outages", {"outage_id": "new", "at": "2026-06-01T00:00:00Z", "scope": "all"}),
    (
        "POST",
        "/outages/everyone/corrections",
        {"started_at": "2026-04-06T11:50:00Z", "ended_at": "2026-04-06T12:50:00Z"},
    ),
    (
        "POST",
        "/maintenance",
        {
            "maintenance_id": "m",
            "kind": "scheduled",
            "scope": "all",
            "start": "2026-06-02T00:00:00Z",
            "end": "2026-06-02T01:00:00Z",
            "declared_at": "2026-05-20T00:00:00Z",
        },
    ),
    (
        "POST",
        "/tickets",
        {
            "ticket_id": "acme-2",
            "account_id": "acme",
            "priority": "medium",
            "at": "2026-06-02T10:00:00+02:00",
        },
    ),
    ("POST", "/tickets/acme-1/events", {"type": "paused", "at": "2026-04-07T10:00:00+02:00"}),
    ("POST", "/accounts/acme/termination", {"at": "2027-06-01T00:00:00Z"}),
    (
        "POST",
        "/accounts/acme/renewals",
        {"at": "2026-01-02T00:00:00Z", "credit_applied": {"amount": "0.00", "currency": "EUR"}},
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_by_role(api: Api, method: str, path: str, body: dict[str, Any]) -> None:
    seed(api)
    before = api.call("operator", "GET", "/readyz").json()["last_position"]
    assert api.call(None, method, path, json=body).status_code == 401
    assert api.call("auditor", method, path, json=body).status_code == 403
    assert api.call("customer", method, path, json=body).status_code == 404
    assert api.call("operator", "GET", "/readyz").json()["last_position"] == before
    written = api.call("operator", method, path, json=body)
    assert written.status_code == 201, written.text
    (event,) = written.json()["events"]
    assert event["position"] == before + 1 and event["status"] == "recorded"
    assert event["recorded_at"].endswith("Z") and event["event_id"]


def test_the_remaining_writes(api: Api) -> None:
    seed(api)
    for path, body in [
        ("/outages/new/end", {"at": "2026-06-01T01:00:00Z"}),
        ("/outages/nothing/retraction", {"reason": "monitor false positive"}),
        ("/maintenance/m/cancellation", {"reason": "postponed"}),
    ]:
        unknown = api.call("operator", "POST", path, json=body)
        assert unknown.status_code == 404 and "unknown" in unknown.json()["message"]
    api.call("operator", "POST", "/outages", json=WRITES[1][2])
    api.call("operator", "POST", "/maintenance", json=WRITES[3][2])
    for path, body in [
        ("/outages/new/end", {"at": "2026-06-01T01:00:00Z"}),
        ("/outages/everyone/retraction", {"reason": "monitor false positive"}),
        ("/maintenance/m/cancellation", {"reason": "postponed"}),
    ]:
        assert api.call("operator", "POST", path, json=body).status_code == 201


# --- errors and retries ------------------------------------------------------------------------


def test_bad_input_is_422_with_the_field_and_changes_nothing(api: Api) -> None:
    seed(api)
    before = api.call("operator", "GET", "/readyz").json()["last_position"]
    naive = api.call(
        "operator",
        "POST",
        "/outages",
        json={"outage_id": "x", "at": "2026-06-01T00:00:00", "scope": "all"},
    )
    assert naive.status_code == 422
    assert naive.json()["problems"][0]["field"] == "at"
    early = api.call(
        "operator",
        "POST",
        "/outages/everyone/corrections",
        json={"started_at": "2026-04-06T13:00:00Z", "ended_at": "2026-04-06T12:00:00Z"},
    )
    assert early.status_code == 422 and "after started_at" in early.text
    priority = api.call(
        "operator",
        "POST",
        "/tickets",
        json={
            "ticket_id": "t",
            "account_id": "acme",
            "priority": "urgent",
            "at": "2026-06-02T10:00:00+02:00",
        },
    )
    assert priority.status_code == 422 and priority.json()["problems"][0]["field"] == "priority"
    bad_file = (
        ndjson(
            {
                "type": "outage.started",
                "outage_id": "ok",
                "at": "2026-06-01T00:00:00Z",
                "scope": "all",
            }
        )
        + "{not json\n"
    )
    imported = api.call("operator", "POST", "/events", content=bad_file)
    assert imported.status_code == 422 and imported.json()["problems"][0]["line"] == 2
    for holidays, reason in [({"country": "XX"}, "Country XX"), ({"country": 5}, "strings")]:
        contract = api.call(
            "operator",
            "PUT",
            "/accounts/gamma/contract",
            json={
                "effective_from": "2026-01-01T00:00:00Z",
                "terms": {
                    "template": "vivition-business",
                    "support": {"calendars": {"business": {"holidays": holidays}}},
                },
            },
        )
        assert contract.status_code == 422 and reason in contract.text, contract.text
    assert api.call("operator", "GET", "/readyz").json()["last_position"] == before


def test_duplicates_conflicts_and_idempotency_keys(api: Api) -> None:
    seed(api)
    body = {"outage_id": "o-9", "at": "2026-06-01T00:00:00Z", "scope": "all", "event_id": "e-9"}
    first = api.call("operator", "POST", "/outages", json=body)
    again = api.call("operator", "POST", "/outages", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["events"][0]["status"] == "duplicate"
    clash = api.call("operator", "POST", "/outages", json={**body, "outage_id": "o-10"})
    assert clash.status_code == 409 and clash.json()["problems"][0]["field"] == "event_id"
    retry = {**api.headers("operator"), "Idempotency-Key": "req-1"}
    end = {"at": "2026-06-01T02:00:00Z"}
    one = api.client.post("/outages/o-9/end", json=end, headers=retry)
    two = api.client.post("/outages/o-9/end", json=end, headers=retry)
    assert one.status_code == two.status_code == 201 and one.json() == two.json()
    assert two.headers["Idempotent-Replay"] == "true"
    other = api.client.post("/outages/o-9/end", json={"at": "2026-06-01T03:00:00Z"}, headers=retry)
    assert other.status_code == 409
    events = api.call("operator", "GET", "/events?limit=1000").json()["events"]
    assert (
        sum(1 for e in events if e["type"] == "outage.ended" and e["payload"]["outage_id"] == "o-9")
        == 1
    )


def test_putting_the_same_contract_twice_signs_it_once(api: Api) -> None:
    """Rule `set_terms`: a retried PUT is a duplicate; different terms are an amendment; the
    signing's terms sent again after an amendment replaced them restore them."""
    body = {"effective_from": "2026-01-01T00:00:00Z", "terms": {"template": "lifesize-extreme"}}
    first = api.call("operator", "PUT", "/accounts/gamma/contract", json=body)
    again = api.call("operator", "PUT", "/accounts/gamma/contract", json=body)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json()["events"][0]["status"] == "duplicate"
    later = {**body, "effective_from": "2026-07-01T00:00:00Z"}
    amended = api.call("operator", "PUT", "/accounts/gamma/contract", json=later)
    assert amended.status_code == 201
    still = api.call("operator", "PUT", "/accounts/gamma/contract", json=body)
    assert still.json()["events"][0]["status"] == "duplicate"  # in force from January still
    stricter = {
        **body,
        "terms": {"template": "lifesize-extreme", "availability": {"target_percent": "99.95"}},
    }
    assert api.call("operator", "PUT", "/accounts/gamma/contract", json=stricter).status_code == 201
    patch = api.call("operator", "PUT", "/accounts/gamma/contract", json=body)
    assert patch.status_code == 200  # rule `patch_terms`: naming the template changes nothing
    whole = {**body, "terms": {"replace": True, "template": "lifesize-extreme"}}
    restored = api.call("operator", "PUT", "/accounts/gamma/contract", json=whole)
    assert restored.status_code == 201  # the January terms are those of the signing again
    events = api.call("operator", "GET", "/events?account_id=gamma").json()["events"]
    assert [e["type"] for e in events] == ["contract.signed"] + ["contract.amended"] * 3
    april = api.call("operator", "GET", "/accounts/gamma/availability/2026-04").json()
    assert april["target_percent"] == "99.9"
    ended = api.call(
        "operator", "POST", "/accounts/gamma/termination", json={"at": "2026-12-01T00:00:00Z"}
    )
    assert ended.status_code == 201
    again = api.call("operator", "PUT", "/accounts/gamma/contract", json=stricter)
    assert again.status_code == 201  # restated after the termination, not taken for a retry
    april = api.call("operator", "GET", "/accounts/gamma/availability/2026-04").json()
    assert april["target_percent"] == "99.95"
    keyed = {**body, "event_id": "terms-k"}
    first_keyed = api.call("operator", "PUT", "/accounts/gamma/contract", json=keyed)
    retried = api.call("operator", "PUT", "/accounts/gamma/contract", json=keyed)
    assert (first_keyed.status_code, retried.status_code) == (201, 200), retried.text
    bad = api.call("operator", "PUT", "/accounts/gamma/contract", json={**body, "terms": {"x": 1}})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "terms.x"


def test_events_paginate_without_loss(api: Api) -> None:
    seed(api)
    seen, after = [], 0
    while True:
        page = api.call("auditor", "GET", f"/events?after={after}&limit=3").json()
        seen += [e["position"] for e in page["events"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    total = api.call("auditor", "GET", "/readyz").json()["last_position"]
    assert seen == list(range(1, total + 1))


def test_reads_after_a_write_see_it(api: Api) -> None:
    seed(api)
    before = api.call("auditor", "GET", "/accounts/acme/availability/2026-04").json()
    api.call(
        "operator",
        "POST",
        "/events",
        content=ndjson(
            {
                "type": "outage.started",
                "outage_id": "may",
                "at": "2026-04-20T00:00:00Z",
                "accounts": ["acme"],
            },
            {"type": "outage.ended", "outage_id": "may", "at": "2026-04-20T00:10:00Z"},
        ),
    )
    after = api.call("auditor", "GET", "/accounts/acme/availability/2026-04").json()
    assert after["unavailable_seconds"] == before["unavailable_seconds"] + 600


def test_revoked_keys_are_refused(api: Api, database_url: str) -> None:
    ledger = open_ledger(database_url)
    store = KeyStore(ledger.datastore)
    key, secret = store.create("auditor")
    assert api.client.get("/adjustments", headers={"X-API-Key": secret}).status_code == 200
    store.revoke(key.key_id)
    ledger.close()
    store_in_app = api.client.app.state.sla.keys  # type: ignore[attr-defined]
    store_in_app._cache.clear()  # the 2-second cache would otherwise serve it a moment longer
    assert api.client.get("/adjustments", headers={"X-API-Key": secret}).status_code == 401
    assert api.client.get("/adjustments", headers={"X-API-Key": "slk_nope_nope"}).status_code == 401


def test_the_openapi_schema_names_every_model_and_error(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            ok = next(code for code in responses if code.startswith("2"))
            if path == "/metrics":  # Prometheus' text format, not JSON
                assert "text/plain" in responses[ok]["content"]
                continue
            ok_schema = responses[ok]["content"]["application/json"]["schema"]
            assert "$ref" in ok_schema, (method, path)
            if path not in ("/healthz", "/readyz"):
                for code in ("401", "404", "422"):
                    error = responses[code]["content"]["application/json"]["schema"]
                    assert error["$ref"].endswith("/ErrorBody"), (method, path, code)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                assert "$ref" in body["schema"], (method, path)
    assert {
        "ErrorBody",
        "WriteResult",
        "AvailabilityReport",
        "CreditStatement",
        "TicketReport",
        "Replay",
        "Diff",
        "EventPage",
    } <= set(schema["components"]["schemas"])


def test_a_write_answers_with_its_warnings(api: Api) -> None:
    """Rule `warnings`: recorded (201), and the answer names what is probably not meant."""
    body = {"effective_from": "2026-01-01T00:00:00+01:00", "terms": TERMS}
    first = api.call("operator", "PUT", "/accounts/delta/contract", json=body)
    assert first.status_code == 201 and first.json()["warnings"] == []  # midnight in Amsterdam
    patch = {"effective_from": "2026-02-01T00:00:00+01:00", "terms": {"credits": None}}
    dropped = api.call("operator", "PUT", "/accounts/delta/contract", json=patch)
    assert dropped.status_code == 201, dropped.text
    assert [(w["line"], w["field"]) for w in dropped.json()["warnings"]] == [(1, "terms.credits")]


def test_the_cli_and_the_api_accept_and_say_the_same_things(api: Api, database_url: str) -> None:
    """Issue 13 item 8: durations, a naive as_of, a bad month, a mistyped time zone."""
    from tests.e2e.test_cli_import import run

    body = {"effective_from": "2026-01-01T00:00:00Z", "terms": {"template": "lifesize-extreme"}}
    assert api.call("operator", "PUT", "/accounts/acme/contract", json=body).status_code == 201

    def reason(path: str) -> str:
        answer = api.call("operator", "GET", path)
        assert answer.status_code == 422, answer.text
        return str(answer.json()["problems"][0]["reason"])

    for within in ("60m", "1h30m", "90s", "5400"):
        assert api.call("operator", "GET", f"/at-risk?within={within}").status_code == 200
        assert run(database_url, "at-risk", "--within", within).returncode == 0
    cli = run(database_url, "at-risk", "--within", "soon")
    assert cli.returncode == 2 and reason("/at-risk?within=soon") in cli.stderr
    assert "'soon' is not a duration; write e.g. 90s, 60m, 1h30m" in cli.stderr

    naive = "2026-04-05T12:00:00"
    said = reason(f"/accounts/acme/availability/2026-04?as_of={naive}")
    assert said.startswith(f"{naive} has no UTC offset; write it as e.g. {naive}Z")
    cli = run(
        database_url, "availability", "--account", "acme", "--month", "2026-04", "--as-of", naive
    )
    assert cli.returncode == 2 and said in cli.stderr

    said = reason("/accounts/acme/availability/2026-13")
    assert said == "'2026-13' is not a month; write it as YYYY-MM, e.g. 2026-04"
    assert (
        reason("/breaches?month=April")
        == "'April' is not a month; write it as YYYY-MM, e.g. 2026-04"
    )
    cli = run(database_url, "availability", "--account", "acme", "--month", "2026-13")
    assert cli.returncode == 2 and said in cli.stderr

    zone = {"effective_from": "2026-01-01T00:00:00Z", "terms": {"timezone": "Europe/Amsterdm"}}
    answer = api.call("operator", "PUT", "/accounts/zoned/contract", json=zone)
    assert answer.status_code == 422
    assert [p["field"] for p in answer.json()["problems"]] == ["terms.timezone"]


def test_a_contract_reads_as_its_versions_and_their_changes(api: Api) -> None:
    """Item 2: `GET /accounts/{id}/contract`; a customer sees only its own."""
    body = {"effective_from": "2026-01-01T00:00:00Z", "terms": TERMS}
    for account in ("acme", "beta"):
        assert (
            api.call("operator", "PUT", f"/accounts/{account}/contract", json=body).status_code
            == 201
        )
    patch = {
        "effective_from": "2026-03-01T00:00:00Z",
        "terms": {"availability": {"target_percent": "99.95"}},
    }
    assert api.call("operator", "PUT", "/accounts/acme/contract", json=patch).status_code == 201
    found = api.call("customer", "GET", "/accounts/acme/contract?at=2026-02-01T00:00:00Z")
    assert found.status_code == 200, found.text
    view = found.json()
    assert view["in_force"]["effective_from"] == "2026-01-01T00:00:00Z"
    assert [v["type"] for v in view["versions"]] == ["contract.signed", "contract.amended"]
    assert view["versions"][1]["changes"] == [
        {"field": "availability.target_percent", "old": "99.9", "new": "99.95"}
    ]
    assert view["versions"][1]["terms"]["credits"]["monthly_fee"]["amount"] == "1000.00"
    now = api.call("auditor", "GET", "/accounts/acme/contract").json()
    assert now["in_force"]["terms"]["availability"]["target_percent"] == "99.95"
    assert api.call("customer", "GET", "/accounts/beta/contract").status_code == 404
    assert api.call("auditor", "GET", "/accounts/nobody/contract").status_code == 404
