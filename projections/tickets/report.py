"""The ticket report: the JSON shape of a ticket's clock, made from a `TicketClock`."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Literal

from ledger.events import EventRef
from ledger.receipts import Receipt
from ledger.timevalues import from_seconds
from projections.models import ReportModel
from projections.tickets.clock import Lifecycle, Metric
from projections.tickets.measure import TicketClock
from projections.tickets.rules import MetricClock, State

__all__ = [
    "ContractVersionRef",
    "PriorityPeriod",
    "TargetClock",
    "TicketReport",
    "TimelineStretch",
    "ticket_report",
]

Reason = Literal["open", "closed", "holiday", "paused", "stopped", "no_target"]
ChangeRule = Literal["retroactive", "from_change"]


class PriorityPeriod(ReportModel):
    """The ticket had `priority` from `from_at` on (set by event `event_id`)."""

    priority: str
    from_at: datetime
    event_id: str


class ContractVersionRef(ReportModel):
    """The contract version whose support terms measure the ticket."""

    effective_from: datetime
    event_id: str


class TimelineStretch(ReportModel):
    """A piece of the ticket's life and whether it counted against the target."""

    start: datetime
    end: datetime
    seconds: int
    counted: bool
    reason: Reason
    priority: str
    calendar: str | None


class TargetClock(ReportModel):
    """One committed metric: its target, the time used, and when it is due, met or breached."""

    metric: Metric
    state: State
    running: bool  # the clock runs at the query time (not paused, answered or resolved)
    calendar: str | None
    calendar_timezone: str | None
    target_seconds: int | None
    business_seconds_used: int
    remaining_seconds: int | None
    due_at: datetime | None
    breached_at: datetime | None
    met_at: datetime | None
    used_fraction: str
    breach_note: str | None
    breach_known_at: datetime | None = None  # a retroactive breach: when it became known


class TicketReport(ReportModel):
    """A ticket's SLA clock as known at `query_time`, with the events it rests on."""

    ticket_id: str
    account_id: str
    opened_at: datetime
    priority: str
    priority_history: list[PriorityPeriod]
    priority_change_rule: ChangeRule | None
    contract_version: ContractVersionRef | None
    state: State
    lifecycle: Lifecycle
    committed: bool
    metric: Metric | None
    calendar: str | None
    calendar_timezone: str | None
    target_seconds: int | None
    business_seconds_used: int | None
    remaining_seconds: int | None
    due_at: datetime | None
    breached_at: datetime | None
    met_at: datetime | None
    used_fraction: str | None
    breach_note: str | None
    breach_known_at: datetime | None = None
    targets: list[TargetClock]
    timeline: list[TimelineStretch]
    evidence: list[EventRef]
    query_time: datetime
    as_of: datetime | None
    as_of_position: int | None
    receipt: Receipt | None = None  # the proof (ledger.receipts), added by the CLI and API


def ticket_report(clock: TicketClock) -> TicketReport:
    """The report of a measured ticket (the JSON shape of `sla-ledger ticket --json`)."""
    targets = [_target_clock(metric) for metric in clock.metrics]
    governing = targets[0] if targets else None
    version = clock.version
    return TicketReport(
        ticket_id=clock.ticket_id,
        account_id=clock.account_id,
        opened_at=clock.opened_at,
        priority=clock.priority,
        priority_history=[
            PriorityPeriod(
                priority=p.priority, from_at=from_seconds(p.from_at), event_id=p.event_id
            )
            for p in clock.priority_history
        ],
        priority_change_rule=clock.change_rule,
        contract_version=None
        if version is None
        else ContractVersionRef(
            effective_from=version.effective_from.astimezone(UTC), event_id=version.event_id
        ),
        state=clock.state,
        lifecycle=clock.lifecycle,
        committed=clock.committed,
        **{name: getattr(governing, name) if governing else None for name in _GOVERNING_FIELDS},
        targets=targets,
        timeline=[
            TimelineStretch(
                start=from_seconds(piece.start),
                end=from_seconds(piece.end),
                seconds=piece.end - piece.start,
                counted=piece.counted,
                reason=piece.reason,
                priority=piece.priority,
                calendar=piece.calendar,
            )
            for piece in clock.timeline
        ],
        evidence=list(clock.evidence),
        query_time=clock.query_time,
        as_of=clock.as_of,
        as_of_position=clock.as_of_position,
    )


_GOVERNING_FIELDS = tuple(
    name for name in TargetClock.model_fields if name not in ("state", "running")
)


def _target_clock(metric: MetricClock) -> TargetClock:
    target = metric.target
    return TargetClock(
        metric=metric.metric,
        state=metric.state,
        running=metric.running,
        calendar=target.calendar if target is not None else None,
        calendar_timezone=metric.calendar_timezone,
        target_seconds=target.seconds if target is not None else None,
        business_seconds_used=metric.used_seconds,
        remaining_seconds=metric.remaining_seconds,
        due_at=_utc_or_none(metric.due_at),
        breached_at=_utc_or_none(metric.breached_at),
        met_at=_utc_or_none(metric.met_at),
        used_fraction=_fraction_text(metric.used_fraction),
        breach_note=metric.breach_note,
        breach_known_at=_utc_or_none(metric.breach_known_at),
    )


def _utc_or_none(instant: int | None) -> datetime | None:
    return None if instant is None else from_seconds(instant)


def _fraction_text(fraction: Fraction) -> str:
    """Four decimals, rounded down (exactly: no binary or decimal rounding on the way)."""
    ten_thousandths = fraction.numerator * 10_000 // fraction.denominator
    return f"{ten_thousandths // 10_000}.{ten_thousandths % 10_000:04d}"
