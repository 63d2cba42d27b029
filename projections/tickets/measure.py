"""A ticket's SLA clock as known at a moment: the clock's rules strung together.

`measure_ticket` folds a ticket's steps under the contract version in force when it opened and
returns a `TicketClock`: each committed metric measured, the ticket's state, the timeline that
explains the counted seconds, and the events it rests on. Reports, listings, credits and the
read-model table are all made from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from ledger.events import EventRef
from ledger.state import TermsVersion
from ledger.terms import SupportTerms
from ledger.ticket_state import TicketCondition, TicketState, ticket_conditions
from ledger.timevalues import floor_to_second
from projections.evidence import cite
from projections.history import History
from projections.tickets.clock import (
    METRICS,
    HoursFor,
    Lifecycle,
    Step,
    clock_stretches,
    hours_for,
    known_steps,
    lifecycle,
)
from projections.tickets.rules import (
    MetricClock,
    Reading,
    State,
    from_change_clock,
    metric_clock,
    retroactive_clock,
    ticket_state,
)
from projections.tickets.timeline import Piece, ticket_timeline

__all__ = ["PriorityPeriod", "TicketClock", "clock_for_ticket", "measure_ticket"]


@dataclass(frozen=True, slots=True)
class PriorityPeriod:
    """The ticket had `priority` from `from_at` (Unix seconds) on, set by event `event_id`."""

    priority: str
    from_at: int
    event_id: str


@dataclass(frozen=True)
class TicketClock:
    """A ticket's SLA clock at `query_time`.

    Attributes:
        ticket_id, account_id, opened_at: the ticket (`opened_at` in UTC).
        priority, priority_history: its priority now, and since when each one held.
        change_rule: the contract's priority-change rule (None: no support terms known).
        version: the contract version measuring it (in force when it opened).
        state, lifecycle: breached/met/open/paused/no_target; open, paused or resolved.
        metrics: each committed metric measured; the first one (resolution when measured, else
            response) governs the report's headline figures and `timeline`.
        timeline: the governing metric's life in pieces, counted or not and why.
        evidence: the ticket's known steps and the contract version.
        query_time, as_of, as_of_position: the moment it was measured for.
    """

    ticket_id: str
    account_id: str
    opened_at: datetime
    priority: str
    priority_history: tuple[PriorityPeriod, ...]
    change_rule: Literal["retroactive", "from_change"] | None
    version: TermsVersion | None
    state: State
    lifecycle: Lifecycle
    metrics: tuple[MetricClock, ...]
    timeline: tuple[Piece, ...]
    evidence: tuple[EventRef, ...]
    query_time: datetime
    as_of: datetime | None
    as_of_position: int | None

    @property
    def governing(self) -> MetricClock | None:
        return self.metrics[0] if self.metrics else None

    @property
    def committed(self) -> bool:
        return any(metric.target is not None for metric in self.metrics)


def measure_ticket(
    ticket: TicketState,
    version: TermsVersion | None,
    query_time: datetime,
    *,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
) -> TicketClock:
    """The ticket's SLA clock at `query_time`.

    `version` is the contract version in force when the ticket opened (None: no terms are known,
    nothing is committed). `as_of` / `as_of_position` only say which knowledge the caller read
    the ticket from.
    """
    steps = known_steps(ticket, query_time)
    now = max(floor_to_second(query_time), steps[0].at)
    support = version.terms.support if version is not None else None
    conditions = ticket_conditions(steps)
    condition = conditions[-1]
    metrics: list[MetricClock] = []
    timeline: list[Piece] = []
    if support is not None:
        hours = hours_for(support)
        readings = _readings(steps, conditions, support, hours, now)
        metrics = [metric_clock(reading, hours, now) for reading in readings]
        timeline = ticket_timeline(readings[0], hours) if readings else []
    return TicketClock(
        ticket_id=ticket.ticket_id,
        account_id=ticket.account_id,
        opened_at=ticket.opened_at.astimezone(UTC),
        priority=condition.priority,
        priority_history=_priority_history(steps),
        change_rule=support.priority_change if support is not None else None,
        version=version,
        state=ticket_state([metric.state for metric in metrics], lifecycle(condition)),
        lifecycle=lifecycle(condition),
        metrics=tuple(metrics),
        timeline=tuple(timeline),
        evidence=tuple(cite([step.ref for step in steps], [version.ref if version else None])),
        query_time=query_time.astimezone(UTC),
        as_of=as_of.astimezone(UTC) if as_of is not None else None,
        as_of_position=as_of_position,
    )


def _readings(
    steps: list[Step],
    conditions: list[TicketCondition],
    support: SupportTerms,
    hours: HoursFor,
    now: int,
) -> list[Reading]:
    readings = []
    for metric in METRICS:
        stretches = clock_stretches(steps, conditions, metric, now)
        if support.priority_change == "retroactive":
            reading = retroactive_clock(metric, stretches, steps, support, hours)
        else:
            reading = from_change_clock(metric, stretches, support, hours)
        if reading is not None:
            readings.append(reading)
    return readings


def _priority_history(steps: list[Step]) -> tuple[PriorityPeriod, ...]:
    return tuple(
        PriorityPeriod(step.priority, step.at, step.ref.event_id if step.ref else "")
        for step in steps
        if step.priority is not None and step.type in ("ticket.opened", "ticket.priority_changed")
    )


def clock_for_ticket(
    history: History,
    ticket_id: str,
    query_time: datetime,
    *,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
) -> TicketClock:
    """The clock of a ticket in `history`, measured under the contract version in force when it
    opened (rule `ticket_terms_at_opening`)."""
    ticket = history.tickets[ticket_id]
    contract = history.contracts.get(ticket.account_id)
    version = contract.version_at(ticket.opened_at) if contract is not None else None
    return measure_ticket(ticket, version, query_time, as_of=as_of, as_of_position=as_of_position)
