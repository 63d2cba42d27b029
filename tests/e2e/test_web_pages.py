"""The web view's other pages over HTTP (TestClient, both stores), signed in with the cookie:
the account, the statement, a ticket's business-time timeline, a month's breaches, at-risk; and
what the cookie will not do (forged, revoked, another account's)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from api.keys import KeyStore
from tests.e2e.test_api import (
    Api,
    api,  # noqa: F401  (the fixture)
    seed,
)


def sign_in(client: TestClient, key: str) -> None:
    answer = client.post(
        "/ui/sign-in",
        content=f"key={key}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert "httponly" in answer.headers["set-cookie"].lower()
    assert "samesite=strict" in answer.headers["set-cookie"].lower()


def test_the_pages_a_customer_and_an_auditor_see(api: Api) -> None:  # noqa: F811
    seed(api)
    client = api.client
    assert "sign in" in client.get("/ui").text  # not signed in: the form
    assert client.get("/ui/accounts/acme", follow_redirects=False).status_code == 303

    wrong = client.post(
        "/ui/sign-in",
        content="key=slk_nope_nope",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert wrong.status_code == 401 and "not valid" in wrong.text

    sign_in(client, api.keys["customer"])
    account = client.get("/ui")  # a customer lands on its account
    assert account.status_code == 200 and "acme · credit statement" in account.text
    assert 'id="terms-in-force"' in account.text and '"target_percent"' in account.text
    assert '<table id="versions">' in account.text
    month = client.get("/ui/accounts/acme/months/2026-04").text
    assert 'id="receipt"' in month and re.search(r'id="receipt-digest">[0-9a-f]{64}<', month)
    statement = client.get("/ui/accounts/acme/credits?term=2").text
    assert re.search(r"2026-04.*?99\.8842.*?MISSED.*?acme-1.*?150\.00 EUR", statement, re.S)

    ticket = client.get("/ui/tickets/acme-1").text
    assert "opened 2026-04-07 09:00 +02:00" in ticket  # on the Dutch calendar's clock
    assert ticket.count('class="mark counted"') >= 1 and ">breached<" in ticket
    assert 'data-kind="closed"' in ticket  # nights and weekends do not count

    for hidden in ("/ui/tickets/beta-1", "/ui/accounts/beta", "/ui/accounts/beta/months/2026-04"):
        assert client.get(hidden).status_code == 404, hidden
    breaches = client.get("/ui/breaches/2026-04").text
    assert "acme" in breaches and "beta" not in breaches and "1 account missed its" in breaches

    genuine = client.cookies["sla_ledger_session"]
    client.cookies.clear()
    forged = genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB")
    client.cookies.set("sla_ledger_session", forged)
    assert client.get("/ui/accounts/acme", follow_redirects=False).status_code == 303
    client.cookies.set("sla_ledger_session", genuine)  # the same way, unforged: let in
    assert client.get("/ui/accounts/acme", follow_redirects=False).status_code == 200
    client.cookies.clear()

    sign_in(client, api.keys["auditor"])
    assert "beta" in client.get("/ui/breaches/2026-04").text
    assert client.get("/ui/accounts/beta/months/2026-04").status_code == 200
    beta = client.get("/ui/accounts/beta?term=1").text  # the renewed term a late outage changed
    assert 'id="adjustments"' in beta and "changed by outage.started" in beta
    assert client.get("/ui/at-risk").status_code == 200
    pdf = client.get("/ui/accounts/beta/months/2026-04?format=pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    auditor_id = api.keys["auditor"].split("_")[1]
    store = KeyStore(client.app.state.sla.ledger.datastore)  # type: ignore[attr-defined]
    store.revoke(auditor_id)
    assert client.get("/ui/accounts/beta", follow_redirects=False).status_code == 303


def test_the_month_as_known_before_a_correction_and_the_diff(api: Api) -> None:  # noqa: F811
    """acme's April: 50 min (3,000 s, 99.8842 %) until the correction makes the outage everyone
    had 1 h 50 min (6,600 s): 1 - 6,600 / 2,592,000 = 0.99745370... -> 99.7453 %."""
    seed(api)
    fix = api.call(
        "operator",
        "POST",
        "/outages/everyone/corrections",
        json={
            "started_at": "2026-04-06T11:00:00Z",
            "ended_at": "2026-04-06T12:50:00Z",
            "reason": "the probe was down, not the service, until 11:00",
        },
    )
    assert fix.status_code == 201, fix.text
    corrected_at = datetime.fromisoformat(fix.json()["events"][0]["recorded_at"])
    before = (corrected_at - timedelta(microseconds=1)).isoformat()
    after = corrected_at.isoformat()

    sign_in(api.client, api.keys["auditor"])
    page = api.client.get(
        "/ui/accounts/acme/months/2026-04", params={"as_of": before, "vs": after}
    ).text
    assert re.search(r'id="availability">99\.8842 %', page), page
    diff = re.search(r'<p id="diff">(.*?)</p>', page, re.S)
    assert diff is not None and "99.8842 %" in diff.group(1) and "99.7453 %" in diff.group(1)
    assert "the probe was down, not the service, until 11:00" in page
    now = api.client.get("/ui/accounts/acme/months/2026-04").text
    assert 'id="availability">99.7453 %' in now and 'id="unavailable-seconds">6600<' in now
