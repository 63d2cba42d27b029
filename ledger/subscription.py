"""Subscription terms: numbering them, and finding their boundaries.

Rule `term_boundaries`: term 1 starts at local midnight of the first contract version's
`term.start` in the contract's time zone. Each term lasts the `term.months` of the terms in force
when it starts (an amendment can change the length of later terms, never of a running one).
Adding months keeps the day of the month where it exists (15 July -> 15 July) and otherwise takes
the month's last day (31 January + 1 month -> 28 or 29 February).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime

from ledger.errors import InvalidQuery
from ledger.state import TermsVersion
from ledger.terms import in_force
from ledger.timevalues import contract_zone, local_midnight

__all__ = ["add_months", "renewal_term", "term_bounds", "term_number_at"]

_MAX_TERMS = 1000


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _in_force(versions: Sequence[TermsVersion], instant: datetime) -> TermsVersion:
    return in_force(versions, instant, lambda version: version.effective_from) or versions[0]


def term_bounds(versions: Sequence[TermsVersion], term: int) -> tuple[datetime, datetime]:
    """[start, end) of subscription term `term` (1-based)."""
    if term < 1:
        raise ValueError("terms are numbered from 1")
    zone = contract_zone(versions[0].terms.timezone)
    start_day = versions[0].terms.term.start
    start = local_midnight(start_day, zone)
    for number in range(1, term + 1):
        months = _in_force(versions, start).terms.term.months
        try:
            end_day = add_months(start_day, months)
            end = local_midnight(end_day, zone)
        except (OverflowError, ValueError):
            raise InvalidQuery(f"term {term} would end after the year 9999") from None
        if number == term:
            return start, end
        start_day, start = end_day, end
    raise AssertionError("unreachable")  # pragma: no cover


def term_number_at(versions: Sequence[TermsVersion], instant: datetime) -> int:
    """The term that contains `instant` (0 if it is before the first term)."""
    for number in range(1, _MAX_TERMS + 1):
        start, end = term_bounds(versions, number)
        if instant < start:
            return 0
        if instant < end:
            return number
    raise InvalidQuery(
        f"{instant.isoformat()} is more than {_MAX_TERMS} terms after the contract start"
    )


def renewal_term(versions: Sequence[TermsVersion], at: datetime) -> int:
    """Rule `renewal_term`: the term a renewal closes, when it does not say: the term whose end
    is nearest to the renewal (invoices go out a little before or after the term ends)."""
    current = max(term_number_at(versions, at), 1)
    candidates = [number for number in (current - 1, current) if number >= 1]
    return min(candidates, key=lambda number: abs(term_bounds(versions, number)[1] - at))
