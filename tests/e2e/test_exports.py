"""Exports a person hands over: every report as CSV (round-trips through `csv` with the JSON's
numbers), the account-month and the credit statement as PDF (its text holds the JSON's figures),
and /docs and /redoc that work offline.

Hand-computed (see test_api.seed): April 2026 has 30 x 86,400 = 2,592,000 s. acme had only the
50-minute outage everyone had: 3,000 s, 1 - 3,000 / 2,592,000 = 0.99884259... -> 99.8842 %,
below 99.9 %: MISSED, 10 %; its high ticket acme-1 (opened 7 April, never answered) breached, 5 %
more: April earns 15 % of 1000.00 EUR = 150.00 EUR.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from pypdf import PdfReader

from tests.e2e.test_api import (
    Api,
    api,  # noqa: F401  (the fixture)
    seed,
)
from tests.e2e.test_cli_import import run
from tests.e2e.test_cli_reports import seed as seed_cli

APRIL = "/accounts/acme/availability/2026-04"


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_every_report_as_csv_with_the_jsons_numbers(api: Api) -> None:  # noqa: F811
    seed(api)
    month = api.call("customer", "GET", APRIL).json()
    assert (month["unavailable_seconds"], month["availability_percent"]) == (3_000, "99.8842")

    by_query = api.call("customer", "GET", APRIL + "?format=csv")
    by_accept = api.call("customer", "GET", APRIL, headers={"Accept": "text/csv"})
    assert by_query.headers["content-type"].startswith("text/csv")
    periods = rows(by_query.text)
    assert by_accept.headers["content-type"].startswith("text/csv")
    assert [r["seconds"] for r in rows(by_accept.text)] == [r["seconds"] for r in periods]
    assert [(r["kind"], r["seconds"], r["outage_ids"]) for r in periods] == [
        ("counted", "3000", "everyone")
    ]
    assert periods[0]["availability_percent"] == "99.8842"
    assert (periods[0]["met"], periods[0]["period_seconds"]) == ("false", "2592000")

    statement = rows(api.call("customer", "GET", "/accounts/acme/credits?term=2&format=csv").text)
    april = next(r for r in statement if r["month"] == "2026-04")
    assert (april["availability_percent"], april["ticket_breaches"], april["amount"]) == (
        "99.8842",
        "acme-1",
        "150.00",
    )

    breaches = rows(api.call("auditor", "GET", "/breaches?month=2026-04&format=csv").text)
    assert [(r["account_id"], r["unavailable_seconds"]) for r in breaches] == [
        ("beta", "6600"),
        ("acme", "3000"),
    ]
    own = rows(api.call("customer", "GET", "/breaches?month=2026-04&format=csv").text)
    assert [r["account_id"] for r in own] == ["acme"]
    hidden = api.call("customer", "GET", "/accounts/beta/availability/2026-04?format=csv")
    assert hidden.status_code == 404


def test_the_month_and_the_statement_as_pdf(api: Api) -> None:  # noqa: F811
    seed(api)
    month = api.call("auditor", "GET", APRIL).json()
    answer = api.call("auditor", "GET", APRIL + "?format=pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.content)
    assert f"availability {month['availability_percent']} %" in text
    assert f"unavailable {month['unavailable_seconds']} s" in text and "MISSED" in text
    assert "everyone" in text
    # the receipt's digest is printed: the PDF can be matched to its signed JSON form
    assert f"ledger {month['receipt']['ledger_id']}" in text
    assert re.search(r"report digest \(SHA-256\) [0-9a-f]{64}", text), text

    statement = api.call("auditor", "GET", "/accounts/acme/credits?term=2").json()
    text = pdf_text(api.call("auditor", "GET", "/accounts/acme/credits?term=2&format=pdf").content)
    assert re.search(r"2026-04 99\.8842 MISSED acme-1 15\.0000 150\.00 EUR", text), text
    assert f"credit owed: {statement['total']} EUR" in text

    ticket = api.call("auditor", "GET", "/tickets/acme-1?format=pdf")
    assert ticket.status_code == 422 and "PDF" in ticket.json()["message"]


def test_the_cli_writes_csv_and_pdf(sqlite_url: str, tmp_path: Path) -> None:
    seed_cli(sqlite_url, tmp_path)
    march = ["availability", "--account", "acme", "--month", "2026-03"]
    listed = rows(run(sqlite_url, *march, "--format", "csv").stdout)
    assert [(r["kind"], r["seconds"]) for r in listed] == [("counted", "3600"), ("ignored", "240")]
    assert listed[0]["availability_percent"] == "99.8655"

    pdf = tmp_path / "march.pdf"
    assert run(sqlite_url, *march, "--format", "pdf", "--output", str(pdf)).returncode == 0
    text = pdf_text(pdf.read_bytes())
    assert "availability 99.8655 %" in text and "unavailable 3600 s" in text
    statement = tmp_path / "term.pdf"
    credits = ["credits", "--account", "acme", "--term", "1", "--format", "pdf"]
    assert run(sqlite_url, *credits, "--output", str(statement)).returncode == 0
    printed = pdf_text(statement.read_bytes())
    assert "credit owed: 100.00 EUR" in printed
    assert re.search(r"report digest \(SHA-256\) [0-9a-f]{64}", printed), printed

    refused = run(sqlite_url, "ticket", "T-1", "--format", "pdf", "--output", str(pdf))
    assert refused.returncode == 2 and "PDF form" in refused.stderr


def test_docs_and_redoc_need_no_internet(api: Api) -> None:  # noqa: F811
    for path in ("/docs", "/redoc"):
        page = api.client.get(path)
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and all(a.startswith("/") for a in assets), assets
        for asset in assets:
            if not asset.endswith("openapi.json"):
                assert api.client.get(asset).status_code == 200, asset
