"""Listings of tickets: an account's month by priority and state, and the at-risk board."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ledger.receipts import Receipt
from projections.models import ReportModel
from projections.tickets.clock import Metric
from projections.tickets.report import TicketReport
from projections.tickets.rules import State

__all__ = [
    "AtRisk",
    "AtRiskList",
    "PriorityCount",
    "TicketLine",
    "TicketMonth",
    "ticket_line",
    "ticket_month",
]


class TicketLine(ReportModel):
    """One ticket in a listing."""

    ticket_id: str
    priority: str
    state: State
    opened_at: datetime
    metric: Metric | None
    target_seconds: int | None
    business_seconds_used: int | None
    due_at: datetime | None
    breached_at: datetime | None


class PriorityCount(ReportModel):
    priority: str
    opened: int
    met: int
    breached: int
    open: int
    paused: int
    no_target: int


class TicketMonth(ReportModel):
    """The tickets an account opened in a month (in the contract's zone), by priority."""

    account_id: str
    month: str
    timezone: str
    by_priority: list[PriorityCount]
    tickets: list[TicketLine]
    query_time: datetime
    as_of: datetime | None
    as_of_position: int
    receipt: Receipt | None = None  # the proof (ledger.receipts), added by the CLI and API


def ticket_line(report: TicketReport) -> TicketLine:
    """A ticket's line in a listing, from its report (measured, or read from its row)."""
    return TicketLine(
        ticket_id=report.ticket_id,
        priority=report.priority,
        state=report.state,
        opened_at=report.opened_at,
        metric=report.metric,
        target_seconds=report.target_seconds,
        business_seconds_used=report.business_seconds_used,
        due_at=report.due_at,
        breached_at=report.breached_at,
    )


def ticket_month(
    account_id: str,
    month: str,
    timezone: str,
    lines: Iterable[TicketLine],
    *,
    query_time: datetime,
    as_of: datetime | None,
    as_of_position: int,
) -> TicketMonth:
    """Count the month's tickets per priority and state."""
    ordered = sorted(lines, key=lambda line: (line.opened_at, line.ticket_id))
    counts: dict[str, dict[str, int]] = {}
    for line in ordered:
        count = counts.setdefault(line.priority, dict.fromkeys(_STATES, 0))
        count[line.state] += 1
    return TicketMonth(
        account_id=account_id,
        month=month,
        timezone=timezone,
        by_priority=[
            PriorityCount(priority=priority, opened=sum(count.values()), **count)
            for priority, count in sorted(counts.items())
        ],
        tickets=ordered,
        query_time=query_time,
        as_of=as_of,
        as_of_position=as_of_position,
    )


_STATES = ("met", "breached", "open", "paused", "no_target")


class AtRisk(ReportModel):
    """An open ticket whose target runs out soon."""

    ticket_id: str
    account_id: str
    priority: str
    due_at: datetime
    seconds_left: int  # real seconds until due_at
    business_seconds_left: int | None = None  # of the target's calendar (None: no calendar)
    timezone: str | None = None  # the calendar's zone, for showing due_at in local time


class AtRiskList(ReportModel):
    """Open, running tickets due within the window, soonest first; and how many are overdue."""

    query_time: datetime
    within_seconds: int
    tickets: list[AtRisk]
    overdue: list[str]
