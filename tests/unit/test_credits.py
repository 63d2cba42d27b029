"""Credit statements worked by hand (EUR; tiers: below 99.9 -> 10 %, 99 -> 25 %, 95 -> 50 %)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from projections.credits import credit_statement
from tests.builders import AccountBuilder, at

TIERS = [
    {"below_percent": "99.9", "credit_percent": "10"},
    {"below_percent": "99.0", "credit_percent": "25"},
    {"below_percent": "95.0", "credit_percent": "50"},
]


def cloud(effective: str = "2026-01-01T00:00:00Z", **credits: Any) -> AccountBuilder:
    terms: dict[str, Any] = {
        "template": "lifesize-extreme",
        "credits": {
            "monthly_fee": {"amount": "1000.00", "currency": "EUR"},
            "availability_tiers": TIERS,
            **credits,
        },
    }
    return AccountBuilder("acme", effective, terms)


def test_a_calendar_year_with_two_breached_months() -> None:
    builder = cloud()
    builder.outage("march", "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z")  # 3_600 s: 99.8655 %
    builder.outage("june", "2026-06-10T00:00:00Z", "2026-06-10T10:00:00Z")  # 36_000 s: 98.6111 %
    statement = credit_statement(builder.build(), 1, query_time=datetime(2027, 1, 2, tzinfo=UTC))
    assert statement.status == "closed" and len(statement.months) == 12
    by_month = {m.month: m for m in statement.months}
    assert (by_month["2026-03"].availability_percent, by_month["2026-03"].credit_percent) == (
        "99.8655",
        "10.0000",
    )
    assert (by_month["2026-06"].availability_percent, by_month["2026-06"].credit_percent) == (
        "98.6111",
        "25.0000",
    )
    assert by_month["2026-03"].amount == "100.00" and by_month["2026-06"].amount == "250.00"
    assert statement.total == "350.00"  # 10 % and 25 % of a 1 000 EUR month
    assert statement.term_fee == "12000.000000" and not statement.term_capped


def test_a_term_renewing_on_15_july_has_partial_months_at_both_ends() -> None:
    builder = cloud(effective="2026-07-15T00:00:00Z")
    builder.outage("july-2026", "2026-07-20T10:00:00Z", "2026-07-20T12:00:00Z")  # 99.7312 %: 10 %
    builder.outage("july-2027", "2027-07-05T00:00:00Z", "2027-07-05T10:00:00Z")  # 98.6559 %: 25 %
    statement = credit_statement(builder.build(), 1, query_time=datetime(2027, 8, 2, tzinfo=UTC))
    assert (statement.term_start, statement.term_end) == (
        at("2026-07-15T00:00:00Z"),
        at("2027-07-15T00:00:00Z"),
    )
    first, last = statement.months[0], statement.months[-1]
    assert (first.month, first.seconds, first.month_seconds) == (
        "2026-07",
        17 * 86_400,
        31 * 86_400,
    )
    assert (last.month, last.seconds, last.month_seconds) == ("2027-07", 14 * 86_400, 31 * 86_400)
    # 1 000 x 17/31 x 10 % = 54.8387...; 1 000 x 14/31 x 25 % = 112.9032...
    assert (first.fee, first.amount, last.amount) == ("548.387097", "54.84", "112.90")
    # rounded once, from the exact sum 5 200/31 = 167.7419...
    assert statement.total == "167.74" and len(statement.months) == 13


def test_the_monthly_cap_and_the_term_cap_bite() -> None:
    builder = cloud(monthly_cap_percent="20", term_cap_percent="3")
    builder.outage("bad-april", "2026-04-01T00:00:00Z", "2026-04-03T00:00:00Z")  # 93.3333 %: 50 %
    builder.outage("may", "2026-05-05T00:00:00Z", "2026-05-05T02:00:00Z")  # 99.7311 %: 10 %
    statement = credit_statement(builder.build(), 1, query_time=datetime(2027, 1, 2, tzinfo=UTC))
    april = next(m for m in statement.months if m.month == "2026-04")
    assert (april.tier_credit_percent, april.credit_percent, april.capped) == (
        "50.0000",
        "20.0000",
        True,
    )
    # months owe 200 + 100 = 300, but the term cap is 3 % of 12 000 = 360 ... not biting yet
    assert statement.months_total == "300.000000" and statement.total == "300.00"
    tighter = cloud(monthly_cap_percent="20", term_cap_percent="2")
    tighter.rows += builder.rows[1:]  # the same outages
    capped = credit_statement(tighter.build(), 1, query_time=datetime(2027, 1, 2, tzinfo=UTC))
    assert (capped.term_cap_amount, capped.total, capped.term_capped) == (
        "240.000000",
        "240.00",
        True,
    )


def test_each_breached_ticket_adds_its_priority_credit() -> None:
    terms = {
        "template": "vivition-business",
        "credits": {
            "monthly_fee": {"amount": "800.00", "currency": "EUR"},
            "ticket_breach_credit_percent": {"high": "5", "medium": "2"},
        },
    }
    history = (
        AccountBuilder("acme", "2026-01-01T00:00:00+01:00", terms)
        # Tuesday 14 April 09:00, high, 4 business hours: resolved 15:00 -> breached
        .ticket("late-1", "2026-04-14T09:00:00+02:00", "2026-04-14T15:00:00+02:00")
        .ticket("late-2", "2026-04-15T09:00:00+02:00", "2026-04-16T09:00:00+02:00")
        .ticket("in-time", "2026-04-16T09:00:00+02:00", "2026-04-16T10:00:00+02:00")
        .ticket("medium-late", "2026-05-04T09:00:00+02:00", "2026-05-05T09:00:00+02:00", "medium")
        .build()
    )
    statement = credit_statement(history, 1, query_time=datetime(2027, 1, 2, tzinfo=UTC))
    april = next(m for m in statement.months if m.month == "2026-04")
    may = next(m for m in statement.months if m.month == "2026-05")
    assert [t.ticket_id for t in april.ticket_breaches] == ["late-1", "late-2"]
    assert (april.credit_percent, april.amount) == ("10.0000", "80.00")  # 2 x 5 % of 800
    assert (may.credit_percent, may.amount) == ("2.0000", "16.00")
    assert april.availability_percent is None  # a support-only contract
    assert statement.total == "96.00"


def test_a_month_is_governed_by_the_terms_in_force_at_its_start() -> None:
    builder = cloud()
    builder.amend(
        "2026-06-15T00:00:00Z",
        {
            "template": "lifesize-extreme",
            "availability": {"target_percent": "99.99"},
            "credits": {
                "monthly_fee": {"amount": "2000.00", "currency": "EUR"},
                "availability_tiers": [{"below_percent": "99.99", "credit_percent": "5"}],
            },
        },
    )
    builder.outage("june", "2026-06-20T10:00:00Z", "2026-06-20T10:10:00Z")  # 600 s: 99.9768 %
    builder.outage("july", "2026-07-20T10:00:00Z", "2026-07-20T10:10:00Z")  # 600 s: 99.9775 %
    statement = credit_statement(builder.build(), 1, query_time=datetime(2027, 1, 2, tzinfo=UTC))
    june = next(m for m in statement.months if m.month == "2026-06")
    july = next(m for m in statement.months if m.month == "2026-07")
    # June follows the signed terms (99.9 % met, no credit); July the amendment (5 % of 2 000)
    assert (june.met, june.amount, july.met, july.amount) == (True, "0.00", False, "100.00")
    assert july.fee == "2000.000000" and Decimal(statement.total) == Decimal("100.00")


def test_an_open_term_accrues_what_is_owed_so_far() -> None:
    builder = cloud()
    builder.outage("march", "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z")
    statement = credit_statement(builder.build(), 1, query_time=datetime(2026, 4, 16, tzinfo=UTC))
    assert statement.status == "open" and statement.months[-1].month == "2026-04"
    assert statement.months[-1].in_progress and statement.months[-1].seconds == 15 * 86_400
    assert statement.total == "100.00"
