"""The availability rules of the cloud video SLA, each a pure function over whole seconds.

In the order a month is measured (`projections.availability.month` strings them together):
1. `governing_version`: the contract version in force at the start of the month.
2. `subscribed_period`: only time the account was subscribed counts.
3. `in_seconds`, `countable`: the account's outages (service-wide ones and its own); an open
   outage counts up to the query's time; a retracted one counts nothing; a corrected one counts
   its latest times.
4. `exclusion_spans`: the maintenance windows that are not unavailability.
5. `classify_downtime`: merge overlapping or touching outages into continuous periods, cut the
   excluded maintenance out, apply the minimum-duration threshold (before or after the cut).
6. `month_figures`: only then split at the month's boundaries.
7. `availability_percent`: (period - unavailable) / period * 100, compared with the target
   exactly, shown with 4 decimals rounded down.
Every second of merged outage time in the period is exactly one of: excluded, counted, ignored.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from ledger.money import HUNDRED, percent_text
from ledger.state import ContractState, MaintenanceState, OutageState, TermsVersion
from ledger.terms import AvailabilityTerms
from ledger.timevalues import Month, contract_zone, floor_to_second
from projections.intervals import Interval, merge_labelled, subtract

__all__ = [
    "Downtime",
    "MonthFigures",
    "OutageSpan",
    "Piece",
    "availability_percent",
    "classify_downtime",
    "countable",
    "exclusion_spans",
    "governing_version",
    "in_seconds",
    "month_figures",
    "provisional",
    "subscribed_period",
]


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


def governing_version(contract: ContractState, month: Month) -> TermsVersion:
    """Rule `governing_terms`: a month is measured under the terms in force at its start.

    If the subscription starts during the month, the terms it starts with govern that month.
    """
    zone = contract_zone(contract.timezone)
    start, _ = month.bounds(zone)
    return contract.version_or_first(max(start, contract.starts_at))


def subscribed_period(
    contract: ContractState, start: datetime, end: datetime
) -> tuple[datetime, datetime] | None:
    """Rule `subscribed_time_only`: [start, end) cut to the subscription (signing to its end).
    A period shorter than one whole second (`whole_seconds`) measures nothing."""
    period_start = max(start, contract.starts_at)
    period_end = min(end, contract.terminated_at) if contract.terminated_at else end
    if floor_to_second(period_start) >= floor_to_second(period_end):
        return None
    return period_start, period_end


def in_seconds(
    records: Iterable[OutageState], query_time: datetime
) -> list[tuple[int, int, OutageState]]:
    """Rule `open_outage_until_query_time`: every outage in whole seconds, with itself; one with
    no end yet runs up to the query's time. A corrected one has its latest corrected times (the
    state keeps only those)."""
    until = floor_to_second(query_time)
    return [(r.start_s, until if r.end_s is None else r.end_s, r) for r in records]


def countable(spans: list[tuple[int, int, OutageState]]) -> list[OutageSpan]:
    """Of the outages in whole seconds, those that count: a retracted one counts nothing."""
    return [OutageSpan(s, e, r.outage_id) for s, e, r in spans if not r.retracted and e > s]


def exclusion_spans(
    records: Iterable[MaintenanceState], rules: AvailabilityTerms
) -> list[tuple[int, int, str]]:
    """Rule `excluded_maintenance`: windows of the excluded kinds, unless cancelled. With
    `maintenance_excluded_from: "declaration"`, a window declared after it began (the classic
    emergency-maintenance dispute) is excluded only from its declaration on."""
    spans = []
    for record in records:
        if record.cancelled or record.kind not in rules.excluded_maintenance_kinds:
            continue
        start = record.start
        if rules.maintenance_excluded_from == "declaration":
            start = max(start, record.declared_at)
        if start < record.end:
            spans.append(
                (floor_to_second(start), floor_to_second(record.end), record.maintenance_id)
            )
    return spans


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
        remaining = [(start, end)]
        if windows:
            inside = _overlapping(windows, window_starts, start, end)
            if inside:
                excluded += [Piece(a, b, ids, (start, end), labels) for a, b, labels in inside]
                remaining = subtract(remaining, [(a, b) for a, b, _ in inside])
        for a, b in remaining:
            reason = _threshold_failure(rules, end - start, b - a)
            if reason:
                ignored.append(Piece(a, b, ids, (start, end), reason=reason))
            else:
                counted.append(Piece(a, b, ids, (start, end)))
    return Downtime(counted, ignored, excluded)


def _overlapping(
    windows: list[tuple[int, int, tuple[str, ...]]], starts: list[int], start: int, end: int
) -> list[tuple[int, int, tuple[str, ...]]]:
    found = []
    for index in range(max(bisect.bisect_right(starts, start) - 1, 0), len(windows)):
        window_start, window_end, labels = windows[index]
        if window_start >= end:
            break
        if window_end > start:
            found.append((max(window_start, start), min(window_end, end), labels))
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
    return MonthFigures(
        _cut(downtime.counted, start, end),
        _cut(downtime.ignored, start, end),
        _cut(downtime.excluded, start, end),
    )


def _cut(pieces: list[Piece], start: int, end: int) -> list[Piece]:
    """The pieces (sorted, disjoint) that overlap [start, end), clipped to it."""
    kept = []
    first = bisect.bisect_right(pieces, start, key=lambda piece: piece.end)
    for piece in pieces[first:]:
        if piece.start >= end:
            break
        if piece.start >= start and piece.end <= end:
            kept.append(piece)
        else:
            kept.append(replace(piece, start=max(piece.start, start), end=min(piece.end, end)))
    return kept


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


def provisional(end: datetime, query_time: datetime) -> bool:
    """Rule `provisional`: a month (or a term) whose end is after the query time is provisional -
    in progress or still to come, its figures count up to the query time and may still change.
    Reports say so (and carry `provisional` in JSON) so no one hands over a future month's
    100 % as met."""
    return end > query_time
