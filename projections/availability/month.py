"""One account-month's availability: the rules of `availability.rules` strung together.

`monthly_availability` measures months of one account's history and returns a
`MonthAvailability` per month: every figure, every period counted, ignored or excluded, and the
events they came from. It is the one result the availability report, the breach list, the credit
statement and the read-model table are made from.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from ledger.events import EventRef
from ledger.state import ContractState, MaintenanceState, OutageState, TermsVersion
from ledger.terms import AvailabilityTerms, ContractTerms
from ledger.timevalues import Month, contract_zone, floor_to_second
from projections.availability.rules import (
    Downtime,
    Piece,
    availability_percent,
    classify_downtime,
    countable,
    exclusion_spans,
    governing_version,
    in_seconds,
    month_figures,
    subscribed_period,
)
from projections.evidence import cite
from projections.history import AccountHistory

__all__ = [
    "MaintenanceUsed",
    "MonthAvailability",
    "UnendedOutage",
    "month_evidence",
    "monthly_availability",
]


@dataclass(frozen=True, slots=True)
class MaintenanceUsed:
    """A maintenance window that excluded time from the month, and who declared it when."""

    maintenance_id: str
    kind: str
    start: datetime
    end: datetime
    declared_at: datetime
    declared_by: str | None


@dataclass(frozen=True, slots=True)
class UnendedOutage:
    """An outage with no end yet: it counts up to the query time."""

    outage_id: str
    started_at: datetime


@dataclass(frozen=True)
class MonthAvailability:
    """One account-month's availability, exactly as the cloud video SLA defines it.

    Instants are UTC; periods are whole Unix seconds.

    Attributes:
        account_id, month, timezone: the account-month, in the contract's zone.
        month_start, month_end: the month's local midnights.
        period_start, period_end, period_seconds: the subscribed part of the month.
        unavailable_seconds, excluded_seconds, ignored_seconds: counted downtime, outage time
            inside excluded maintenance, and outage time under the threshold.
        availability_percent: four decimals, rounded down; `met`: compared exactly.
        target_percent, threshold, min_outage_seconds, excluded_maintenance_kinds,
            maintenance_excluded_from: the rules it was measured under ...
        terms_effective_from, terms_event_id: ... and the contract version they come from.
        counted, ignored, excluded: the periods behind the three figures.
        maintenance: the windows that excluded time.
        open_outages, retracted_outages: outages touching the month with no end, or voided.
        query_time, as_of, as_of_position: the moment the month was measured for.
        evidence: every event the figures rest on (rule `evidence`).
    """

    account_id: str
    month: Month
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
    met: bool
    target_percent: str
    threshold: str
    min_outage_seconds: int
    excluded_maintenance_kinds: tuple[str, ...]
    maintenance_excluded_from: str
    terms_effective_from: datetime
    terms_event_id: str
    counted: tuple[Piece, ...]
    ignored: tuple[Piece, ...]
    excluded: tuple[Piece, ...]
    maintenance: tuple[MaintenanceUsed, ...]
    open_outages: tuple[UnendedOutage, ...]
    retracted_outages: tuple[str, ...]
    query_time: datetime
    as_of: datetime | None
    as_of_position: int | None
    evidence: tuple[EventRef, ...]

    @property
    def has_content(self) -> bool:
        """Whether anything touched the month (a month with no outage needs no stored row)."""
        kinds = (self.counted, self.ignored, self.excluded, self.open_outages)
        return any(kinds) or bool(self.retracted_outages)


def monthly_availability(
    history: AccountHistory,
    months: Iterable[Month],
    *,
    query_time: datetime,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
    terms: ContractTerms | None = None,
) -> dict[Month, MonthAvailability]:
    """Several months of one account; downtime is classified once per set of rules.

    Months in which the account was not subscribed, or had no availability terms, are left
    out. Rule `month_in_progress`: a month still in progress is measured over the whole month
    (downtime so far, none assumed after the query time). `terms` replace the contract's (a
    what-if replay).

    Raises:
        NotFound: the account has no contract.
    """
    contract = history.require_contract()
    zone = contract_zone(contract.timezone)
    spans = in_seconds(history.outages, query_time)
    countable_spans = countable(spans)
    by_time = _OutagesByTime(spans)
    classified: dict[int, Downtime] = {}
    found: dict[Month, MonthAvailability] = {}
    for month in months:
        version = governing_version(contract, month)
        rules = (terms or version.terms).availability
        bounds = month.bounds(zone)
        period = subscribed_period(contract, *bounds)
        if rules is None or period is None:
            continue
        if id(rules) not in classified:
            exclusions = exclusion_spans(history.maintenance, rules)
            classified[id(rules)] = classify_downtime(countable_spans, exclusions, rules)
        moment = _Moment(query_time, as_of, as_of_position)
        found[month] = _measure(
            history, contract, version, rules, month, bounds, period, moment, by_time,
            classified[id(rules)],
        )  # fmt: skip
    return found


@dataclass(frozen=True)
class _Moment:
    query_time: datetime
    as_of: datetime | None
    as_of_position: int | None


class _OutagesByTime:
    """An account's outages as whole-second spans, to find those touching a period quickly."""

    def __init__(self, spans: list[tuple[int, int, OutageState]]) -> None:
        ordered = sorted(spans, key=lambda span: span[0])
        self.spans = ordered
        self.starts = [span[0] for span in ordered]

    def touching(self, start: int, end: int) -> list[OutageState]:
        """Outages whose interval touches [start, end] (boundaries included)."""
        last = bisect.bisect_right(self.starts, end)
        return [outage for _, outage_end, outage in self.spans[:last] if outage_end >= start]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _measure(
    history: AccountHistory,
    contract: ContractState,
    version: TermsVersion,
    rules: AvailabilityTerms,
    month: Month,
    bounds: tuple[datetime, datetime],
    period: tuple[datetime, datetime],
    moment: _Moment,
    by_time: _OutagesByTime,
    downtime: Downtime,
) -> MonthAvailability:
    start, end = floor_to_second(period[0]), floor_to_second(period[1])
    figures = month_figures(downtime, start, end)
    touching = by_time.touching(start, end)
    percent, met = availability_percent(
        end - start, figures.unavailable_seconds, rules.target_percent
    )
    used = {m for piece in figures.excluded for m in piece.maintenance_ids}
    windows = [m for m in history.maintenance if m.maintenance_id in used]
    return MonthAvailability(
        account_id=history.account_id,
        month=month,
        timezone=contract.timezone,
        month_start=_utc(bounds[0]),
        month_end=_utc(bounds[1]),
        period_start=_utc(period[0]),
        period_end=_utc(period[1]),
        period_seconds=end - start,
        unavailable_seconds=figures.unavailable_seconds,
        excluded_seconds=sum(p.end - p.start for p in figures.excluded),
        ignored_seconds=sum(p.end - p.start for p in figures.ignored),
        availability_percent=percent,
        met=met,
        target_percent=str(rules.target_percent),
        threshold=rules.threshold,
        min_outage_seconds=rules.min_outage_seconds,
        excluded_maintenance_kinds=tuple(rules.excluded_maintenance_kinds),
        maintenance_excluded_from=rules.maintenance_excluded_from,
        terms_effective_from=_utc(version.effective_from),
        terms_event_id=version.event_id,
        counted=tuple(figures.counted),
        ignored=tuple(figures.ignored),
        excluded=tuple(figures.excluded),
        maintenance=tuple(_maintenance_used(m) for m in windows),
        open_outages=tuple(
            UnendedOutage(o.outage_id, _utc(o.started_at))
            for o in touching
            if o.ended_at is None and not o.retracted
        ),
        retracted_outages=tuple(sorted(o.outage_id for o in touching if o.retracted)),
        query_time=_utc(moment.query_time),
        as_of=None if moment.as_of is None else _utc(moment.as_of),
        as_of_position=moment.as_of_position,
        evidence=tuple(month_evidence(contract, version, touching, windows)),
    )


def _maintenance_used(window: MaintenanceState) -> MaintenanceUsed:
    return MaintenanceUsed(
        window.maintenance_id,
        window.kind,
        _utc(window.start),
        _utc(window.end),
        _utc(window.declared_at),
        window.declared_by,
    )


def month_evidence(
    contract: ContractState,
    version: TermsVersion,
    touching: list[OutageState],
    windows: list[MaintenanceState],
) -> list[EventRef]:
    """Rule `evidence`: the signing, the governing version, a termination if there is one, every
    event of every outage touching the period (counted, ignored, excluded or retracted), and every
    event of the maintenance windows that excluded time."""
    return cite(
        [contract.versions[0].ref, version.ref, contract.termination_ref],
        *(outage.refs for outage in touching),
        *(window.refs for window in windows),
    )
