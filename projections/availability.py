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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict

from ledger.errors import InvalidQuery, NotFound
from ledger.money import HUNDRED, percent_text
from ledger.terms import AvailabilityTerms, ContractTerms
from ledger.timevalues import Month, contract_zone, floor_to_second, format_instant
from projections.history import (
    AccountHistory,
    ContractHistory,
    EventRef,
    MaintenanceRecord,
    OutageRecord,
    VersionRecord,
)
from projections.intervals import Interval, merge_labelled, subtract

__all__ = [
    "AvailabilityReport",
    "Breach",
    "BreachList",
    "Downtime",
    "availability_report",
    "breach_list",
    "classify_downtime",
    "document",
    "from_stored_form",
    "governing_version",
    "has_content",
    "monthly_facts",
    "stored_form",
]


Document = dict[str, Any]
"""A report as plain JSON-ready data (instants as ISO 8601 text), before pydantic validates it."""

Facts = dict[str, Any]
"""A month's report in compact form: instants as Unix seconds, short keys, evidence as EventRefs
(positions once stored). It is what the read-model table keeps; `document` expands it."""


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
    months: Iterable[Facts],
    month: Month,
    *,
    query_time: datetime,
    as_of: datetime | None,
    as_of_position: int,
) -> BreachList:
    """Rule `worst_first`: missed months sorted by availability, lowest first (exactly, not by the
    rounded display), then by account id."""
    missed = [f for f in months if not f["ok"]]
    missed.sort(key=lambda f: (Fraction(f["pb"][2] - f["f"][0], f["pb"][2]), f["a"]))
    return BreachList(
        month=str(month),
        query_time=query_time,
        as_of=as_of,
        as_of_position=as_of_position,
        breaches=[
            Breach(
                account_id=f["a"],
                availability_percent=f["p"],
                target_percent=f["t"],
                unavailable_seconds=f["f"][0],
                period_seconds=f["pb"][2],
                open_outages=[outage for outage, _ in f["o"]],
            )
            for f in missed
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
    """Rule `subscribed_time_only`: [start, end) cut to the subscription (signing to its end).
    A period shorter than one whole second (`whole_seconds`) measures nothing."""
    period_start = max(start, contract.starts_at)
    period_end = min(end, contract.terminated_at) if contract.terminated_at else end
    if floor_to_second(period_start) >= floor_to_second(period_end):
        return None
    return period_start, period_end


def outage_spans(records: Iterable[OutageRecord], query_time: datetime) -> list[OutageSpan]:
    """Rule `open_outage_until_query_time`: the outages that count, in whole seconds.

    An outage with no end yet runs up to the query's time; a retracted one counts nothing; a
    corrected one has its latest corrected times (the history keeps only those).
    """
    return _countable(_in_seconds(records, query_time))


def _countable(in_seconds: list[tuple[int, int, OutageRecord]]) -> list[OutageSpan]:
    return [OutageSpan(s, e, r.outage_id) for s, e, r in in_seconds if not r.retracted and e > s]


def _in_seconds(
    records: Iterable[OutageRecord], query_time: datetime
) -> list[tuple[int, int, OutageRecord]]:
    until = floor_to_second(query_time)
    return [(r.start_s, until if r.end_s is None else r.end_s, r) for r in records]


def exclusion_spans(
    records: Iterable[MaintenanceRecord], rules: AvailabilityTerms
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


class _OutagesByTime:
    """An account's outages as whole-second spans, to find those touching a period quickly."""

    def __init__(self, in_seconds: list[tuple[int, int, OutageRecord]]) -> None:
        spans = sorted(in_seconds, key=lambda span: span[0])
        self.spans = spans
        self.starts = [span[0] for span in spans]

    def touching(self, start: int, end: int) -> list[OutageRecord]:
        """Outages whose interval touches [start, end] (boundaries included)."""
        last = bisect.bisect_right(self.starts, end)
        return [outage for _, outage_end, outage in self.spans[:last] if outage_end >= start]


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
    facts = monthly_facts(
        history,
        [month],
        query_time=query_time,
        as_of=as_of,
        as_of_position=as_of_position,
        terms=terms,
    )
    if month not in facts:
        raise InvalidQuery(f"{history.account_id!r} was not subscribed in {month}")
    return AvailabilityReport.model_validate(document(facts[month]))


def monthly_facts(
    history: AccountHistory,
    months: Iterable[Month],
    *,
    query_time: datetime,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
    terms: ContractTerms | None = None,
) -> dict[Month, Facts]:
    """The compact facts of several months of one account (see `Facts`); downtime is classified
    once per set of rules. Months in which the account was not subscribed, or had no
    availability terms, are left out. Rule `month_in_progress`: a month still in progress is
    measured over the whole month (downtime so far, none assumed after the query time).
    """
    contract = _contract_of(history)
    zone = contract_zone(contract.timezone)
    in_seconds = _in_seconds(history.outages, query_time)
    spans = _countable(in_seconds)
    by_time = _OutagesByTime(in_seconds)
    classified: dict[int, Downtime] = {}
    found: dict[Month, Facts] = {}
    for month in months:
        version = governing_version(contract, month)
        rules = (terms or version.version.terms).availability
        month_start, month_end = month.bounds(zone)
        period = subscribed_period(contract, month_start, month_end)
        if rules is None or period is None:
            continue
        if id(rules) not in classified:
            exclusions = exclusion_spans(history.maintenance, rules)
            classified[id(rules)] = classify_downtime(spans, exclusions, rules)
        context = _MonthContext(
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
            by_time,
        )
        found[month] = _month_facts(context, classified[id(rules)])
    return found


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
    by_time: _OutagesByTime


def _month_facts(ctx: _MonthContext, downtime: Downtime) -> Facts:
    start, end = floor_to_second(ctx.period[0]), floor_to_second(ctx.period[1])
    figures = month_figures(downtime, start, end)
    rules, history = ctx.rules, ctx.history
    touching = ctx.by_time.touching(start, end)
    percent, met = availability_percent(
        end - start, figures.unavailable_seconds, rules.target_percent
    )
    used = {m for piece in figures.excluded for m in piece.maintenance_ids}
    return {
        "a": history.account_id,
        "m": str(ctx.month),
        "z": ctx.contract.timezone,
        "mb": [instant_text(ctx.month_start), instant_text(ctx.month_end)],
        "pb": [instant_text(ctx.period[0]), instant_text(ctx.period[1]), end - start],
        "f": [
            figures.unavailable_seconds,
            sum(p.end - p.start for p in figures.excluded),
            sum(p.end - p.start for p in figures.ignored),
        ],
        "p": percent,
        "t": str(rules.target_percent),
        "ok": met,
        "r": [
            rules.threshold,
            rules.min_outage_seconds,
            list(rules.excluded_maintenance_kinds),
            rules.maintenance_excluded_from,
        ],
        "tv": [instant_text(ctx.version.version.effective_from), ctx.version.version.event_id],
        "u": [[p.start, p.end, list(p.outage_ids), *p.continuous] for p in figures.counted],
        "i": [[p.start, p.end, list(p.outage_ids), p.reason] for p in figures.ignored],
        "x": [
            [p.start, p.end, list(p.outage_ids), list(p.maintenance_ids)] for p in figures.excluded
        ],
        "mw": [_maintenance_ref(m) for m in history.maintenance if m.maintenance_id in used],
        "o": [
            [o.outage_id, instant_text(o.started_at)]
            for o in touching
            if o.ended_at is None and not o.retracted
        ],
        "rt": sorted(o.outage_id for o in touching if o.retracted),
        "q": instant_text(ctx.query_time),
        "ao": None if ctx.as_of is None else instant_text(ctx.as_of),
        "ap": ctx.as_of_position,
        "e": _evidence(history, ctx.contract, ctx.version, figures, touching),
    }


def document(facts: Facts) -> Document:
    """The report document (the JSON shape of `AvailabilityReport`) of a month's facts."""
    unavailable, excluded, ignored = facts["f"]
    threshold, minimum, kinds, *later = facts["r"]
    excluded_from = later[0] if later else "window_start"  # rows stored before the option
    maintenance = {m["maintenance_id"]: m for m in facts["mw"]}
    return {
        "account_id": facts["a"],
        "month": facts["m"],
        "timezone": facts["z"],
        "month_start": facts["mb"][0],
        "month_end": facts["mb"][1],
        "period_start": facts["pb"][0],
        "period_end": facts["pb"][1],
        "period_seconds": facts["pb"][2],
        "unavailable_seconds": unavailable,
        "excluded_seconds": excluded,
        "ignored_seconds": ignored,
        "availability_percent": facts["p"],
        "target_percent": facts["t"],
        "met": facts["ok"],
        "threshold": threshold,
        "min_outage_seconds": minimum,
        "excluded_maintenance_kinds": kinds,
        "maintenance_excluded_from": excluded_from,
        "terms": {"effective_from": facts["tv"][0], "event_id": facts["tv"][1]},
        "unavailable_periods": [
            {
                **_span(s, e),
                "outage_ids": ids,
                "continuous_start": _text(cs),
                "continuous_end": _text(ce),
                "continuous_seconds": ce - cs,
            }
            for s, e, ids, cs, ce in facts["u"]
        ],
        "ignored_periods": [
            {**_span(s, e), "outage_ids": ids, "reason": reason} for s, e, ids, reason in facts["i"]
        ],
        "excluded_periods": [
            {**_span(s, e), "outage_ids": ids, "maintenance": [maintenance[m] for m in windows]}
            for s, e, ids, windows in facts["x"]
        ],
        "open_outages": [
            {"outage_id": outage, "started_at": started, "counted_until": facts["q"]}
            for outage, started in facts["o"]
        ],
        "retracted_outages": facts["rt"],
        "query_time": facts["q"],
        "as_of": facts["ao"],
        "as_of_position": facts["ap"],
        "evidence": facts["e"],
    }


def has_content(facts: Facts) -> bool:
    """Whether anything touched the month (a month with no outage needs no stored row)."""
    return bool(facts["u"] or facts["i"] or facts["x"] or facts["o"] or facts["rt"])


def stored_form(facts: Facts) -> str:
    """The JSON kept in the read-model table: the compact facts, evidence as positions only."""
    compact = dict(facts, e=[ref.position for ref in facts["e"]], ao=None, ap=None)
    return orjson.dumps(compact).decode()


def from_stored_form(text: str, refs: Callable[[list[int]], dict[int, EventRef]]) -> Document:
    """The document of stored facts, evidence positions looked up again (`refs` reads the log)."""
    facts: Facts = orjson.loads(text)
    found = refs(facts["e"])
    facts["e"] = [found[position] for position in facts["e"]]
    return document(facts)


def instant_text(value: datetime) -> str:
    return format_instant(value)


@lru_cache(maxsize=1 << 17)
def _text(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _span(start: int, end: int) -> Document:
    return {"start": _text(start), "end": _text(end), "seconds": end - start}


def _maintenance_ref(record: MaintenanceRecord) -> Document:
    return {
        "maintenance_id": record.maintenance_id,
        "kind": record.kind,
        "start": instant_text(record.start),
        "end": instant_text(record.end),
        "declared_at": instant_text(record.declared_at),
        "declared_by": record.declared_by,
    }


def _evidence(
    history: AccountHistory,
    contract: ContractHistory,
    version: VersionRecord,
    figures: MonthFigures,
    touching: list[OutageRecord],
) -> list[EventRef]:
    """Rule `evidence`: the signing, the governing version, a termination if there is one, every
    event of every outage touching the period (counted, ignored, excluded or retracted), and every
    event of the maintenance windows that excluded time."""
    found = [contract.versions[0].ref, version.ref]
    if contract.termination_ref is not None:
        found.append(contract.termination_ref)
    for outage in touching:
        found += outage.refs
    used = {m for piece in figures.excluded for m in piece.maintenance_ids}
    for window in history.maintenance:
        if window.maintenance_id in used:
            found += window.refs
    by_position = {ref.position: ref for ref in found}  # an event cited twice is listed once
    return [by_position[position] for position in sorted(by_position)]
