"""Hostile input over HTTP, on SQLite and PostgreSQL: refused with 422, nothing changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore
from api.settings import Settings
from ledger.store.opening import open_ledger
from tests.factories import ndjson, outage_started, signed, ticket_opened


class Client:
    def __init__(self, client: TestClient, secret: str, customer: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}
        self.customer = {"Authorization": f"Bearer {customer}"}

    def post_ndjson(self, text: str | bytes, **headers: str) -> Any:
        body = text.encode() if isinstance(text, str) else text
        return self.client.post(
            "/events",
            content=body,
            headers={**self.headers, "Content-Type": "application/x-ndjson", **headers},
        )

    def count(self) -> int:
        answer = self.client.get("/events", params={"limit": 1000}, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return len(answer.json()["events"])


@pytest.fixture
def http(database_url: str) -> Iterator[Client]:
    ledger = open_ledger(database_url)
    store = KeyStore(ledger.datastore)
    operator = store.create("operator")[1]
    customer = store.create("customer", "acme")[1]
    ledger.close()
    with TestClient(create_app(Settings(database_url=database_url, follow=False))) as client:
        yield Client(client, operator, customer)


def fields(answer: Any) -> list[str]:
    return [problem["field"] for problem in answer.json()["problems"]]


# --- item 4: UTC offsets ---------------------------------------------------------------------


@pytest.mark.parametrize("offset", ["+16:00", "-23:59", "+14:01", "-15:00"])
def test_an_offset_beyond_14_hours_is_refused_on_both_stores(http: Client, offset: str) -> None:
    fact = signed("acme", effective_from=f"2026-01-01T00:00:00{offset}")
    answer = http.post_ndjson(ndjson(fact))
    assert answer.status_code == 422, answer.text
    assert fields(answer) == ["effective_from"]
    assert "beyond +-14:00" in answer.json()["problems"][0]["reason"]
    assert http.count() == 0


@pytest.mark.parametrize("offset", ["+14:00", "-12:00", "+05:45"])
def test_real_offsets_are_stored_on_both_stores(http: Client, offset: str) -> None:
    answer = http.post_ndjson(ndjson(signed("acme", effective_from=f"2026-01-01T00:00:00{offset}")))
    assert answer.status_code == 201, answer.text
    assert http.count() == 1


def test_the_year_range_is_checked_on_the_instant(http: Client) -> None:
    # Written as 1900 local time, the instant is 1899-12-31T23:00Z: outside the ledger's years.
    answer = http.post_ndjson(ndjson(signed("acme", effective_from="1900-01-01T00:00:00+01:00")))
    assert answer.status_code == 422, answer.text
    assert "1900-9998" in answer.json()["problems"][0]["reason"]


# --- item 5: NDJSON lines --------------------------------------------------------------------


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\x0c", "\x1e"])
def test_unicode_line_separators_inside_strings_do_not_break_a_line(
    http: Client, separator: str
) -> None:
    opened = signed("acme")
    outage = {**outage_started("o-1", "2026-04-05T12:00:00Z"), "source": f"pager{separator}duty"}
    bad = {"type": "outage.ended", "outage_id": "o-1"}  # no "at": line 4 of the file
    text = (
        ndjson(opened)[:-1] + "\r\n" + json.dumps(outage, ensure_ascii=False) + "\n\n" + ndjson(bad)
    )
    answer = http.post_ndjson(text)
    assert answer.status_code == 422, answer.text
    assert [p["line"] for p in answer.json()["problems"]] == [4]
    good = ndjson(opened)[:-1] + "\r\n" + json.dumps(outage, ensure_ascii=False) + "\n"
    assert http.post_ndjson(good).status_code == 201
    assert http.count() == 2


def test_a_non_utf8_body_names_its_line(http: Client) -> None:
    body = ndjson(signed("acme")).encode() + b'{"type": "\xff"}\n'
    answer = http.post_ndjson(body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["problems"] == [{"field": "(line)", "reason": "not UTF-8 text", "line": 2}]


# --- items 6 and 9: identifiers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fact", "field"),
    [
        (signed("*"), "account_id"),
        (outage_started("o-1", "2026-04-05T12:00:00Z", accounts=["acme", "*"]), "accounts.1"),
        (outage_started("*", "2026-04-05T12:00:00Z"), "outage_id"),
        (ticket_opened("t 1", "2026-04-05T12:00:00Z"), "ticket_id"),
        (signed("a" * 129), "account_id"),
        ({**signed("acme"), "event_id": "auto:0123456789abcdef"}, "event_id"),
        ({**signed("acme"), "event_id": "AUTO:x"}, "event_id"),
        ({**signed("acme"), "event_id": "-x"}, "event_id"),
    ],
)
def test_ids_outside_the_pattern_and_reserved_ids_are_refused(
    http: Client, fact: dict[str, Any], field: str
) -> None:
    answer = http.post_ndjson(ndjson(fact))
    assert answer.status_code == 422, answer.text
    assert field in fields(answer)
    assert http.count() == 0


def test_an_account_named_star_cannot_leak_into_every_customers_events(http: Client) -> None:
    assert http.post_ndjson(ndjson(signed("*"))).status_code == 422
    assert http.post_ndjson(ndjson(signed("acme"))).status_code == 201
    mine = http.client.get("/events", headers=http.customer).json()["events"]
    assert [event["payload"].get("account_id") for event in mine] == ["acme"]
    star = http.client.get("/events", params={"account_id": "*"}, headers=http.headers)
    assert star.status_code == 422, star.text


def test_an_id_at_the_documented_limit_is_accepted(http: Client) -> None:
    longest = "a" + "b" * 127
    answer = http.post_ndjson(ndjson({**signed(longest), "event_id": "x:" + "y" * 126}))
    assert answer.status_code == 201, answer.text


# --- item 7: every error in the documented shape ---------------------------------------------


def documented(answer: Any) -> dict[str, Any]:
    assert answer.headers["content-type"] == "application/json", answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {"error", "message", "problems"}, body
    return body


def test_unknown_routes_and_methods_answer_in_the_documented_shape(http: Client) -> None:
    unknown = http.client.get("/no-such-thing", headers=http.headers)
    assert unknown.status_code == 404
    assert documented(unknown)["error"] == "not_found"
    wrong = http.client.delete("/events", headers=http.headers)
    assert wrong.status_code == 405
    assert documented(wrong)["error"] == "not_allowed"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"{", "application/json"), (b'{"a": "\xff"}', "application/json"), (b"a=1", "text/plain")],
)
def test_an_unparseable_body_answers_in_the_documented_shape(
    http: Client, body: bytes, content_type: str
) -> None:
    answer = http.client.put(
        "/accounts/acme/contract",
        content=body,
        headers={**http.headers, "Content-Type": content_type},
    )
    assert answer.status_code == 422, answer.text
    assert documented(answer)["error"] == "invalid"


# --- item 8: strict validation and limits -----------------------------------------------------


def test_duplicate_keys_are_refused_naming_the_key(http: Client) -> None:
    line = (
        '{"type": "contract.signed", "account_id": "acme", "account_id": "beta", '
        '"effective_from": "2026-01-01T00:00:00Z", "terms": {"template": "lifesize-extreme"}}\n'
    )
    answer = http.post_ndjson(line)
    assert answer.status_code == 422, answer.text
    assert fields(answer) == ["account_id"]
    body = '{"effective_from": "2026-01-01T00:00:00Z", "terms": {"template": "x", "template": "y"}}'
    answer = http.client.put(
        "/accounts/acme/contract",
        content=body.encode(),
        headers={**http.headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert fields(answer) == ["template"]
    assert http.count() == 0


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"term": {"start": "2026-01-01", "months": True}}, "months"),
        ({"term": {"start": "2026-01-01", "months": 12.0}}, "months"),
        ({"availability": {"target_percent": 99.9}}, "target_percent"),
        (
            {"credits": {"monthly_fee": {"amount": 1000.5, "currency": "EUR"}}},
            "amount",
        ),
    ],
)
def test_true_is_not_a_number_and_floats_are_not_decimals(
    http: Client, terms: dict[str, Any], field: str
) -> None:
    answer = http.post_ndjson(
        ndjson({**signed("acme"), "terms": {"template": "lifesize-extreme", **terms}})
    )
    assert answer.status_code == 422, answer.text
    assert any(field in problem["field"] or field in problem["reason"]
               for problem in answer.json()["problems"]), answer.text  # fmt: skip
    renewal = {"type": "renewal.completed", "account_id": "acme", "at": "2027-01-03T09:00:00Z",
               "term": True, "credit_applied": {"amount": "0", "currency": "EUR"}}  # fmt: skip
    answer = http.post_ndjson(ndjson(renewal))
    assert answer.status_code == 422
    assert "term" in fields(answer)
    assert http.count() == 0


def test_too_many_credit_tiers_are_refused_naming_the_limit(http: Client) -> None:
    tiers = [{"below_percent": "99", "credit_percent": "1"}] * 101
    credits = {"monthly_fee": {"amount": "1000", "currency": "EUR"}, "availability_tiers": tiers}
    answer = http.post_ndjson(
        ndjson({**signed("acme"), "terms": {"template": "lifesize-extreme", "credits": credits}})
    )
    assert answer.status_code == 422, answer.text
    assert "at most 100" in answer.text
    accounts = [f"a{n}" for n in range(1001)]
    answer = http.post_ndjson(ndjson(outage_started("o-1", "2026-04-05T12:00:00Z", accounts)))
    assert answer.status_code == 422, answer.text
    assert "at most 1000" in answer.text


def test_a_line_longer_than_the_limit_is_refused_naming_it(http: Client) -> None:
    fact = {**outage_started("o-1", "2026-04-05T12:00:00Z"), "source": "x" * (1 << 20)}
    answer = http.post_ndjson(ndjson(signed("acme")) + ndjson(fact))
    assert answer.status_code == 422, answer.text
    assert answer.json()["problems"] == [
        {"field": "(line)", "reason": f"longer than {1 << 20} bytes", "line": 2}
    ]


def test_a_body_larger_than_the_limit_is_413(database_url: str) -> None:
    from api.limits import RequestLimits

    app = RequestLimits(create_app(Settings(database_url=database_url, follow=False)), 1000)
    with TestClient(app) as client:
        answer = client.post("/events", content=b"x" * 1001)
    assert answer.status_code == 413
    assert documented(answer)["error"] == "too_large"
    assert "1000 bytes" in answer.json()["message"]


# --- item 10: /readyz ------------------------------------------------------------------------


def test_readyz_without_a_key_says_only_that_it_is_ready(http: Client) -> None:
    assert http.post_ndjson(ndjson(signed("acme"))).status_code == 201
    for headers in ({}, {"Authorization": "Bearer slk_nope_nope"}, http.customer):
        answer = http.client.get("/readyz", headers=headers)
        assert answer.status_code == 200
        assert answer.json() == {"status": "ready"}
    detailed = http.client.get("/readyz", headers=http.headers).json()
    assert detailed["last_position"] == 1
    assert detailed["store"].split(":")[0] in ("sqlite", "postgresql")


def test_terms_whose_credits_can_never_be_computed_are_refused(http: Client) -> None:
    credits = {
        "monthly_fee": {"amount": "100", "currency": "EUR"},
        "availability_tiers": [{"below_percent": "99", "credit_percent": "10"}],
    }
    terms = {"term": {"start": "2026-01-01"}, "credits": credits}
    answer = http.post_ndjson(ndjson({**signed("acme"), "terms": terms}))
    assert answer.status_code == 422, answer.text
    assert "can never apply" in answer.text
    assert http.count() == 0
