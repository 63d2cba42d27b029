"""The support-ticket clock: when each metric's clock runs, and how much of its target it used.

Pure code over whole Unix seconds; business time is counted with the compiled calendars of
`ledger.calendars`, interval by interval, never second by second. The rules, each a function:

- `known_steps`: steps after the query time have not happened yet and are ignored.
- `clock_stretches`: when each metric's clock runs, is paused or stopped (the ticket step
  machine is `ledger.state.TicketCondition`, the write side's too).
- `tally_clock`, `seconds_left`, `exhaustion_instant`: time used and the instant a target runs
  out (the breach instant).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Literal, NamedTuple

from ledger.calendars import OpeningHours, opening_hours
from ledger.events import EventRef
from ledger.terms import SupportTerms, Target
from ledger.ticket_state import TicketCondition, TicketState
from ledger.timevalues import floor_to_second

__all__ = [
    "METRICS",
    "ClockStretch",
    "HoursFor",
    "Lifecycle",
    "Metric",
    "Step",
    "Tally",
    "TargetFor",
    "clock_status",
    "clock_stretches",
    "exhaustion_instant",
    "hours_for",
    "known_steps",
    "lifecycle",
    "seconds_left",
    "tally_clock",
]

Metric = Literal["response", "resolution"]
METRICS: tuple[Metric, ...] = ("resolution", "response")  # the first one present governs
ClockStatus = Literal["running", "paused", "stopped"]
Lifecycle = Literal["open", "paused", "resolved"]


class Step(NamedTuple):
    """A ticket step with its instant in whole Unix seconds."""

    at: int
    type: str
    priority: str | None
    ref: EventRef | None  # None only for steps that were never stored


def known_steps(ticket: TicketState, query_time: datetime) -> list[Step]:
    """The ticket's steps in clock order, without those after `query_time`.

    Rule `future_steps_ignored`: a step whose time is after the query time has not happened yet
    as of the query. The opening is always kept (a ticket queried before it opened has used
    nothing), so the list is never empty.
    """
    return [
        Step(floor_to_second(step.at), step.type, step.priority, step.ref)
        for step in ticket.ordered_steps()
        if step.at <= query_time or step.type == "ticket.opened"
    ]


def clock_status(condition: TicketCondition, metric: Metric) -> ClockStatus:
    """Whether `metric`'s clock runs after a step: stopped for good once the metric is reached
    (resolution: resolved; response: answered), else paused or running."""
    if condition.resolved if metric == "resolution" else condition.answered:
        return "stopped"
    return "paused" if condition.paused else "running"


def lifecycle(condition: TicketCondition) -> Lifecycle:
    return "resolved" if condition.resolved else "paused" if condition.paused else "open"


class ClockStretch(NamedTuple):
    """Wall-clock time between two steps (the last one runs to the query time)."""

    start: int
    end: int
    priority: str
    status: ClockStatus
    until_now: bool


def clock_stretches(
    steps: list[Step], conditions: list[TicketCondition], metric: Metric, now: int
) -> list[ClockStretch]:
    """Cut the ticket's life, from its opening to `now`, at each step; say how `metric` runs.

    Rule `clock_runs`: `ticket.paused` stops both clocks until `ticket.resumed`. The resolution
    clock stops at `ticket.resolved` and runs again from `ticket.reopened`, adding to the time
    already used. The response clock stops for good at the first `ticket.responded`; rule
    `resolution_answers`: a resolution before any response stops it too (reopening does not
    restart it). Steps at one instant apply in `same_instant_order`; empty stretches between them
    are dropped, but the last stretch is kept even when empty, because the clock may be running
    at `now` itself.
    """
    stretches = []
    last = len(steps) - 1
    for index, (step, condition) in enumerate(zip(steps, conditions, strict=True)):
        end = now if index == last else steps[index + 1].at
        if end > step.at or index == last:
            status = clock_status(condition, metric)
            stretches.append(ClockStretch(step.at, end, condition.priority, status, index == last))
    return stretches


TargetFor = Callable[[str], Target | None]
HoursFor = Callable[[str], OpeningHours]


@dataclass(frozen=True)
class Tally:
    """A metric's clock added up to the query time."""

    used: int  # open seconds counted, summed over the priorities that had a target
    fraction: Fraction  # Σ used under a priority / that priority's target
    exhausted_at: int | None  # the first instant the clock ran with nothing left
    ran_out_at: int | None  # when the last open second was used (closing time, say)


def seconds_left(fraction: Fraction, target_seconds: int) -> int:
    """Open seconds still to use under `target_seconds` once `fraction` is used (rounded up).

    Rule `whole_seconds_left`: under `from_change` the fraction left may not be a whole number
    of seconds; the clock runs out at the first whole second at which the fraction reaches 1.
    """
    used, whole = fraction.numerator, fraction.denominator
    return max(0, -((used - whole) * target_seconds // whole))  # ceil, in integers


def exhaustion_instant(stretch: ClockStretch, hours: OpeningHours, ran_out: int) -> int | None:
    """The instant inside a running stretch at which its clock runs with nothing left, if any,
    given the instant `ran_out` at which the stretch used the target's last open second.

    Rule `breach_instant`: a target is breached at the first instant at which its clock is
    running with nothing left. A step that stops the clock at that very instant (resolved,
    paused, responded) comes first, so a ticket resolved exactly at its due instant meets it.
    A target used up exactly at closing time is breached when the calendar next opens: a
    ticket resolved in the evening of its due day meets it.
    """
    breached = hours.next_open_instant(ran_out)
    if breached < stretch.end or (stretch.until_now and breached == stretch.end):
        return breached
    return None


def tally_clock(stretches: Iterable[ClockStretch], target_for: TargetFor, hours: HoursFor) -> Tally:
    """Add up the running stretches, each under the target `target_for` its priority gives.

    A stretch whose priority has no target for the metric counts nothing. The target runs out
    in the stretch that uses its last open second (`ran_out_at`), and is breached in the first
    stretch that runs on from there (`exhausted_at`, rule `breach_instant`).
    """
    used, fraction, ran_out_at, exhausted_at = 0, Fraction(0), None, None
    for stretch in stretches:
        target = target_for(stretch.priority)
        if stretch.status != "running" or target is None:
            continue
        calendar = hours(target.calendar)
        counted = calendar.open_seconds(stretch.start, stretch.end)
        left = seconds_left(fraction, target.seconds) if exhausted_at is None else 0
        if exhausted_at is None and counted >= left:
            ran_out = calendar.add_open_seconds(stretch.start, left)
            ran_out_at = ran_out if ran_out_at is None else ran_out_at
            exhausted_at = exhaustion_instant(stretch, calendar, ran_out)
        if counted:
            used += counted
            fraction += Fraction(counted, target.seconds)
    return Tally(used, fraction, exhausted_at, ran_out_at)


def hours_for(support: SupportTerms) -> HoursFor:
    """The compiled calendars of `support`, by name, compiled once each."""
    compiled: dict[str, OpeningHours] = {}

    def hours(calendar: str) -> OpeningHours:
        found = compiled.get(calendar)
        if found is None:
            found = compiled[calendar] = opening_hours(support.calendars[calendar])
        return found

    return hours
