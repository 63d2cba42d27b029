"""How figures read for a person: worked examples of the display helpers and an 80-column
statement that cuts no number."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rich.console import Console

from api import show
from api.text import duration, local, money, plural, verdict
from projections.credits import CreditStatement


def test_times_are_on_the_contracts_clock_with_their_offset() -> None:
    opened = datetime(2026, 4, 24, 13, 0, tzinfo=UTC)
    assert local(opened, "Europe/Amsterdam") == "2026-04-24 15:00 +02:00"
    assert local(datetime(2026, 1, 5, 8, 0, 30, tzinfo=UTC), "Europe/Amsterdam") == (
        "2026-01-05 09:00:30 +01:00"
    )
    assert local(opened, None) == "2026-04-24 13:00 +00:00"
    assert local(None, "UTC") == "-"


def test_durations_read_as_hours_and_minutes() -> None:
    assert duration(3_900) == "1 h 05 min"
    assert duration(14_400) == "4 h 00 min"
    assert duration(2_700) == "45 min"
    assert duration(3_630) == "1 h 00 min 30 s"
    assert duration(0) == "0 s"
    assert duration(2_678_400) == "744 h 00 min"
    assert duration(None) == "-"


def test_money_is_rounded_to_the_minor_unit_for_display() -> None:
    assert money("1370.967742", "EUR") == "1,370.97 EUR"
    assert money("0.005", "EUR") == "0.01 EUR"
    assert money("1370.5", "JPY") == "1,371 JPY"
    assert money("-12.3456", "KWD") == "-12.346 KWD"


def test_verdicts_and_plurals() -> None:
    assert (verdict(True), verdict(False), verdict(None)) == ("met", "MISSED", "-")
    assert (plural(1, "event"), plural(5, "event"), plural(0, "account")) == (
        "1 event",
        "5 events",
        "0 accounts",
    )


def test_a_statement_fits_80_columns_and_cuts_no_number() -> None:
    month = {
        "start": "2026-03-01T00:00:00Z",
        "end": "2026-04-01T00:00:00Z",
        "seconds": 2_678_400,
        "month_seconds": 2_678_400,
        "in_progress": False,
        "availability_percent": "99.8655",
        "target_percent": "99.9",
        "met": False,
        "tier_credit_percent": "10.0000",
        "ticket_breaches": [
            {"ticket_id": "T-KINGSDAY-LONG-ID", "priority": "high", "credit_percent": "5"}
        ],
        "ticket_credit_percent": "5.0000",
        "monthly_cap_percent": "100.0000",
        "credit_percent": "15.0000",
        "capped": False,
        "fee": "91387.096774",
        "amount": "13708.06",
        "terms_event_id": "auto:abc",
    }
    found = CreditStatement.model_validate(
        {
            "account_id": "lifesize-worldwide",
            "term": 1,
            "term_start": "2026-01-01T00:00:00Z",
            "term_end": "2027-01-01T00:00:00Z",
            "status": "closed",
            "timezone": "Europe/Amsterdam",
            "provisional": False,
            "currency": "EUR",
            "months": [{**month, "month": "2026-03"}],
            "months_total": "13708.064516",
            "term_fee": "1096645.161290",
            "term_cap_percent": "25.0000",
            "term_cap_amount": "274161.290323",
            "term_capped": False,
            "total": "13708.06",
            "renewal": None,
            "difference": None,
            "query_time": "2027-02-01T00:00:00Z",
            "as_of": None,
            "as_of_position": 9,
            "evidence": [],
        }
    )
    console = Console(width=80, record=True, highlight=False)
    show.statement(console, found)
    text = console.export_text()
    table = [line for line in text.splitlines() if line.lstrip().startswith(("month", "2026"))]
    assert table, text
    assert all(len(line) <= 80 for line in table), text
    assert "…" not in text
    row = next(line for line in table if "2026-03" in line)
    assert re.search(r"99\.8655\s+MISSED\s.*15\s+13,708\.06 EUR", row), row
    assert "credit owed: 13,708.06 EUR" in text
    assert "2026-01-01 01:00 +01:00" in text  # on the contract's clock
