"""The support-ticket SLA clock: how much of its target a ticket used; when due, met or breached.

Pure code: a `TicketRecord` (the ticket's steps), the contract version in force when it opened and
the query time go in; a `TicketReport` comes out. Instants are handled as whole Unix seconds
(`floor_to_second`) and business time is counted with the compiled calendars of
`ledger.calendars`, interval by interval, never second by second.

The rules, each a function below:

- `known_steps`: steps after the query time have not happened yet and are ignored.
- `ticket_conditions`, `clock_stretches`: when each metric's clock runs, is paused or stopped.
- `retroactive_clock` / `from_change_clock`: the two priority-change rules (which metrics are
  measured, under which target and calendar).
- `tally_clock`, `seconds_left`, `exhaustion_instant`: time used and the instant a target runs
  out (the breach instant).
- `due_instant`, `metric_state`, `met_instant`, `ticket_state`: due time and states.
- `ticket_timeline`: the stretches that explain the counted seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from ledger.calendars import OpeningHours, opening_hours
from ledger.terms import SupportTerms, Target
from ledger.timevalues import floor_to_second, format_instant
from projections.history import EventRef, History, TicketRecord, VersionRecord

__all__ = [
    "AtRisk",
    "AtRiskList",
    "ClockStretch",
    "ContractVersionRef",
    "PriorityPeriod",
    "TargetClock",
    "TicketLine",
    "TicketMonth",
    "TicketReport",
    "TimelineStretch",
    "clock_stretches",
    "due_instant",
    "exhaustion_instant",
    "from_change_clock",
    "known_steps",
    "met_instant",
    "metric_state",
    "metric_targets",
    "report_for_ticket",
    "retroactive_clock",
    "seconds_left",
    "tally_clock",
    "ticket_conditions",
    "ticket_month",
    "ticket_report",
    "ticket_state",
    "ticket_timeline",
]

Metric = Literal["response", "resolution"]
METRICS: tuple[Metric, ...] = ("resolution", "response")  # the first one present governs
ClockStatus = Literal["running", "paused", "stopped"]
State = Literal["open", "paused", "met", "breached", "no_target"]
Lifecycle = Literal["open", "paused", "resolved"]
Reason = Literal["open", "closed", "holiday", "paused", "stopped", "no_target"]
ChangeRule = Literal["retroactive", "from_change"]


# --- Output models -------------------------------------------------------------------------------


class ReportModel(BaseModel):
    model_config = ConfigDict(frozen=True)


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
    targets: list[TargetClock]
    timeline: list[TimelineStretch]
    evidence: list[EventRef]
    query_time: datetime
    as_of: datetime | None
    as_of_position: int | None


# --- Steps and clock stretches -------------------------------------------------------------------


class Step(NamedTuple):
    """A ticket step with its instant in whole Unix seconds."""

    at: int
    type: str
    priority: str | None
    ref: EventRef


def known_steps(ticket: TicketRecord, query_time: datetime) -> list[Step]:
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


class Condition(NamedTuple):
    """What is true of a ticket after a step."""

    priority: str
    paused: bool = False
    resolved: bool = False
    answered: bool = False

    def after(self, step: Step) -> Condition:
        kind = step.type
        if kind == "ticket.priority_changed" and step.priority is not None:
            return Condition(step.priority, self.paused, self.resolved, self.answered)
        if kind in ("ticket.paused", "ticket.resumed"):
            return Condition(self.priority, kind == "ticket.paused", self.resolved, self.answered)
        if kind == "ticket.responded":
            return Condition(self.priority, self.paused, self.resolved, True)
        if kind == "ticket.resolved":  # resolving ends a pause (the write side's rule too)
            return Condition(self.priority, False, True, True)
        if kind == "ticket.reopened":
            return Condition(self.priority, self.paused, False, self.answered)
        return self

    def status(self, metric: Metric) -> ClockStatus:
        if self.resolved if metric == "resolution" else self.answered:
            return "stopped"
        return "paused" if self.paused else "running"

    @property
    def lifecycle(self) -> Lifecycle:
        return "resolved" if self.resolved else "paused" if self.paused else "open"


class ClockStretch(NamedTuple):
    """Wall-clock time between two steps (the last one runs to the query time)."""

    start: int
    end: int
    priority: str
    status: ClockStatus
    until_now: bool


def ticket_conditions(steps: list[Step]) -> list[Condition]:
    """What is true of the ticket after each step (its priority, paused, resolved, answered)."""
    condition = Condition(steps[0].priority or "")
    conditions = []
    for step in steps:
        condition = condition.after(step)
        conditions.append(condition)
    return conditions


def clock_stretches(
    steps: list[Step], conditions: list[Condition], metric: Metric, now: int
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
            status = condition.status(metric)
            stretches.append(ClockStretch(step.at, end, condition.priority, status, index == last))
    return stretches


# --- Measuring ----------------------------------------------------------------------------------

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
    An upgrade can breach at once: the breach is dated at the later of the instant the
    recomputed clock ran out and the priority change that set the current priority - even when
    the change comes after the ticket was resolved, and `breach_note` says so.
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
    breached_at = max(tally.exhausted_at, changed_at)
    note = None
    if breached_at > tally.exhausted_at:
        calendar = hours(target.calendar)
        used_then = sum(
            calendar.open_seconds(s.start, min(s.end, changed_at))
            for s in stretches
            if s.status == "running"
        )
        note = (
            f"priority changed from {previous} to {current} at {_text(changed_at)}: "
            f"{_duration(used_then)} already used under its {_duration(target.seconds)} "
            f"target, breached at once"
        )
    return Reading(metric, stretches, target_for, target, tally, breached_at, note)


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


def _hours_for(support: SupportTerms) -> HoursFor:
    compiled: dict[str, OpeningHours] = {}

    def hours(calendar: str) -> OpeningHours:
        found = compiled.get(calendar)
        if found is None:
            found = compiled[calendar] = opening_hours(support.calendars[calendar])
        return found

    return hours


# --- Due time and states -------------------------------------------------------------------------


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


# --- Timeline ------------------------------------------------------------------------------------


def ticket_timeline(reading: Reading, hours: HoursFor) -> list[TimelineStretch]:
    """The governing metric's stretches from the opening to its final stop (or the query time).

    Running time is cut at the calendar's openings: open pieces count, closed ones and holidays
    do not. Each piece names the priority in force then and the calendar it was counted on (under
    `retroactive`, the current priority's calendar throughout). Paused time, time while stopped
    (resolved, until reopened) and, under `from_change`, time under a priority without a target
    for the metric count nothing. Adjacent pieces alike are merged.
    """
    pieces: list[tuple[int, int, Reason, str, str | None]] = []
    for stretch in _without_final_stop(reading.stretches):
        target = reading.target_for(stretch.priority)
        if stretch.status != "running":
            pieces.append((stretch.start, stretch.end, stretch.status, stretch.priority, None))
        elif target is None:
            pieces.append((stretch.start, stretch.end, "no_target", stretch.priority, None))
        else:
            calendar = hours(target.calendar)
            for start, end, kind in calendar.partition(stretch.start, stretch.end):
                pieces.append((start, end, kind, stretch.priority, target.calendar))
    return [
        TimelineStretch(
            start=_utc(start),
            end=_utc(end),
            seconds=end - start,
            counted=reason == "open",
            reason=reason,
            priority=priority,
            calendar=calendar,
        )
        for start, end, reason, priority, calendar in _merged(pieces)
    ]


def _without_final_stop(stretches: list[ClockStretch]) -> list[ClockStretch]:
    kept = [s for s in stretches if s.end > s.start]
    while kept and kept[-1].status == "stopped":
        kept.pop()
    return kept


def _merged(
    pieces: list[tuple[int, int, Reason, str, str | None]],
) -> list[tuple[int, int, Reason, str, str | None]]:
    merged: list[tuple[int, int, Reason, str, str | None]] = []
    for piece in pieces:
        if merged and merged[-1][1] == piece[0] and merged[-1][2:] == piece[2:]:
            merged[-1] = (merged[-1][0], *piece[1:])
        else:
            merged.append(piece)
    return merged


# --- The report ----------------------------------------------------------------------------------


def ticket_report(
    ticket: TicketRecord,
    version: VersionRecord | None,
    query_time: datetime,
    *,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
) -> TicketReport:
    """The ticket's SLA clock at `query_time`.

    `version` is the contract version in force when the ticket opened (None: no terms are known,
    nothing is committed). `as_of` / `as_of_position` only say, in the report, which knowledge
    the caller read the ticket from. The governing metric (the report's top-level clock and its
    timeline) is resolution when it is measured, else response.
    """
    steps = known_steps(ticket, query_time)
    now = max(floor_to_second(query_time), steps[0].at)
    support = version.version.terms.support if version is not None else None
    conditions = ticket_conditions(steps)
    condition = conditions[-1]
    clocks: list[TargetClock] = []
    timeline: list[TimelineStretch] = []
    if support is not None:
        hours = _hours_for(support)
        readings = _readings(steps, conditions, support, hours, now)
        clocks = [_target_clock(reading, hours, now) for reading in readings]
        timeline = ticket_timeline(readings[0], hours) if readings else []
    return TicketReport(
        ticket_id=ticket.ticket_id,
        account_id=ticket.account_id,
        opened_at=ticket.opened_at.astimezone(UTC),
        priority=condition.priority,
        priority_history=_priority_history(steps),
        priority_change_rule=support.priority_change if support is not None else None,
        contract_version=_version_ref(version),
        state=ticket_state([clock.state for clock in clocks], condition.lifecycle),
        lifecycle=condition.lifecycle,
        committed=any(clock.target_seconds is not None for clock in clocks),
        **_governing_fields(clocks[0] if clocks else None),
        targets=clocks,
        timeline=timeline,
        evidence=_evidence(steps, version),
        query_time=query_time.astimezone(UTC),
        as_of=as_of.astimezone(UTC) if as_of is not None else None,
        as_of_position=as_of_position,
    )


_GOVERNING_FIELDS = tuple(
    name for name in TargetClock.model_fields if name not in ("state", "running")
)


def _governing_fields(clock: TargetClock | None) -> dict[str, Any]:
    """The governing clock's fields, repeated at the top of the report (None without one)."""
    return {name: getattr(clock, name) if clock else None for name in _GOVERNING_FIELDS}


def _readings(
    steps: list[Step],
    conditions: list[Condition],
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


def _target_clock(reading: Reading, hours: HoursFor, now: int) -> TargetClock:
    target = reading.target
    calendar = hours(target.calendar).calendar if target is not None else None
    return TargetClock(
        metric=reading.metric,
        state=metric_state(reading),
        running=reading.stretches[-1].status == "running",
        calendar=target.calendar if target is not None else None,
        calendar_timezone=calendar.timezone if calendar is not None else None,
        target_seconds=target.seconds if target is not None else None,
        business_seconds_used=reading.tally.used,
        remaining_seconds=remaining_seconds(reading),
        due_at=_utc_or_none(due_instant(reading, hours, now)),
        breached_at=_utc_or_none(reading.breached_at),
        met_at=_utc_or_none(met_instant(reading)),
        used_fraction=_fraction_text(reading.tally.fraction),
        breach_note=reading.breach_note,
    )


def _priority_history(steps: list[Step]) -> list[PriorityPeriod]:
    periods: list[PriorityPeriod] = []
    for step in steps:
        if step.priority is not None and step.type in ("ticket.opened", "ticket.priority_changed"):
            periods.append(
                PriorityPeriod(
                    priority=step.priority, from_at=_utc(step.at), event_id=step.ref.event_id
                )
            )
    return periods


def _version_ref(version: VersionRecord | None) -> ContractVersionRef | None:
    if version is None:
        return None
    return ContractVersionRef(
        effective_from=version.version.effective_from.astimezone(UTC),
        event_id=version.version.event_id,
    )


def _evidence(steps: list[Step], version: VersionRecord | None) -> list[EventRef]:
    refs = [step.ref for step in steps]
    if version is not None:
        refs.append(version.ref)
    return sorted(refs, key=lambda ref: ref.position)


def _fraction_text(fraction: Fraction) -> str:
    """Four decimals, rounded down (exactly: no binary or decimal rounding on the way)."""
    ten_thousandths = fraction.numerator * 10_000 // fraction.denominator
    return f"{ten_thousandths // 10_000}.{ten_thousandths % 10_000:04d}"


def _duration(seconds: int) -> str:
    """`5h12m`, `4h`, `45m`, `1h0m30s`: hours and minutes, seconds only when there are any."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}h" if hours else ""
    if minutes or (hours and secs):
        text += f"{minutes}m"
    if secs or not text:
        text += f"{secs}s"
    return text


def _utc(instant: int) -> datetime:
    return datetime.fromtimestamp(instant, UTC)


def _utc_or_none(instant: int | None) -> datetime | None:
    return None if instant is None else _utc(instant)


def _text(instant: int) -> str:
    return format_instant(_utc(instant))


# --- Reports over many tickets ---------------------------------------------------------------


def report_for_ticket(
    history: History,
    ticket_id: str,
    query_time: datetime,
    *,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
) -> TicketReport:
    """The report of a ticket in `history`, measured under the contract version in force when it
    opened (rule `ticket_terms_at_opening`)."""
    ticket = history.tickets[ticket_id]
    contract = history.contracts.get(ticket.account_id)
    version = contract.version_at(ticket.opened_at) if contract is not None else None
    return ticket_report(ticket, version, query_time, as_of=as_of, as_of_position=as_of_position)


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


def ticket_line(report: TicketReport) -> TicketLine:
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
    seconds_left: int


class AtRiskList(ReportModel):
    """Open, running tickets due within the window, soonest first; and how many are overdue."""

    query_time: datetime
    within_seconds: int
    tickets: list[AtRisk]
    overdue: list[str]
