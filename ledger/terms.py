"""Contract terms: the data every SLA rule reads, validated with pydantic.

Terms are stored in full inside `contract.signed` / `contract.amended` events: templates are
expanded and public-holiday lists generated at signing, so replaying an old contract never depends
on the code or library versions of the day of the replay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

from ledger.timevalues import contract_zone, require_ledger_year

_Version = TypeVar("_Version")


def in_force(
    versions: Iterable[_Version],
    instant: datetime,
    effective_from: Callable[[_Version], datetime],
) -> _Version | None:
    """Rule `terms_in_force`: of a contract's versions, sorted by effective date (recorded order
    among equal dates), the last one effective at or before `instant`; None before the first."""
    chosen = None
    for version in versions:
        if effective_from(version) <= instant:
            chosen = version
    return chosen


__all__ = [
    "MAINTENANCE_KINDS",
    "WEEKDAYS",
    "AvailabilityTerms",
    "BusinessCalendar",
    "ContractTerms",
    "CreditTerms",
    "CreditTier",
    "HolidayList",
    "Money",
    "PriorityTerms",
    "SubscriptionTerm",
    "SupportTerms",
    "Target",
]

MaintenanceKind = Literal["scheduled", "emergency", "customer_requested"]
MAINTENANCE_KINDS: tuple[MaintenanceKind, ...] = ("scheduled", "emergency", "customer_requested")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def exact_number(value: object) -> object:
    """Rule `exact_numbers`: amounts and percentages are decimal strings (or whole JSON numbers);
    a JSON number with a fraction or exponent (a binary float) or `true`/`false` is refused."""
    if isinstance(value, bool | float):
        raise ValueError(f'give a decimal string such as "99.95", not {json.dumps(value)}')
    return value


# Limits (README "Limits and errors"): lists in terms are bounded so one contract cannot make every
# report slow; past a limit the terms are refused with 422 naming the field and the limit.
MAX_TIERS = 100
MAX_NAMED = 100  # calendars, priorities
MAX_HOLIDAYS = 5000  # holiday dates (a spec expands to about 15 a year for 11 years)

ExactDecimal = Annotated[Decimal, BeforeValidator(exact_number)]
WholeNumber = Annotated[int, Strict()]  # `true` is not 1, and 12.0 is not a count
Percent = Annotated[ExactDecimal, Field(ge=0, le=100, max_digits=12, decimal_places=6)]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]

_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class TermsModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_zone(name: str) -> str:
    contract_zone(name)
    return name


class AvailabilityTerms(TermsModel):
    """The availability commitment (cloud video SLA)."""

    target_percent: Annotated[
        ExactDecimal, Field(gt=0, le=100, max_digits=12, decimal_places=6)
    ] = Decimal("99.9")
    min_outage_seconds: Annotated[WholeNumber, Field(ge=0, le=86_400)] = 300
    excluded_maintenance_kinds: tuple[MaintenanceKind, ...] = MAINTENANCE_KINDS
    threshold: Literal["after_exclusions", "before_exclusions"] = "after_exclusions"
    # A maintenance window declared after it began: excluded from its start (the vendor's
    # reading), or only from the moment it was declared (the customer's).
    maintenance_excluded_from: Literal["window_start", "declaration"] = "window_start"


class HolidayList(TermsModel):
    """Explicit public-holiday dates, and a note of where they came from."""

    dates: Annotated[tuple[date, ...], Field(max_length=MAX_HOLIDAYS)] = ()
    source: Annotated[str, Field(max_length=200)] = "explicit list"

    @field_validator("dates")
    @classmethod
    def _sorted_unique(cls, dates: tuple[date, ...]) -> tuple[date, ...]:
        for day in dates:
            require_ledger_year(day)
        return tuple(sorted(set(dates)))


class BusinessCalendar(TermsModel):
    """Opening windows per weekday in a time zone, and what happens on public holidays."""

    timezone: str
    windows: dict[Weekday, tuple[str, ...]]
    on_holidays: Literal["closed", "open"] = "closed"
    holidays: HolidayList = HolidayList()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        return _check_zone(name)

    @field_validator("windows")
    @classmethod
    def _windows_are_ordered(
        cls, windows: dict[str, tuple[str, ...]]
    ) -> dict[str, tuple[str, ...]]:
        for day, day_windows in windows.items():
            previous_end = -1
            for window in day_windows:
                start, end = window_minutes(window)
                if start < previous_end:
                    raise ValueError(f"{day}: window {window} overlaps the previous window")
                previous_end = end
        return windows


def window_minutes(window: str) -> tuple[int, int]:
    """Parse `HH:MM-HH:MM` into minutes after local midnight; `24:00` ends a day."""
    match = _WINDOW.match(window)
    if not match:
        raise ValueError(f"{window!r} is not an opening window; write it as HH:MM-HH:MM")
    start = int(match.group(1)) * 60 + int(match.group(2))
    end = int(match.group(3)) * 60 + int(match.group(4))
    if end > 24 * 60 or start >= end:
        raise ValueError(f"{window!r} must start before it ends, within one day")
    return start, end


class Target(TermsModel):
    """One commitment: reach `metric` within `seconds` of time open on `calendar`."""

    metric: Literal["response", "resolution"]
    seconds: Annotated[WholeNumber, Field(gt=0, le=365 * 86_400)]
    calendar: Name


class PriorityTerms(TermsModel):
    """What a priority promises; no targets means no commitment (the SLA's low priority)."""

    targets: tuple[Target, ...] = ()

    @field_validator("targets")
    @classmethod
    def _one_target_per_metric(cls, targets: tuple[Target, ...]) -> tuple[Target, ...]:
        metrics = [target.metric for target in targets]
        if len(metrics) != len(set(metrics)):
            raise ValueError("a priority has at most one target per metric")
        return targets


class SupportTerms(TermsModel):
    """The support-ticket commitment (studio-hardware SLA)."""

    calendars: Annotated[dict[Name, BusinessCalendar], Field(max_length=MAX_NAMED)]
    priorities: Annotated[dict[Name, PriorityTerms], Field(max_length=MAX_NAMED)]
    priority_change: Literal["retroactive", "from_change"] = "retroactive"

    @model_validator(mode="after")
    def _targets_name_known_calendars(self) -> SupportTerms:
        for priority, terms in self.priorities.items():
            for target in terms.targets:
                if target.calendar not in self.calendars:
                    raise ValueError(
                        f"priority {priority!r} uses calendar {target.calendar!r}, which is not "
                        f"among the calendars ({', '.join(sorted(self.calendars)) or 'none'})"
                    )
        return self


class Money(TermsModel):
    amount: Annotated[ExactDecimal, Field(ge=0, max_digits=18, decimal_places=6)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class CreditTier(TermsModel):
    """A month whose availability is below `below_percent` earns `credit_percent` of the fee."""

    below_percent: Percent
    credit_percent: Percent


class CreditTerms(TermsModel):
    """Service credits, as percentages of the monthly fee."""

    monthly_fee: Money
    availability_tiers: Annotated[tuple[CreditTier, ...], Field(max_length=MAX_TIERS)] = ()
    ticket_breach_credit_percent: dict[Name, Percent] = {}
    monthly_cap_percent: Percent = Decimal(100)
    term_cap_percent: Percent = Decimal(100)


class SubscriptionTerm(TermsModel):
    """The subscription term: from `start` (a local date in the contract's zone) for `months`."""

    start: date
    months: Annotated[WholeNumber, Field(ge=1, le=120)] = 12

    @field_validator("start")
    @classmethod
    def _within_ledger_years(cls, start: date) -> date:
        require_ledger_year(start)
        return start


class ContractTerms(TermsModel):
    """Everything a contract version says. Absent sections mean no commitment of that kind."""

    template: str | None = None
    timezone: str = "UTC"
    term: SubscriptionTerm
    availability: AvailabilityTerms | None = None
    support: SupportTerms | None = None
    credits: CreditTerms | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        return _check_zone(name)

    @model_validator(mode="after")
    def _credits_can_be_computed(self) -> ContractTerms:
        require_computable_credits(self)
        return self

    @model_validator(mode="after")
    def _ticket_credits_name_known_priorities(self) -> ContractTerms:
        if self.credits and self.credits.ticket_breach_credit_percent:
            known = set(self.support.priorities) if self.support else set()
            unknown = sorted(set(self.credits.ticket_breach_credit_percent) - known)
            if unknown:
                raise ValueError(
                    f"credits.ticket_breach_credit_percent names priorities the support terms "
                    f"do not define: {', '.join(unknown)}"
                )
        return self

    def defines_priority(self, priority: str) -> bool:
        return self.support is not None and priority in self.support.priorities

    def stored_form(self) -> dict[str, Any]:
        """The JSON form kept in events (Decimals as strings, dates as ISO)."""
        return self.model_dump(mode="json")


def require_computable_credits(terms: ContractTerms) -> None:
    """Rule `computable_credits`: availability credit tiers need an availability commitment (the
    months they are measured against); without one they could never earn a credit: refused."""
    if terms.credits and terms.credits.availability_tiers and terms.availability is None:
        raise ValueError(
            "credits.availability_tiers can never apply: the terms have no availability "
            "section to measure months against (add availability, or drop the tiers)"
        )
