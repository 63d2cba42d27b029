"""The support-ticket SLA's rules over a measured clock: priority changes, due time, states.

- `retroactive_clock` / `from_change_clock`: the two priority-change rules (which metrics are
  measured, under which target and calendar).
- `due_instant`, `metric_state`, `met_instant`, `ticket_state`, `next_due`: due time and states.
(`tickets.timeline` explains the counted seconds.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from ledger.terms import SupportTerms, Target
from ledger.timevalues import duration_text, format_seconds
from projections.tickets.clock import (
    ClockStretch,
    HoursFor,
    Lifecycle,
    Metric,
    Step,
    Tally,
    TargetFor,
    seconds_left,
    tally_clock,
)

__all__ = [
    "MetricClock",
    "Reading",
    "State",
    "due_instant",
    "from_change_clock",
    "met_instant",
    "metric_clock",
    "metric_state",
    "metric_targets",
    "next_due",
    "priority_set_at",
    "remaining_seconds",
    "retroactive_clock",
    "ticket_state",
]

State = Literal["open", "paused", "met", "breached", "no_target"]


@dataclass(frozen=True)
class Reading:
    """One metric measured under the contract's priority-change rule."""

    metric: Metric
    stretches: list[ClockStretch]
    target_for: TargetFor
    target: Target | None  # under the current priority
    tally: Tally
    breached_at: int | None
    breach_note: str | None
    breach_known_at: int | None = None  # when a retroactive breach became known, if later


def metric_targets(support: SupportTerms, priority: str) -> dict[Metric, Target]:
    """The targets `priority` commits to, by metric (none for an unknown priority)."""
    terms = support.priorities.get(priority)
    return {target.metric: target for target in terms.targets} if terms else {}


def retroactive_clock(
    metric: Metric,
    stretches: list[ClockStretch],
    steps: list[Step],
    support: SupportTerms,
    hours: HoursFor,
) -> Reading | None:
    """Rule `priority_change_retroactive`: measure the ticket under its current priority only.

    The current priority's target and calendar apply from the opening, as if the ticket had
    always had that priority; a priority without a target for `metric` leaves it uncommitted.
    An upgrade can find the target already used up: the breach is dated at the instant the
    recomputed clock ran out (valid time), and `breach_known_at` is the priority change that made
    it known, when that came later; `breach_note` says so. As of before the change (or with a
    query time before it) the old measurement stands.
    """
    current = stretches[-1].priority
    target = metric_targets(support, current).get(metric)
    if target is None:
        return None

    def target_for(priority: str) -> Target | None:
        return target

    tally = tally_clock(stretches, target_for, hours)
    changed_at, previous = priority_set_at(steps)
    if tally.exhausted_at is None:
        return Reading(metric, stretches, target_for, target, tally, None, None)
    breached_at = tally.exhausted_at
    if changed_at <= breached_at:
        return Reading(metric, stretches, target_for, target, tally, breached_at, None)
    calendar = hours(target.calendar)
    used_then = sum(
        calendar.open_seconds(s.start, min(s.end, changed_at))
        for s in stretches
        if s.status == "running"
    )
    note = (
        f"priority changed from {previous} to {current} at {format_seconds(changed_at)}: "
        f"{duration_text(used_then)} already used under its {duration_text(target.seconds)} "
        f"target; breached at {format_seconds(breached_at)}, when the clock under {current} ran "
        "out, known since the change"
    )
    return Reading(metric, stretches, target_for, target, tally, breached_at, note, changed_at)


def from_change_clock(
    metric: Metric, stretches: list[ClockStretch], support: SupportTerms, hours: HoursFor
) -> Reading | None:
    """Rule `priority_change_from_change`: each stretch counts under the priority in force.

    Time is counted on that priority's calendar against that priority's target, and the used
    fraction is Σ (seconds used under p / target of p); priorities without a target for `metric`
    add nothing. The target is breached when the fraction reaches 1 while the clock runs. What is
    left is (1 - fraction) x the current priority's target, on the current priority's calendar.
    The metric is measured if any priority the ticket has had so far has a target for it, so a
    breach stays a breach after a downgrade to a priority without one.
    """
    if all(metric_targets(support, s.priority).get(metric) is None for s in stretches):
        return None

    def target_for(priority: str) -> Target | None:
        return metric_targets(support, priority).get(metric)

    tally = tally_clock(stretches, target_for, hours)
    current = target_for(stretches[-1].priority)
    return Reading(metric, stretches, target_for, current, tally, tally.exhausted_at, None)


def priority_set_at(steps: list[Step]) -> tuple[int, str]:
    """When the current priority was set (the opening if never changed), and the one before."""
    changed_at, previous, current = steps[0].at, steps[0].priority or "", steps[0].priority or ""
    for step in steps:
        if step.type == "ticket.priority_changed" and step.priority is not None:
            changed_at, previous, current = step.at, current, step.priority
    return changed_at, previous


def remaining_seconds(reading: Reading) -> int | None:
    """Open seconds left under the current priority's target (none without one)."""
    if reading.target is None:
        return None
    return seconds_left(reading.tally.fraction, reading.target.seconds)


def due_instant(reading: Reading, hours: HoursFor, now: int) -> int | None:
    """Rule `due_at`: the instant the target runs out if nothing pauses or stops the clock.

    A breached target was due when it ran out. A running clock is due `remaining` open seconds
    after `now` on the current priority's calendar (the same instant as adding, to the last step
    that started it, what was left then); with nothing left (it ran out at closing time and is
    breached when the calendar opens) it was due when it ran out. A paused or stopped clock has
    no due instant.
    """
    if reading.tally.exhausted_at is not None:
        return reading.tally.ran_out_at
    last = reading.stretches[-1]
    left = remaining_seconds(reading)
    if reading.target is None or left is None or last.status != "running":
        return None
    if left == 0 and reading.tally.ran_out_at is not None:
        return reading.tally.ran_out_at
    return hours(reading.target.calendar).add_open_seconds(now, left)


def metric_state(reading: Reading) -> State:
    """Rule `metric_state`: breached, no target now, met (stopped for good), paused or open.

    A breach is final. Otherwise a metric whose current priority has no target is `no_target`;
    one whose clock stopped for good is `met` (resolution: the ticket is resolved now; response:
    it was answered); one whose clock is paused is `paused`; the rest are `open`.
    """
    if reading.breached_at is not None:
        return "breached"
    if reading.target is None:
        return "no_target"
    status = reading.stretches[-1].status
    return "met" if status == "stopped" else "paused" if status == "paused" else "open"


def met_instant(reading: Reading) -> int | None:
    """When a met metric's clock stopped for good (the start of its final stopped stretch)."""
    if metric_state(reading) != "met":
        return None
    stopped_at = reading.stretches[-1].start
    for stretch in reversed(reading.stretches):
        if stretch.status != "stopped":
            break
        stopped_at = stretch.start
    return stopped_at


def ticket_state(states: list[State], lifecycle: Lifecycle) -> State:
    """Rule `ticket_state`: the ticket's state from its metrics' states.

    Breached if any metric is breached; `no_target` if no metric has a target under the current
    priority; met if every metric with one is met; paused if the ticket is paused; else open.
    """
    if "breached" in states:
        return "breached"
    live = [state for state in states if state != "no_target"]
    if not live:
        return "no_target"
    if all(state == "met" for state in live):
        return "met"
    return "paused" if lifecycle == "paused" else "open"


@dataclass(frozen=True)
class MetricClock:
    """One committed metric as measured at the query time.

    Attributes:
        metric: response or resolution; `state`: breached, no_target, met, paused or open.
        running: the clock runs at the query time (not paused, answered or resolved).
        target: the current priority's target (None: nothing committed now).
        calendar_timezone: the zone of the target's calendar.
        used_seconds, used_fraction: business time counted, and the share of the target(s)
            it used (under `from_change`, summed over the priorities the ticket had).
        remaining_seconds, due_at, breached_at, met_at: Unix seconds (None where none applies).
        breach_note: why a breach is dated as it is, when that needs saying.
        breach_known_at: when a breach dated in the past became known (a priority change).
    """

    metric: Metric
    state: State
    running: bool
    target: Target | None
    calendar_timezone: str | None
    used_seconds: int
    used_fraction: Fraction
    remaining_seconds: int | None
    due_at: int | None
    breached_at: int | None
    met_at: int | None
    breach_note: str | None
    breach_known_at: int | None = None


def metric_clock(reading: Reading, hours: HoursFor, now: int) -> MetricClock:
    """The measured metric: its state, due, breach and met instants."""
    target = reading.target
    return MetricClock(
        metric=reading.metric,
        state=metric_state(reading),
        running=reading.stretches[-1].status == "running",
        target=target,
        calendar_timezone=hours(target.calendar).calendar.timezone if target else None,
        used_seconds=reading.tally.used,
        used_fraction=reading.tally.fraction,
        remaining_seconds=remaining_seconds(reading),
        due_at=due_instant(reading, hours, now),
        breached_at=reading.breached_at,
        met_at=met_instant(reading),
        breach_note=reading.breach_note,
        breach_known_at=reading.breach_known_at,
    )


def next_due(metrics: Sequence[MetricClock]) -> int | None:
    """Rule `at_risk_due`: a ticket is due when the first of its running targets runs out
    (a response due before the resolution puts the ticket at risk first)."""
    running = [m.due_at for m in metrics if m.running and m.due_at is not None]
    return min(running, default=None)
