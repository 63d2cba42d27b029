"""Monthly availability of one account, exactly as the cloud video SLA defines it.

The fold, in order (each step a named rule):
1. `governing_version`: the contract version in force at the start of the month.
2. `subscribed_period`: only time the account was subscribed counts.
3. `outage_spans`: the account's outages (service-wide ones and its own); an open outage counts up
   to the query's time; a retracted one counts nothing; a corrected one counts its latest times.
4. `classify_downtime`: merge overlapping or touching outages into continuous periods, cut the
   excluded maintenance out, apply the minimum-duration threshold (before or after the cut).
5. `month_figures`: only then split at the month's boundaries.
6. `availability_percent`: (period - unavailable) / period * 100, compared with the target
   exactly, shown with 4 decimals rounded down.
Every second of merged outage time in the period is exactly one of: excluded, counted, ignored.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ledger.errors import InvalidQuery, NotFound
from ledger.money import HUNDRED, percent_text
from ledger.terms import AvailabilityTerms, ContractTerms
from ledger.timevalues import Month, contract_zone, floor_to_second
from projections.history import (
    AccountHistory,
    ContractHistory,
    EventRef,
    MaintenanceRecord,
    OutageRecord,
    VersionRecord,
)
from projections.intervals import Interval, clip, merge_labelled, subtract

__all__ = [
    "AvailabilityReport",
    "Breach",
    "BreachList",
    "Downtime",
    "availability_report",
    "breach_list",
    "classify_downtime",
    "governing_version",
    "has_content",
    "monthly_reports",
]


# --- what the report shows -------------------------------------------------------------------


class ReportModel(BaseModel):
    model_config = ConfigDict(frozen=True)


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
    threshold: Literal["after_exclusions", "before_exclusions"]
    min_outage_seconds: int
    excluded_maintenance_kinds: list[str]
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


def breach_list(
    reports: Iterable[AvailabilityReport],
    month: Month,
    *,
    query_time: datetime,
    as_of: datetime | None,
    as_of_position: int,
) -> BreachList:
    """Rule `worst_first`: missed months sorted by availability, lowest first (exactly, not by the
    rounded display), then by account id."""
    missed = [r for r in reports if not r.met]
    missed.sort(
        key=lambda r: (
            Fraction(r.period_seconds - r.unavailable_seconds, r.period_seconds),
            r.account_id,
        )
    )
    return BreachList(
        month=str(month),
        query_time=query_time,
        as_of=as_of,
        as_of_position=as_of_position,
        breaches=[
            Breach(
                account_id=r.account_id,
                availability_percent=r.availability_percent,
                target_percent=r.target_percent,
                unavailable_seconds=r.unavailable_seconds,
                period_seconds=r.period_seconds,
                open_outages=[o.outage_id for o in r.open_outages],
            )
            for r in missed
        ],
    )


# --- the fold --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutageSpan:
    start: int
    end: int
    outage_id: str


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of merged outage time, what happened to it, and its continuous period."""

    start: int
    end: int
    outage_ids: tuple[str, ...]
    continuous: Interval
    maintenance_ids: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Downtime:
    counted: list[Piece]
    ignored: list[Piece]
    excluded: list[Piece]


def governing_version(contract: ContractHistory, month: Month) -> VersionRecord:
    """Rule `governing_terms`: a month is measured under the terms in force at its start.

    If the subscription starts during the month, the terms it starts with govern that month.
    """
    zone = contract_zone(contract.timezone)
    start, _ = month.bounds(zone)
    return contract.version_at(max(start, contract.starts_at)) or contract.versions[0]


def subscribed_period(
    contract: ContractHistory, start: datetime, end: datetime
) -> tuple[datetime, datetime] | None:
    """Rule `subscribed_time_only`: [start, end) cut to the subscription (signing to its end)."""
    period_start = max(start, contract.starts_at)
    period_end = min(end, contract.terminated_at) if contract.terminated_at else end
    return (period_start, period_end) if period_start < period_end else None


def outage_spans(records: Iterable[OutageRecord], query_time: datetime) -> list[OutageSpan]:
    """Rule `open_outage_until_query_time`: the outages that count, in whole seconds.

    An outage with no end yet runs up to the query's time; a retracted one counts nothing; a
    corrected one has its latest corrected times (the history keeps only those).
    """
    until = floor_to_second(query_time)
    spans = []
    for record in records:
        if record.retracted:
            continue
        start = floor_to_second(record.started_at)
        end = until if record.ended_at is None else floor_to_second(record.ended_at)
        if end > start:
            spans.append(OutageSpan(start, end, record.outage_id))
    return spans


def exclusion_spans(
    records: Iterable[MaintenanceRecord], kinds: Sequence[str]
) -> list[tuple[int, int, str]]:
    """Rule `excluded_maintenance`: windows of the excluded kinds, unless cancelled."""
    return [
        (floor_to_second(r.start), floor_to_second(r.end), r.maintenance_id)
        for r in records
        if not r.cancelled and r.kind in kinds
    ]


def classify_downtime(
    spans: Sequence[OutageSpan],
    exclusions: Sequence[tuple[int, int, str]],
    rules: AvailabilityTerms,
) -> Downtime:
    """Rule `threshold_order`: merge, cut out maintenance, and apply the minimum duration.

    `after_exclusions` (default): each piece left after the cut counts if it lasts at least
    `min_outage_seconds` (inclusive). `before_exclusions`: the whole continuous period is tested
    first; if it passes, every piece left after the cut counts.
    """
    windows = merge_labelled(exclusions)
    window_starts = [w[0] for w in windows]
    counted: list[Piece] = []
    ignored: list[Piece] = []
    excluded: list[Piece] = []
    for start, end, ids in merge_labelled((s.start, s.end, s.outage_id) for s in spans):
        inside = _overlapping(windows, window_starts, start, end)
        excluded += [Piece(a, b, ids, (start, end), labels) for a, b, labels in inside]
        remaining = subtract([(start, end)], [(a, b) for a, b, _ in inside])
        for a, b in remaining:
            piece = Piece(a, b, ids, (start, end))
            reason = _threshold_failure(rules, end - start, b - a)
            if reason:
                ignored.append(Piece(a, b, ids, (start, end), reason=reason))
            else:
                counted.append(piece)
    return Downtime(counted, ignored, excluded)


def _overlapping(
    windows: list[tuple[int, int, tuple[str, ...]]], starts: list[int], start: int, end: int
) -> list[tuple[int, int, tuple[str, ...]]]:
    first = max(bisect.bisect_right(starts, start) - 1, 0)
    found = []
    for window_start, window_end, labels in windows[first:]:
        if window_start >= end:
            break
        piece = clip((window_start, window_end), start, end)
        if piece:
            found.append((piece[0], piece[1], labels))
    return found


def _threshold_failure(rules: AvailabilityTerms, continuous: int, piece: int) -> str:
    minimum = rules.min_outage_seconds
    if rules.threshold == "before_exclusions":
        if continuous < minimum:
            return (
                f"continuous outage of {continuous} s is shorter than the {minimum} s threshold "
                "(tested before maintenance is cut out)"
            )
        return ""
    if piece < minimum:
        return (
            f"continuous piece of {piece} s (after excluded maintenance is cut out) is shorter "
            f"than the {minimum} s threshold"
        )
    return ""


@dataclass(frozen=True)
class MonthFigures:
    counted: list[Piece]
    ignored: list[Piece]
    excluded: list[Piece]

    @property
    def unavailable_seconds(self) -> int:
        return sum(p.end - p.start for p in self.counted)


def month_figures(downtime: Downtime, start: int, end: int) -> MonthFigures:
    """Rule `split_after_threshold`: pieces are judged whole, then cut to the period."""

    def cut(pieces: list[Piece]) -> list[Piece]:
        kept = []
        for piece in pieces:
            bounds = clip((piece.start, piece.end), start, end)
            if bounds:
                kept.append(
                    Piece(
                        bounds[0],
                        bounds[1],
                        piece.outage_ids,
                        piece.continuous,
                        piece.maintenance_ids,
                        piece.reason,
                    )
                )
        return kept

    return MonthFigures(cut(downtime.counted), cut(downtime.ignored), cut(downtime.excluded))


def availability_percent(
    period_seconds: int, unavailable_seconds: int, target: Decimal
) -> tuple[str, bool]:
    """Rule `availability_formula`: exact comparison with the target; display rounded down.

    Integers and Decimals only: (period - unavailable) * 100 >= target * period decides `met`;
    the display is floor(10^4 * 100 * available / period) / 10^4.
    """
    available = period_seconds - unavailable_seconds
    met = Decimal(available) * HUNDRED >= target * period_seconds
    ten_thousandths = available * 100 * 10_000 // period_seconds
    return percent_text(Decimal(ten_thousandths).scaleb(-4)), met


def availability_report(
    history: AccountHistory,
    month: Month,
    *,
    query_time: datetime,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
    terms: ContractTerms | None = None,
) -> AvailabilityReport:
    """The availability report of one account-month.

    Args:
        history: the account's contract, outages and maintenance (as known at the as-of time).
        month: the calendar month, in the contract's time zone.
        query_time: the query's "now" (the as-of time for an as-of query): open outages run to it.
        terms: proposed terms to use instead of the contract's (what-if replay).

    Raises:
        NotFound: the account has no contract.
        InvalidQuery: the account was not subscribed that month, or has no availability terms.
    """
    contract = _contract_of(history)
    version = governing_version(contract, month)
    if (terms or version.version.terms).availability is None:
        raise InvalidQuery(
            f"the terms of {history.account_id!r} in force for {month} have no availability section"
        )
    reports = monthly_reports(
        history,
        [month],
        query_time=query_time,
        as_of=as_of,
        as_of_position=as_of_position,
        terms=terms,
    )
    if month not in reports:
        raise InvalidQuery(f"{history.account_id!r} was not subscribed in {month}")
    return reports[month]


def monthly_reports(
    history: AccountHistory,
    months: Iterable[Month],
    *,
    query_time: datetime,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
    terms: ContractTerms | None = None,
) -> dict[Month, AvailabilityReport]:
    """Reports for several months of one account; downtime is classified once per set of rules.

    Months in which the account was not subscribed, or had no availability terms, are left out.
    """
    contract = _contract_of(history)
    zone = contract_zone(contract.timezone)
    spans = outage_spans(history.outages, query_time)
    classified: dict[int, Downtime] = {}
    reports: dict[Month, AvailabilityReport] = {}
    for month in months:
        version = governing_version(contract, month)
        rules = (terms or version.version.terms).availability
        month_start, month_end = month.bounds(zone)
        period = subscribed_period(contract, month_start, month_end)
        if rules is None or period is None:
            continue
        if id(rules) not in classified:
            exclusions = exclusion_spans(history.maintenance, rules.excluded_maintenance_kinds)
            classified[id(rules)] = classify_downtime(spans, exclusions, rules)
        reports[month] = _month_report(
            _MonthContext(
                history,
                contract,
                version,
                rules,
                month,
                month_start,
                month_end,
                period,
                query_time,
                as_of,
                as_of_position,
            ),
            classified[id(rules)],
        )
    return reports


def _contract_of(history: AccountHistory) -> ContractHistory:
    if history.contract is None:
        raise NotFound(f"unknown account {history.account_id!r}")
    return history.contract


@dataclass(frozen=True)
class _MonthContext:
    history: AccountHistory
    contract: ContractHistory
    version: VersionRecord
    rules: AvailabilityTerms
    month: Month
    month_start: datetime
    month_end: datetime
    period: tuple[datetime, datetime]
    query_time: datetime
    as_of: datetime | None
    as_of_position: int | None


def _month_report(ctx: _MonthContext, downtime: Downtime) -> AvailabilityReport:
    start, end = floor_to_second(ctx.period[0]), floor_to_second(ctx.period[1])
    figures = month_figures(downtime, start, end)
    rules, history = ctx.rules, ctx.history
    percent, met = availability_percent(
        end - start, figures.unavailable_seconds, rules.target_percent
    )
    maintenance = {m.maintenance_id: m for m in history.maintenance}
    return AvailabilityReport(
        account_id=history.account_id,
        month=str(ctx.month),
        timezone=ctx.contract.timezone,
        month_start=ctx.month_start,
        month_end=ctx.month_end,
        period_start=ctx.period[0],
        period_end=ctx.period[1],
        period_seconds=end - start,
        unavailable_seconds=figures.unavailable_seconds,
        excluded_seconds=sum(p.end - p.start for p in figures.excluded),
        ignored_seconds=sum(p.end - p.start for p in figures.ignored),
        availability_percent=percent,
        target_percent=str(rules.target_percent),
        met=met,
        threshold=rules.threshold,
        min_outage_seconds=rules.min_outage_seconds,
        excluded_maintenance_kinds=list(rules.excluded_maintenance_kinds),
        terms=TermsRef(
            effective_from=ctx.version.version.effective_from,
            event_id=ctx.version.version.event_id,
        ),
        unavailable_periods=[_unavailable(p) for p in figures.counted],
        ignored_periods=[
            IgnoredPeriod(
                start=_at(p.start),
                end=_at(p.end),
                seconds=p.end - p.start,
                outage_ids=list(p.outage_ids),
                reason=p.reason,
            )
            for p in figures.ignored
        ],
        excluded_periods=[_excluded(p, maintenance) for p in figures.excluded],
        open_outages=_open_outages(history, ctx.query_time, start, end),
        retracted_outages=sorted(
            o.outage_id
            for o in history.outages
            if o.retracted and _touches(o, start, end, ctx.query_time)
        ),
        query_time=ctx.query_time,
        as_of=ctx.as_of,
        as_of_position=ctx.as_of_position,
        evidence=_evidence(history, ctx.contract, ctx.version, figures, start, end, ctx.query_time),
    )


def has_content(report: AvailabilityReport) -> bool:
    """Whether anything touched the month (a month with no outage needs no stored row)."""
    return bool(
        report.unavailable_periods
        or report.ignored_periods
        or report.excluded_periods
        or report.open_outages
        or report.retracted_outages
    )


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _unavailable(piece: Piece) -> UnavailablePeriod:
    continuous_start, continuous_end = piece.continuous
    return UnavailablePeriod(
        start=_at(piece.start),
        end=_at(piece.end),
        seconds=piece.end - piece.start,
        outage_ids=list(piece.outage_ids),
        continuous_start=_at(continuous_start),
        continuous_end=_at(continuous_end),
        continuous_seconds=continuous_end - continuous_start,
    )


def _excluded(piece: Piece, maintenance: dict[str, MaintenanceRecord]) -> ExcludedPeriod:
    return ExcludedPeriod(
        start=_at(piece.start),
        end=_at(piece.end),
        seconds=piece.end - piece.start,
        outage_ids=list(piece.outage_ids),
        maintenance=[_maintenance_ref(maintenance[m]) for m in piece.maintenance_ids],
    )


def _maintenance_ref(record: MaintenanceRecord) -> MaintenanceRef:
    return MaintenanceRef(
        maintenance_id=record.maintenance_id,
        kind=record.kind,
        start=record.start,
        end=record.end,
        declared_at=record.declared_at,
        declared_by=record.declared_by,
    )


def _touches(outage: OutageRecord, start: int, end: int, query_time: datetime) -> bool:
    outage_end = outage.ended_at or query_time
    return floor_to_second(outage.started_at) <= end and floor_to_second(outage_end) >= start


def _open_outages(
    history: AccountHistory, query_time: datetime, start: int, end: int
) -> list[OpenOutage]:
    return [
        OpenOutage(outage_id=o.outage_id, started_at=o.started_at, counted_until=query_time)
        for o in sorted(history.outages, key=lambda o: o.started_at)
        if o.ended_at is None and not o.retracted and _touches(o, start, end, query_time)
    ]


def _evidence(
    history: AccountHistory,
    contract: ContractHistory,
    version: VersionRecord,
    figures: MonthFigures,
    start: int,
    end: int,
    query_time: datetime,
) -> list[EventRef]:
    """Rule `evidence`: the signing, the governing version, a termination if it cuts the period,
    every event of every outage touching the period (counted, ignored, excluded or retracted),
    and every event of the maintenance windows that excluded time."""
    refs = {contract.versions[0].ref, version.ref}
    if contract.termination_ref is not None:
        refs.add(contract.termination_ref)
    for outage in history.outages:
        if _touches(outage, start, end, query_time):
            refs.update(outage.refs)
    used = {m for piece in figures.excluded for m in piece.maintenance_ids}
    for window in history.maintenance:
        if window.maintenance_id in used:
            refs.update(window.refs)
    return sorted(refs, key=lambda ref: ref.position)
