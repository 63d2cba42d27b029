"""Service credits per subscription term: the statement, renewals and what-if comparisons.

The rules, each a function below:
- `term_slices`: a term is cut into calendar months; a term that does not start on the 1st has a
  partial month at both ends.
- `month_credit`: a month's credit follows the terms in force at the start of the month
  (`governing_version`); its availability tier, plus a credit per ticket opened in it that
  breached (under the terms in force when that ticket opened), capped by the monthly cap; the
  fee of a partial month is pro rata of the month's real length.
- `tier_credit`: the largest credit of the tiers whose threshold the month is below.
- `term_credit`: the months add up; the term cap bounds the sum; the total is rounded once.
All amounts are exact fractions until `round_to_minor_unit` makes the total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ledger.domain import TermsVersion
from ledger.errors import InvalidQuery, NotFound
from ledger.money import decimal_text, exact, round_to_minor_unit
from ledger.subscription import term_bounds, term_number_at
from ledger.templates import expand_terms
from ledger.terms import ContractTerms, CreditTerms
from ledger.timevalues import Month, contract_zone, format_instant
from projections.availability import Facts, governing_version, monthly_facts
from projections.history import AccountHistory, ContractHistory, EventRef, VersionRecord
from projections.tickets import TicketReport, ticket_report

__all__ = [
    "Adjustment",
    "AdjustmentList",
    "CreditMonth",
    "CreditStatement",
    "Diff",
    "MonthCredit",
    "MonthOutcome",
    "Replay",
    "TermCredit",
    "compare_terms",
    "credit_statement",
    "month_credit",
    "proposed_terms",
    "term_credit",
    "term_slices",
    "tier_credit",
]

HUNDRED = Fraction(100)


class ReportModel(BaseModel):
    model_config = ConfigDict(frozen=True)


class TicketCredit(ReportModel):
    ticket_id: str
    priority: str
    credit_percent: str


class CreditMonth(ReportModel):
    """One month (or the part of it inside the term) of a credit statement."""

    month: str
    start: datetime
    end: datetime
    seconds: int
    month_seconds: int
    in_progress: bool
    availability_percent: str | None
    target_percent: str | None
    met: bool | None
    tier_credit_percent: str
    ticket_breaches: list[TicketCredit]
    ticket_credit_percent: str
    monthly_cap_percent: str
    credit_percent: str
    capped: bool
    fee: str
    amount: str
    terms_event_id: str


class RenewalApplied(ReportModel):
    """What `renewal.completed` recorded as applied on the renewal invoice."""

    at: datetime
    amount: str
    currency: str
    event_id: str
    position: int
    recorded_at: datetime


class CreditStatement(ReportModel):
    """The credit owed for one subscription term (accrued so far if the term is still open)."""

    account_id: str
    term: int
    term_start: datetime
    term_end: datetime
    status: Literal["closed", "open"]
    currency: str
    months: list[CreditMonth]
    months_total: str
    term_fee: str
    term_cap_percent: str
    term_cap_amount: str
    term_capped: bool
    total: str
    renewal: RenewalApplied | None
    difference: str | None
    query_time: datetime
    as_of: datetime | None
    as_of_position: int | None
    evidence: list[EventRef]


# --- the computation (exact) -------------------------------------------------------------------


@dataclass(frozen=True)
class Slice:
    """The part of a calendar month inside a term and the subscription."""

    month: Month
    start: datetime
    end: datetime
    month_seconds: int
    in_progress: bool

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


@dataclass(frozen=True)
class MonthCredit:
    slice: Slice
    version: VersionRecord
    facts: Facts | None
    tier: Fraction
    tickets: list[tuple[TicketReport, Fraction]]
    cap: Fraction
    percent: Fraction  # after the monthly cap
    fee: Fraction  # pro rata
    amount: Fraction
    currency: str | None

    @property
    def uncapped(self) -> Fraction:
        return self.tier + sum((credit for _, credit in self.tickets), Fraction(0))


@dataclass(frozen=True)
class TermCredit:
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


def term_slices(
    contract: ContractHistory, start: datetime, end: datetime, until: datetime
) -> list[Slice]:
    """Rule `partial_months`: the calendar months (in the contract's zone) of [start, end), each
    cut to the term, the subscription and the query time; a term not starting on the 1st has a
    partial month at both ends."""
    zone = contract_zone(contract.timezone)
    stop = min(end, until, contract.terminated_at or end)
    begin = max(start, contract.starts_at)
    slices: list[Slice] = []
    month = Month.containing(begin, zone)
    while begin < stop:
        month_start, month_end = month.bounds(zone)
        piece_end = min(month_end, stop)
        slices.append(
            Slice(
                month,
                begin,
                piece_end,
                int((month_end - month_start).total_seconds()),
                in_progress=month_end > until,
            )
        )
        begin, month = piece_end, month.next()
    return slices


def tier_credit(credits: CreditTerms, available_percent: Fraction) -> Fraction:
    """Rule `credit_tier`: the largest credit among the tiers whose threshold the month is below
    (compared exactly: 99.89996% is below 99.9%)."""
    return max(
        (
            exact(tier.credit_percent)
            for tier in credits.availability_tiers
            if available_percent < exact(tier.below_percent)
        ),
        default=Fraction(0),
    )


def month_credit(
    slice_: Slice,
    version: VersionRecord,
    credits: CreditTerms | None,
    facts: Facts | None,
    breached: list[tuple[TicketReport, CreditTerms | None]],
) -> MonthCredit:
    """Rule `month_credit`: the availability tier plus a credit per breached ticket opened in the
    month, capped by the monthly cap, applied to the month's fee pro rata (`partial_month_fee`:
    fee x seconds in the term / seconds in the calendar month)."""
    if credits is None:
        return MonthCredit(
            slice_,
            version,
            facts,
            Fraction(0),
            [],
            Fraction(0),
            Fraction(0),
            Fraction(0),
            Fraction(0),
            None,
        )
    tier = tier_credit(credits, _available(facts)) if facts is not None else Fraction(0)
    tickets = [
        (report, exact(terms.ticket_breach_credit_percent.get(report.priority, 0)))
        if terms is not None
        else (report, Fraction(0))
        for report, terms in breached
    ]
    cap = exact(credits.monthly_cap_percent)
    percent = min(tier + sum((c for _, c in tickets), Fraction(0)), cap)
    fee = exact(credits.monthly_fee.amount) * slice_.seconds / slice_.month_seconds
    return MonthCredit(
        slice_,
        version,
        facts,
        tier,
        tickets,
        cap,
        percent,
        fee,
        fee * percent / HUNDRED,
        credits.monthly_fee.currency,
    )


def _available(facts: Facts) -> Fraction:
    period, unavailable = facts["pb"][2], facts["f"][0]
    return Fraction(period - unavailable, period) * HUNDRED


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
    contract = _contract_of(history)
    start, end = term_bounds(contract.terms_versions(), term)
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
    facts = monthly_facts(
        history,
        sorted({s.month for s in slices}),
        query_time=query_time,
        terms=terms,
    )
    breached = _breached_tickets(history, query_time, terms)
    credits = [_credit_of(s, contract, terms, facts.get(s.month), breached) for s in slices]
    at_start = _version(contract, terms, start)
    schedule = at_start.version.terms.credits
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


def _contract_of(history: AccountHistory) -> ContractHistory:
    if history.contract is None:
        raise NotFound(f"unknown account {history.account_id!r}")
    return history.contract


def _version(
    contract: ContractHistory, terms: ContractTerms | None, instant: datetime
) -> VersionRecord:
    """The contract version in force at `instant`, or the proposed terms in its place."""
    actual = contract.version_at(instant) or contract.versions[0]
    if terms is None:
        return actual
    return VersionRecord(TermsVersion(actual.version.effective_from, terms, "proposed"), actual.ref)


def _credit_of(
    slice_: Slice,
    contract: ContractHistory,
    terms: ContractTerms | None,
    facts: Facts | None,
    breached: list[tuple[TicketReport, CreditTerms | None]],
) -> MonthCredit:
    actual = slice_version(contract, slice_)
    version = _version(contract, terms, actual.version.effective_from)
    inside = [
        (report, credits)
        for report, credits in breached
        if slice_.start <= report.opened_at < slice_.end
    ]
    return month_credit(slice_, version, version.version.terms.credits, facts, inside)


def slice_version(contract: ContractHistory, slice_: Slice) -> VersionRecord:
    """Rule `slice_terms`: a month's credit follows the terms in force at its start (rule
    `governing_terms`), but a slice that starts a term follows the terms the term starts with,
    so a renewal that changes the fee or its currency governs the rest of that month."""
    if slice_.start == slice_.month.bounds(contract_zone(contract.timezone))[0]:
        return governing_version(contract, slice_.month)
    return contract.version_at(slice_.start) or contract.versions[0]


def _breached_tickets(
    history: AccountHistory, query_time: datetime, terms: ContractTerms | None
) -> list[tuple[TicketReport, CreditTerms | None]]:
    """Breached tickets, each with the credit terms in force when it opened (rule
    `ticket_terms_at_opening`), or the proposed terms."""
    contract = _contract_of(history)
    found = []
    for ticket in history.tickets:
        version = _version(contract, terms, ticket.opened_at)
        report = ticket_report(ticket, version, query_time)
        if report.state == "breached":
            found.append((report, version.version.terms.credits))
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
    contract: ContractHistory, at_start: VersionRecord, credits: list[MonthCredit]
) -> list[EventRef]:
    found = [contract.versions[0].ref, at_start.ref]
    for credit in credits:
        found.append(credit.version.ref)
        if credit.facts is not None:
            found += credit.facts["e"]
        for report, _ in credit.tickets:
            found += report.evidence
    by_position = {ref.position: ref for ref in found}
    return [by_position[p] for p in sorted(by_position)]


# --- the statement (presentation) ------------------------------------------------------------


def credit_statement(
    history: AccountHistory,
    term: int,
    *,
    query_time: datetime,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
) -> CreditStatement:
    """The credit statement of a term, with what the renewal recorded and the difference."""
    contract = _contract_of(history)
    credit = term_credit(history, term, query_time=query_time)
    renewal = contract.renewals.get(term)
    applied = None
    if renewal is not None:
        applied = RenewalApplied(
            at=renewal.at.astimezone(UTC),
            amount=str(renewal.amount),
            currency=renewal.currency,
            event_id=renewal.ref.event_id,
            position=renewal.ref.position,
            recorded_at=renewal.ref.recorded_at,
        )
    evidence = credit.evidence
    if renewal is not None:
        evidence = sorted([*evidence, renewal.ref], key=lambda ref: ref.position)
    return CreditStatement(
        account_id=history.account_id,
        term=term,
        term_start=credit.start,
        term_end=credit.end,
        status="closed" if credit.end <= query_time else "open",
        currency=credit.currency,
        months=[credit_month(m, credit.currency) for m in credit.months],
        months_total=decimal_text(credit.months_total),
        term_fee=decimal_text(credit.fee),
        term_cap_percent=decimal_text(credit.cap_percent, 4),
        term_cap_amount=decimal_text(credit.fee * credit.cap_percent / HUNDRED),
        term_capped=credit.capped,
        total=str(credit.total),
        renewal=applied,
        difference=None if renewal is None else str(credit.total - renewal.amount),
        query_time=query_time,
        as_of=as_of,
        as_of_position=as_of_position,
        evidence=evidence,
    )


def credit_month(credit: MonthCredit, currency: str) -> CreditMonth:
    facts = credit.facts
    return CreditMonth(
        month=str(credit.slice.month),
        start=credit.slice.start,
        end=credit.slice.end,
        seconds=credit.slice.seconds,
        month_seconds=credit.slice.month_seconds,
        in_progress=credit.slice.in_progress,
        availability_percent=facts["p"] if facts else None,
        target_percent=facts["t"] if facts else None,
        met=facts["ok"] if facts else None,
        tier_credit_percent=decimal_text(credit.tier, 4),
        ticket_breaches=[
            TicketCredit(
                ticket_id=report.ticket_id,
                priority=report.priority,
                credit_percent=decimal_text(percent, 4),
            )
            for report, percent in credit.tickets
        ],
        ticket_credit_percent=decimal_text(sum((p for _, p in credit.tickets), Fraction(0)), 4),
        monthly_cap_percent=decimal_text(credit.cap, 4),
        credit_percent=decimal_text(credit.percent, 4),
        capped=credit.percent < credit.uncapped,
        fee=decimal_text(credit.fee),
        amount=str(round_to_minor_unit(credit.amount, currency)),
        terms_event_id=credit.version.version.event_id,
    )


def term_at(contract: ContractHistory, instant: datetime) -> int:
    """The term containing `instant` (the first term for an instant before the contract)."""
    return max(term_number_at(contract.terms_versions(), instant), 1)


# --- comparisons: what-if replay, diff between two recorded times, adjustments ----------------


class MonthOutcome(ReportModel):
    """A month's answer under one set of terms, or as known at one time."""

    availability_percent: str | None
    met: bool | None
    ticket_breaches: int
    credit_percent: str
    amount: str


class MonthComparison(ReportModel):
    account_id: str
    term: int
    month: str
    old: MonthOutcome
    new: MonthOutcome


class TermComparison(ReportModel):
    account_id: str
    term: int
    currency: str
    old_total: str
    new_total: str
    difference: str
    old_term_capped: bool
    new_term_capped: bool


class Replay(ReportModel):
    """What the period would have owed under proposed terms, beside what it owes (nothing is
    appended). Term caps apply to the part of each term inside the period."""

    accounts: list[str]
    from_month: str
    to_month: str
    months: list[MonthComparison]
    terms: list[TermComparison]
    totals: dict[str, dict[str, str]]
    query_time: datetime
    as_of: datetime | None
    as_of_position: int


class Diff(ReportModel):
    """One account-month as known at two recorded times, and the events recorded in between
    that changed the answer."""

    account_id: str
    month: str
    as_of: datetime
    vs: datetime
    as_of_position: int
    vs_position: int
    old: MonthOutcome | None  # None: the account was not known yet
    new: MonthOutcome
    changed: list[str]
    changed_by: list[EventRef]


class Adjustment(ReportModel):
    """A renewed term whose credit owed today differs from what the renewal applied."""

    account_id: str
    term: int
    currency: str
    applied: str
    owed_at_renewal: str
    owed_now: str
    difference: str
    renewal_event_id: str
    renewal_recorded_at: datetime
    changed_by: list[EventRef]


class AdjustmentList(ReportModel):
    query_time: datetime
    as_of: datetime | None
    as_of_position: int
    adjustments: list[Adjustment]


def month_outcome(credits: list[MonthCredit], currency: str) -> MonthOutcome:
    """The outcome of a month from its credit slices (two when a term boundary cuts it)."""
    facts = next((c.facts for c in credits if c.facts is not None), None)
    amount = sum((c.amount for c in credits), Fraction(0))
    percent = max((c.percent for c in credits), default=Fraction(0))
    return MonthOutcome(
        availability_percent=facts["p"] if facts else None,
        met=facts["ok"] if facts else None,
        ticket_breaches=len({r.ticket_id for c in credits for r, _ in c.tickets}),
        credit_percent=decimal_text(percent, 4),
        amount=str(round_to_minor_unit(amount, currency)),
    )


def compare_terms(
    account_id: str, old: TermCredit, new: TermCredit
) -> tuple[list[MonthComparison], TermComparison]:
    """Month by month and in total, the same term under two sets of terms (or two times)."""
    months = []
    for month in sorted({c.slice.month for c in old.months} | {c.slice.month for c in new.months}):
        before = [c for c in old.months if c.slice.month == month]
        after = [c for c in new.months if c.slice.month == month]
        months.append(
            MonthComparison(
                account_id=account_id,
                term=old.term,
                month=str(month),
                old=month_outcome(before, old.currency),
                new=month_outcome(after, new.currency),
            )
        )
    total = TermComparison(
        account_id=account_id,
        term=old.term,
        currency=old.currency,
        old_total=str(old.total),
        new_total=str(new.total),
        difference=str(new.total - old.total),
        old_term_capped=old.capped,
        new_term_capped=new.capped,
    )
    return months, total


def totals_by_currency(terms: list[TermComparison]) -> dict[str, dict[str, str]]:
    sums: dict[str, list[Decimal]] = {}
    for term in terms:
        old, new = sums.setdefault(term.currency, [Decimal(0), Decimal(0)])
        sums[term.currency] = [old + Decimal(term.old_total), new + Decimal(term.new_total)]
    return {
        currency: {"old": str(old), "new": str(new), "difference": str(new - old)}
        for currency, (old, new) in sorted(sums.items())
    }


def changed_fields(old: MonthOutcome | None, new: MonthOutcome) -> list[str]:
    names = list(MonthOutcome.model_fields)
    return names if old is None else [n for n in names if getattr(old, n) != getattr(new, n)]


def proposed_terms(written: dict[str, Any], contract: ContractHistory) -> ContractTerms:
    """Proposed terms for a what-if replay, completed from the contract: unless they say so, they
    keep its time zone and its subscription term (a proposal changes the rules, not the term).

    Raises:
        InvalidQuery: the terms are invalid, or measure months in another time zone.
    """
    current = contract.versions[-1].version.terms
    filled = dict(written)
    filled.setdefault("timezone", current.timezone)
    filled.setdefault(
        "term", {"start": current.term.start.isoformat(), "months": current.term.months}
    )
    try:
        terms = expand_terms(filled, contract.starts_at)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        raise InvalidQuery(f"the proposed terms are invalid: {problems}") from None
    except ValueError as error:
        raise InvalidQuery(f"the proposed terms are invalid: {error}") from None
    if terms.timezone != contract.timezone:
        raise InvalidQuery(
            f"the proposed terms measure months in {terms.timezone}; {contract.account_id!r} is "
            f"measured in {contract.timezone}"
        )
    return terms
