"""Service credits per subscription term, exactly: the rules, each a function below.

- `term_slices`: a term is cut into calendar months; a term that does not start on the 1st has a
  partial month at both ends.
- `month_credit`: a month's credit follows the terms in force at the start of the month
  (`slice_version`); its availability tier, plus a credit per ticket opened in it that
  breached (under the terms in force when that ticket opened), capped by the monthly cap; the
  fee of a partial month is pro rata of the month's real length.
- `tier_credit`: the largest credit of the tiers whose threshold the month is below.
The term's total (`credits.term`) adds the months up under the term cap. All amounts are exact
fractions until `round_to_minor_unit` makes the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from ledger.money import HUNDRED, exact
from ledger.state import ContractState, TermsVersion
from ledger.terms import CreditTerms
from ledger.timevalues import Month, contract_zone
from projections.availability import MonthAvailability
from projections.availability.rules import governing_version
from projections.tickets.measure import TicketClock

__all__ = [
    "MonthCredit",
    "Slice",
    "month_credit",
    "slice_version",
    "term_slices",
    "tier_credit",
]


@dataclass(frozen=True)
class Slice:
    """The part of a calendar month inside a term and the subscription (`in_progress`: the
    month had not ended at the query time)."""

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
    """The credit of one slice of a month, exactly.

    Attributes:
        slice: the part of the month inside the term; `version`: the terms it follows.
        availability: the whole month's availability (None: no availability terms).
        tier: the availability tier's credit percent; `tickets`: each breached ticket opened
            in the slice with its credit percent.
        cap, percent: the monthly cap and the credit percent after it.
        fee, amount, currency: the fee pro rata, and the credit owed on it.
    """

    slice: Slice
    version: TermsVersion
    availability: MonthAvailability | None
    tier: Fraction
    tickets: list[tuple[TicketClock, Fraction]]
    cap: Fraction
    percent: Fraction  # after the monthly cap
    fee: Fraction  # pro rata
    amount: Fraction
    currency: str | None

    @property
    def uncapped(self) -> Fraction:
        return self.tier + sum((credit for _, credit in self.tickets), Fraction(0))


def term_slices(
    contract: ContractState, start: datetime, end: datetime, until: datetime
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
    version: TermsVersion,
    credits: CreditTerms | None,
    availability: MonthAvailability | None,
    breached: list[tuple[TicketClock, CreditTerms | None]],
) -> MonthCredit:
    """Rule `month_credit`: the availability tier plus a credit per breached ticket opened in the
    month, capped by the monthly cap, applied to the month's fee pro rata (`partial_month_fee`:
    fee x seconds in the term / seconds in the calendar month)."""
    if credits is None:
        return MonthCredit(
            slice_,
            version,
            availability,
            Fraction(0),
            [],
            Fraction(0),
            Fraction(0),
            Fraction(0),
            Fraction(0),
            None,
        )
    tier = tier_credit(credits, _available(availability)) if availability else Fraction(0)
    tickets = [
        (clock, exact(terms.ticket_breach_credit_percent.get(clock.priority, 0)))
        if terms is not None
        else (clock, Fraction(0))
        for clock, terms in breached
    ]
    cap = exact(credits.monthly_cap_percent)
    percent = min(tier + sum((c for _, c in tickets), Fraction(0)), cap)
    fee = exact(credits.monthly_fee.amount) * slice_.seconds / slice_.month_seconds
    return MonthCredit(
        slice_,
        version,
        availability,
        tier,
        tickets,
        cap,
        percent,
        fee,
        fee * percent / HUNDRED,
        credits.monthly_fee.currency,
    )


def _available(month: MonthAvailability) -> Fraction:
    period, unavailable = month.period_seconds, month.unavailable_seconds
    return Fraction(period - unavailable, period) * HUNDRED


def slice_version(contract: ContractState, slice_: Slice) -> TermsVersion:
    """Rule `slice_terms`: a month's credit follows the terms in force at its start (rule
    `governing_terms`), but a slice that starts a term follows the terms the term starts with,
    so a renewal that changes the fee or its currency governs the rest of that month."""
    if slice_.start == slice_.month.bounds(contract_zone(contract.timezone))[0]:
        return governing_version(contract, slice_.month)
    return contract.version_or_first(slice_.start)
