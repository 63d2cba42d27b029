"""The credit statement of a term: the JSON shape finance reads, made from a `TermCredit`."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Literal

from ledger.events import EventRef
from ledger.money import HUNDRED, decimal_text, round_to_minor_unit
from ledger.receipts import Receipt
from projections.availability.rules import provisional
from projections.credits.rules import MonthCredit
from projections.credits.term import term_credit
from projections.evidence import cite
from projections.history import AccountHistory
from projections.models import ReportModel

__all__ = ["CreditMonth", "CreditStatement", "RenewalApplied", "credit_month", "credit_statement"]


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
    timezone: str
    provisional: bool  # the term is still open: its months so far may still change
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
    receipt: Receipt | None = None  # the proof (ledger.receipts), added by the CLI and API


def credit_statement(
    history: AccountHistory,
    term: int,
    *,
    query_time: datetime,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
) -> CreditStatement:
    """The credit statement of a term, with what the renewal recorded and the difference."""
    contract = history.require_contract()
    credit = term_credit(history, term, query_time=query_time)
    renewal = contract.renewals.get(term)
    applied = None
    if renewal is not None and renewal.ref is not None:
        applied = RenewalApplied(
            at=renewal.at.astimezone(UTC),
            amount=str(renewal.amount),
            currency=renewal.currency,
            event_id=renewal.event_id,
            position=renewal.ref.position,
            recorded_at=renewal.ref.recorded_at,
        )
    evidence = cite(credit.evidence, [renewal.ref if renewal else None])
    return CreditStatement(
        account_id=history.account_id,
        term=term,
        term_start=credit.start,
        term_end=credit.end,
        status="closed" if credit.end <= query_time else "open",
        timezone=contract.timezone,
        provisional=provisional(credit.end, query_time),
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
    """One month of a statement (its amount rounded for display; the total is rounded once)."""
    month = credit.availability
    return CreditMonth(
        month=str(credit.slice.month),
        start=credit.slice.start,
        end=credit.slice.end,
        seconds=credit.slice.seconds,
        month_seconds=credit.slice.month_seconds,
        in_progress=credit.slice.in_progress,
        availability_percent=month.availability_percent if month else None,
        target_percent=month.target_percent if month else None,
        met=month.met if month else None,
        tier_credit_percent=decimal_text(credit.tier, 4),
        ticket_breaches=[
            TicketCredit(
                ticket_id=clock.ticket_id,
                priority=clock.priority,
                credit_percent=decimal_text(percent, 4),
            )
            for clock, percent in credit.tickets
        ],
        ticket_credit_percent=decimal_text(sum((p for _, p in credit.tickets), Fraction(0)), 4),
        monthly_cap_percent=decimal_text(credit.cap, 4),
        credit_percent=decimal_text(credit.percent, 4),
        capped=credit.percent < credit.uncapped,
        fee=decimal_text(credit.fee),
        amount=str(round_to_minor_unit(credit.amount, currency)),
        terms_event_id=credit.version.event_id,
    )
