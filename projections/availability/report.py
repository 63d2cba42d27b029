"""The availability report and the breach list: their JSON shape, and how they are made.

`availability_report` turns a `MonthAvailability` into the `AvailabilityReport` the CLI and the
API show; `breach_list` orders the months that missed their target (rule `worst_first`);
`measure_month` answers one account-month from its history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from fractions import Fraction
from typing import Literal

from ledger.errors import InvalidQuery
from ledger.events import EventRef
from ledger.receipts import Receipt
from ledger.terms import ContractTerms
from ledger.timevalues import Month, from_seconds
from projections.availability.month import MonthAvailability, monthly_availability
from projections.availability.rules import governing_version, provisional
from projections.history import AccountHistory
from projections.models import ReportModel

__all__ = [
    "AvailabilityReport",
    "Breach",
    "BreachList",
    "availability_report",
    "breach_list",
    "measure_month",
]


class UnavailablePeriod(ReportModel):
    """Counted downtime inside the period, and the continuous outage it belongs to."""

    start: datetime
    end: datetime
    seconds: int
    outage_ids: list[str]
    continuous_start: datetime
    continuous_end: datetime
    continuous_seconds: int


class IgnoredPeriod(ReportModel):
    start: datetime
    end: datetime
    seconds: int
    outage_ids: list[str]
    reason: str


class MaintenanceRef(ReportModel):
    maintenance_id: str
    kind: str
    start: datetime
    end: datetime
    declared_at: datetime
    declared_by: str | None


class ExcludedPeriod(ReportModel):
    """Outage time cut out because it fell inside excluded maintenance."""

    start: datetime
    end: datetime
    seconds: int
    outage_ids: list[str]
    maintenance: list[MaintenanceRef]


class OpenOutage(ReportModel):
    outage_id: str
    started_at: datetime
    counted_until: datetime


class TermsRef(ReportModel):
    effective_from: datetime
    event_id: str


class AvailabilityReport(ReportModel):
    """One account-month: every figure, and every event it came from."""

    account_id: str
    month: str
    timezone: str
    month_start: datetime
    month_end: datetime
    period_start: datetime
    period_end: datetime
    period_seconds: int
    unavailable_seconds: int
    excluded_seconds: int
    ignored_seconds: int
    availability_percent: str
    target_percent: str
    met: bool
    provisional: bool  # the month is in progress or in the future: figures may still change
    threshold: Literal["after_exclusions", "before_exclusions"]
    min_outage_seconds: int
    excluded_maintenance_kinds: list[str]
    maintenance_excluded_from: Literal["window_start", "declaration"]
    terms: TermsRef
    unavailable_periods: list[UnavailablePeriod]
    ignored_periods: list[IgnoredPeriod]
    excluded_periods: list[ExcludedPeriod]
    open_outages: list[OpenOutage]
    retracted_outages: list[str]
    query_time: datetime
    as_of: datetime | None
    as_of_position: int | None
    evidence: list[EventRef]
    receipt: Receipt | None = None  # the proof (ledger.receipts), added by the CLI and API


def availability_report(month: MonthAvailability) -> AvailabilityReport:
    """The report of a measured month (the JSON shape of `sla-ledger availability --json`)."""
    windows = {
        m.maintenance_id: MaintenanceRef(
            maintenance_id=m.maintenance_id,
            kind=m.kind,
            start=m.start,
            end=m.end,
            declared_at=m.declared_at,
            declared_by=m.declared_by,
        )
        for m in month.maintenance
    }
    return AvailabilityReport.model_validate(
        {
            "account_id": month.account_id,
            "month": str(month.month),
            "timezone": month.timezone,
            "month_start": month.month_start,
            "month_end": month.month_end,
            "period_start": month.period_start,
            "period_end": month.period_end,
            "period_seconds": month.period_seconds,
            "unavailable_seconds": month.unavailable_seconds,
            "excluded_seconds": month.excluded_seconds,
            "ignored_seconds": month.ignored_seconds,
            "availability_percent": month.availability_percent,
            "target_percent": month.target_percent,
            "met": month.met,
            "provisional": provisional(month.month_end, month.query_time),
            "threshold": month.threshold,
            "min_outage_seconds": month.min_outage_seconds,
            "excluded_maintenance_kinds": list(month.excluded_maintenance_kinds),
            "maintenance_excluded_from": month.maintenance_excluded_from,
            "terms": {
                "effective_from": month.terms_effective_from,
                "event_id": month.terms_event_id,
            },
            "unavailable_periods": [
                {
                    **_span(p.start, p.end),
                    "outage_ids": list(p.outage_ids),
                    "continuous_start": from_seconds(p.continuous[0]),
                    "continuous_end": from_seconds(p.continuous[1]),
                    "continuous_seconds": p.continuous[1] - p.continuous[0],
                }
                for p in month.counted
            ],
            "ignored_periods": [
                {**_span(p.start, p.end), "outage_ids": list(p.outage_ids), "reason": p.reason}
                for p in month.ignored
            ],
            "excluded_periods": [
                {
                    **_span(p.start, p.end),
                    "outage_ids": list(p.outage_ids),
                    "maintenance": [windows[m] for m in p.maintenance_ids],
                }
                for p in month.excluded
            ],
            "open_outages": [
                {
                    "outage_id": o.outage_id,
                    "started_at": o.started_at,
                    "counted_until": month.query_time,
                }
                for o in month.open_outages
            ],
            "retracted_outages": list(month.retracted_outages),
            "query_time": month.query_time,
            "as_of": month.as_of,
            "as_of_position": month.as_of_position,
            "evidence": list(month.evidence),
        }
    )


def _span(start: int, end: int) -> dict[str, object]:
    return {"start": from_seconds(start), "end": from_seconds(end), "seconds": end - start}


def measure_month(
    history: AccountHistory,
    month: Month,
    *,
    query_time: datetime,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
    terms: ContractTerms | None = None,
) -> MonthAvailability:
    """One account-month from the account's history (as known at the query).

    Raises:
        NotFound: the account has no contract.
        InvalidQuery: the account was not subscribed that month, or has no availability terms.
    """
    version = governing_version(history.require_contract(), month)
    if (terms or version.terms).availability is None:
        raise InvalidQuery(
            f"the terms of {history.account_id!r} in force for {month} have no availability section"
        )
    found = monthly_availability(
        history,
        [month],
        query_time=query_time,
        as_of=as_of,
        as_of_position=as_of_position,
        terms=terms,
    )
    if month not in found:
        raise InvalidQuery(f"{history.account_id!r} was not subscribed in {month}")
    return found[month]


class Breach(ReportModel):
    """One account whose month missed its target."""

    account_id: str
    availability_percent: str
    target_percent: str
    unavailable_seconds: int
    period_seconds: int
    open_outages: list[str]


class BreachList(ReportModel):
    """Every account whose month missed its target, worst first."""

    month: str
    query_time: datetime
    as_of: datetime | None
    as_of_position: int
    breaches: list[Breach]
    receipt: Receipt | None = None  # the proof (ledger.receipts), added by the CLI and API


def breach_list(
    months: Iterable[MonthAvailability],
    month: Month,
    *,
    query_time: datetime,
    as_of: datetime | None,
    as_of_position: int,
) -> BreachList:
    """Rule `worst_first`: missed months sorted by availability, lowest first (exactly, not by the
    rounded display), then by account id."""
    missed = sorted(
        (m for m in months if not m.met),
        key=lambda m: (
            Fraction(m.period_seconds - m.unavailable_seconds, m.period_seconds),
            m.account_id,
        ),
    )
    return BreachList(
        month=str(month),
        query_time=query_time,
        as_of=as_of,
        as_of_position=as_of_position,
        breaches=[
            Breach(
                account_id=m.account_id,
                availability_percent=m.availability_percent,
                target_percent=m.target_percent,
                unavailable_seconds=m.unavailable_seconds,
                period_seconds=m.period_seconds,
                open_outages=[o.outage_id for o in m.open_outages],
            )
            for m in missed
        ],
    )
