"""Comparisons: what-if replay, diff between two recorded times, and adjustments of renewals.

Pure functions over `TermCredit`s the report service computes: `compare_terms` (a term under two
sets of terms, or as known at two times), `month_outcome`, `proposed_terms` (rule `what-if`),
`adjustment_of` (rule `adjustments`) and `changed_by` (rule `changed_by`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pydantic import Field, ValidationError

from ledger.errors import InvalidQuery
from ledger.events import EventRef
from ledger.money import decimal_text, round_to_minor_unit
from ledger.receipts import Receipt
from ledger.state import ContractState, Renewal
from ledger.templates import expand_terms
from ledger.terms import ContractTerms
from ledger.warnings import removed_commitments
from projections.credits.rules import MonthCredit
from projections.credits.term import TermCredit
from projections.credits.terms_view import FieldChange
from projections.evidence import cite
from projections.models import ReportModel

__all__ = [
    "Adjustment",
    "AdjustmentList",
    "Diff",
    "MonthComparison",
    "MonthOutcome",
    "ProposalWarning",
    "Replay",
    "TermComparison",
    "adjustment_of",
    "changed_by",
    "changed_fields",
    "compare_terms",
    "month_outcome",
    "owes_adjustment",
    "proposal_warnings",
    "proposed_terms",
    "totals_by_currency",
]


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


class ProposalWarning(ReportModel):
    """A proposal that drops a commitment of an account's current terms (rule `warnings`)."""

    account_id: str
    field: str
    message: str


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
    warnings: list[ProposalWarning] = Field(default_factory=list)
    # per account: the current terms against the proposed ones, field by field
    terms_changes: dict[str, list[FieldChange]] = Field(default_factory=dict)
    receipt: Receipt | None = None  # the proof (ledger.receipts), added by the CLI and API


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
    receipt: Receipt | None = None  # the proof (ledger.receipts), added by the CLI and API


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
    receipt: Receipt | None = None  # the proof (ledger.receipts), added by the CLI and API


def month_outcome(credits: list[MonthCredit], currency: str) -> MonthOutcome:
    """The outcome of a month from its credit slices (two when a term boundary cuts it)."""
    month = next((c.availability for c in credits if c.availability is not None), None)
    amount = sum((c.amount for c in credits), Fraction(0))
    percent = max((c.percent for c in credits), default=Fraction(0))
    return MonthOutcome(
        availability_percent=month.availability_percent if month else None,
        met=month.met if month else None,
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


def proposed_terms(written: dict[str, Any], contract: ContractState) -> ContractTerms:
    """Proposed terms for a what-if replay: a patch of the contract's current terms (rule
    `patch_terms`). Written whole (`"replace": true`) they still keep its time zone and its
    subscription term unless they say so (a proposal changes the rules, not the term).

    Raises:
        InvalidQuery: the terms are invalid, or measure months in another time zone.
    """
    current = contract.versions[-1].terms
    filled = dict(written)
    if filled.get("replace") is True:
        filled.setdefault("timezone", current.timezone)
        filled.setdefault(
            "term", {"start": current.term.start.isoformat(), "months": current.term.months}
        )
    try:
        terms = expand_terms(filled, contract.starts_at, current)
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


def proposal_warnings(contract: ContractState, proposed: ContractTerms) -> list[ProposalWarning]:
    """What the proposal drops of the account's current terms (`ledger.warnings`)."""
    current = contract.versions[-1].terms
    return [
        ProposalWarning(account_id=contract.account_id, field=name, message=message)
        for name, message in removed_commitments(current, proposed)
    ]


def owes_adjustment(renewal: Renewal, owed_now: TermCredit) -> bool:
    """Whether a renewed term owes today other than what its renewal applied."""
    return owed_now.total != renewal.amount


def adjustment_of(
    account_id: str,
    renewal: Renewal,
    owed_then: TermCredit,
    owed_now: TermCredit,
    changed: list[EventRef],
) -> Adjustment:
    """Rule `adjustments`: a renewal's `credit_applied` is never rewritten; a term whose credit
    owed now differs from it (`owes_adjustment`) gets an adjustment of the difference, beside
    what was owed when the renewal was recorded, naming the events that changed it."""
    assert renewal.ref is not None
    return Adjustment(
        account_id=account_id,
        term=renewal.term,
        currency=owed_now.currency,
        applied=str(renewal.amount),
        owed_at_renewal=str(owed_then.total),
        owed_now=str(owed_now.total),
        difference=str(owed_now.total - renewal.amount),
        renewal_event_id=renewal.event_id,
        renewal_recorded_at=renewal.ref.recorded_at,
        changed_by=changed,
    )


def changed_by(
    new: list[EventRef], later: list[EventRef], before: int, after: int
) -> list[EventRef]:
    """Rule `changed_by`: the events recorded in (before, after] that either answer rests on:
    the later answer's new evidence, and `later` - every event recorded since of the outages,
    windows and tickets behind the earlier answer (so a correction that moved an outage out of
    the month is named too)."""
    return cite(
        (ref for ref in new if before < ref.position <= after),
        (ref for ref in later if before < ref.position <= after),
    )
