"""A subscription term's credit, exactly: its months' credits added up under the term cap.

`term_credit` is rule `term cap`: the months (`credits.rules`) add up; the term cap bounds the
sum; the total is rounded once. Its result, a `TermCredit`, is what the statement, the
comparisons and the adjustments are made from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from ledger.errors import InvalidQuery
from ledger.events import EventRef
from ledger.money import HUNDRED, round_to_minor_unit
from ledger.state import ContractState, TermsVersion
from ledger.subscription import term_bounds, term_number_at
from ledger.terms import ContractTerms, CreditTerms
from ledger.timevalues import Month, contract_zone, format_instant
from projections.availability import MonthAvailability, monthly_availability
from projections.credits.rules import MonthCredit, Slice, month_credit, slice_version, term_slices
from projections.evidence import cite
from projections.history import AccountHistory
from projections.tickets.measure import TicketClock, measure_ticket

__all__ = ["TermCredit", "term_at", "term_credit"]


@dataclass(frozen=True)
class TermCredit:
    """The credit of one subscription term, exactly, as known at a query.

    Attributes:
        term, start, end: the term and its bounds.
        months: its month slices, in order; `currency`: the fee's.
        cap_percent, fee: the term cap and the fee of the slices counted.
        total_exact, capped: the credit owed (the months' sum, bounded by the term cap).
        evidence: every event the figures rest on.
    """

    term: int
    start: datetime
    end: datetime
    months: list[MonthCredit]
    currency: str
    cap_percent: Fraction
    fee: Fraction
    total_exact: Fraction
    capped: bool
    evidence: list[EventRef] = field(default_factory=list)

    @property
    def months_total(self) -> Fraction:
        return sum((m.amount for m in self.months), Fraction(0))

    @property
    def total(self) -> Decimal:
        return round_to_minor_unit(self.total_exact, self.currency)


def term_credit(
    history: AccountHistory,
    term: int,
    *,
    query_time: datetime,
    terms: ContractTerms | None = None,
    months: tuple[Month, Month] | None = None,
) -> TermCredit:
    """The credit of term `term`, from the account's history (as known at the query).

    Args:
        terms: proposed terms replacing every contract version (what-if replay).
        months: only the months in this range (inclusive), for replays of part of a term.

    Raises:
        NotFound: no contract; InvalidQuery: the term has not begun.
    """
    contract = history.require_contract()
    start, end = term_bounds(contract.versions, term)
    if start > query_time:
        raise InvalidQuery(
            f"term {term} of {history.account_id!r} starts at {format_instant(start)}: "
            "it had not begun at the query time"
        )
    slices = [
        s
        for s in term_slices(contract, start, end, query_time)
        if months is None or months[0] <= s.month <= months[1]
    ]
    measured = monthly_availability(
        history,
        sorted({s.month for s in slices}),
        query_time=query_time,
        terms=terms,
    )
    breached = _breached_tickets(history, query_time, terms)
    credits = [_credit_of(s, contract, terms, measured.get(s.month), breached) for s in slices]
    at_start = _version(contract, terms, start)
    schedule = at_start.terms.credits
    currency = _currency(history.account_id, credits, schedule)
    cap = Fraction(schedule.term_cap_percent) if schedule else Fraction(100)
    fee = sum((c.fee for c in credits), Fraction(0))
    owed = sum((c.amount for c in credits), Fraction(0))
    total = min(owed, fee * cap / HUNDRED)
    return TermCredit(
        term,
        start,
        end,
        credits,
        currency,
        cap,
        fee,
        total,
        total < owed,
        _evidence(contract, at_start, credits),
    )


def _version(
    contract: ContractState, terms: ContractTerms | None, instant: datetime
) -> TermsVersion:
    """The contract version in force at `instant`, or the proposed terms in its place."""
    actual = contract.version_or_first(instant)
    if terms is None:
        return actual
    return TermsVersion(actual.effective_from, terms, "proposed", actual.ref)


def _credit_of(
    slice_: Slice,
    contract: ContractState,
    terms: ContractTerms | None,
    availability: MonthAvailability | None,
    breached: list[tuple[TicketClock, CreditTerms | None]],
) -> MonthCredit:
    actual = slice_version(contract, slice_)
    version = _version(contract, terms, actual.effective_from)
    inside = [
        (clock, credits)
        for clock, credits in breached
        if slice_.start <= clock.opened_at < slice_.end
    ]
    return month_credit(slice_, version, version.terms.credits, availability, inside)


def _breached_tickets(
    history: AccountHistory, query_time: datetime, terms: ContractTerms | None
) -> list[tuple[TicketClock, CreditTerms | None]]:
    """Breached tickets, each with the credit terms in force when it opened (rule
    `ticket_terms_at_opening`), or the proposed terms."""
    contract = history.require_contract()
    found = []
    for ticket in history.tickets:
        version = _version(contract, terms, ticket.opened_at)
        clock = measure_ticket(ticket, version, query_time)
        if clock.state == "breached":
            found.append((clock, version.terms.credits))
    return found


def _currency(account: str, credits: Iterable[MonthCredit], schedule: CreditTerms | None) -> str:
    currencies = {c.currency for c in credits if c.currency is not None}
    if schedule is not None:
        currencies.add(schedule.monthly_fee.currency)
    if len(currencies) > 1:
        raise InvalidQuery(
            f"the terms of {account!r} change currency within the term: "
            f"{', '.join(sorted(currencies))}"
        )
    return currencies.pop() if currencies else "EUR"


def _evidence(
    contract: ContractState, at_start: TermsVersion, credits: list[MonthCredit]
) -> list[EventRef]:
    return cite(
        [contract.versions[0].ref, at_start.ref],
        *([c.version.ref, *(c.availability.evidence if c.availability else ())] for c in credits),
        *(clock.evidence for credit in credits for clock, _ in credit.tickets),
    )


def term_at(contract: ContractState, instant: datetime) -> int:
    """The term containing `instant` (the first term for an instant before the contract)."""
    return max(term_number_at(contract.versions, instant), 1)


def terms_between(contract: ContractState, first: Month, last: Month, now: datetime) -> list[int]:
    """The terms overlapping the months from `first` to `last` (up to now)."""
    zone = contract_zone(contract.timezone)
    start = max(first.bounds(zone)[0], contract.starts_at)
    end = min(last.bounds(zone)[1], now)
    if end <= start:
        return []
    return list(range(term_at(contract, start), term_at(contract, end - timedelta(seconds=1)) + 1))
