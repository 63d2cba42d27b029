"""The support-ticket clock, worked by hand on real 2026 Europe/Amsterdam dates.

Times are written in local time with their offset (+01:00 CET, +02:00 CEST); the report answers
in UTC, and aware datetimes compare as instants.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import RuleViolation
from ledger.events import EventRef
from ledger.state import TermsVersion
from ledger.templates import expand_terms
from ledger.ticket_state import TicketState
from ledger.tickets import check_ticket_steps
from projections.tickets import TicketReport, measure_ticket
from projections.tickets import ticket_report as report_of
from tests.builders import StoredRow, ticket_row, ticket_state

JAN_1 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = 3600
FOUR_HOURS = 4 * HOUR
Step = tuple[str, str, str | None]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def rows(*steps: Step, ticket_id: str = "t-1") -> list[StoredRow]:
    """Stored events from (time, step, priority) tuples; step names drop the `ticket.` prefix."""
    return [
        ticket_row(
            ticket_id,
            "acme",
            at(when),
            kind,
            priority,
            position=100 + index,
            event_id=f"{ticket_id}-{index}",
            recorded_at=at(when),
        )
        for index, (when, kind, priority) in enumerate(steps)
    ]


def ticket(*steps: Step, ticket_id: str = "t-1") -> TicketState:
    """A ticket folded from (time, step, priority) tuples, recorded in that order."""
    return ticket_state(rows(*steps, ticket_id=ticket_id))


def version(template: str = "vivition-business", **written: Any) -> TermsVersion:
    terms = expand_terms({"template": template, **written}, JAN_1)
    ref = EventRef(
        event_id="contract-1", type="contract.signed", position=1, recorded_at=JAN_1, valid_at=JAN_1
    )
    return TermsVersion(JAN_1, terms, "contract-1", ref)


def ticket_report(
    record: TicketState, terms: TermsVersion | None, query: datetime, **known: Any
) -> TicketReport:
    """The report of the ticket's clock measured at `query`."""
    return report_of(measure_ticket(record, terms, query, **known))


BUSINESS = version("vivition-business")
EXTENDED = version("vivition-extended")
EXTENDED_FROM_CHANGE = version("vivition-extended", support={"priority_change": "from_change"})


def report(record: TicketState, terms: TermsVersion | None, query: str) -> TicketReport:
    return ticket_report(record, terms, at(query))


# --- Opening hours and holidays ------------------------------------------------------------------


def test_kings_day_is_skipped_friday_afternoon_to_tuesday_morning() -> None:
    record = ticket(("2026-04-24T15:00+02:00", "opened", "medium"))
    friday = report(record, BUSINESS, "2026-04-24T16:00+02:00")
    assert (friday.state, friday.metric, friday.calendar) == ("open", "resolution", "business")
    assert friday.calendar_timezone == "Europe/Amsterdam" and friday.target_seconds == FOUR_HOURS
    assert friday.business_seconds_used == HOUR and friday.remaining_seconds == 3 * HOUR
    assert friday.due_at == at("2026-04-28T11:00+02:00")
    assert friday.used_fraction == "0.2500" and friday.committed

    monday = report(record, BUSINESS, "2026-04-27T12:00+02:00")  # King's Day: closed
    assert monday.business_seconds_used == 2 * HOUR
    assert monday.due_at == at("2026-04-28T11:00+02:00")
    holiday = [s for s in monday.timeline if s.reason == "holiday"]
    assert [(s.start, s.end) for s in holiday] == [
        (at("2026-04-27T00:00+02:00"), at("2026-04-27T12:00+02:00"))
    ]


def test_saturday_evening_high_ticket_on_each_plan() -> None:
    record = ticket(("2026-03-14T20:00+01:00", "opened", "high"))
    business = report(record, BUSINESS, "2026-03-14T21:00+01:00")
    assert business.business_seconds_used == 0
    assert business.due_at == at("2026-03-16T13:00+01:00")

    extended = report(record, EXTENDED, "2026-03-14T21:00+01:00")
    assert extended.calendar == "extended" and extended.business_seconds_used == HOUR
    assert extended.due_at == at("2026-03-15T10:00+01:00")
    assert [(s.reason, s.seconds) for s in extended.timeline] == [("open", HOUR)]


def test_opened_before_the_calendar_opens_starts_at_the_opening() -> None:
    early = ticket(("2026-03-10T07:00+01:00", "opened", "high"))
    assert report(early, BUSINESS, "2026-03-10T08:30+01:00").due_at == at("2026-03-10T13:00+01:00")
    on_extended = report(early, EXTENDED, "2026-03-10T08:30+01:00")
    assert on_extended.due_at == at("2026-03-10T12:00+01:00")
    assert on_extended.business_seconds_used == 30 * 60
    assert [(s.reason, s.seconds) for s in on_extended.timeline] == [
        ("closed", HOUR),
        ("open", 30 * 60),
    ]


def test_opened_late_at_night_starts_next_morning() -> None:
    late = ticket(("2026-03-10T23:00+01:00", "opened", "high"))
    business = report(late, BUSINESS, "2026-03-10T23:30+01:00")
    assert business.due_at == at("2026-03-11T13:00+01:00") and business.business_seconds_used == 0
    extended = report(late, EXTENDED, "2026-03-10T23:30+01:00")
    assert extended.due_at == at("2026-03-11T12:00+01:00")


def test_spring_forward_weekend_on_the_extended_plan() -> None:
    record = ticket(("2026-03-28T21:00+01:00", "opened", "high"))
    sunday = report(record, EXTENDED, "2026-03-29T09:00+02:00")
    assert sunday.due_at == at("2026-03-29T11:00+02:00") == datetime(2026, 3, 29, 9, tzinfo=UTC)
    assert sunday.business_seconds_used == 2 * HOUR
    # The night from 22:00 CET to 08:00 CEST is nine hours, not ten.
    assert [(s.reason, s.seconds) for s in sunday.timeline] == [
        ("open", HOUR),
        ("closed", 9 * HOUR),
        ("open", HOUR),
    ]


def test_fall_back_weekend_on_the_extended_plan() -> None:
    record = ticket(("2026-10-24T21:00+02:00", "opened", "high"))
    sunday = report(record, EXTENDED, "2026-10-25T09:00+01:00")
    assert sunday.due_at == at("2026-10-25T11:00+01:00") == datetime(2026, 10, 25, 10, tzinfo=UTC)
    # The night from 22:00 CEST to 08:00 CET is eleven hours.
    assert [(s.reason, s.seconds) for s in sunday.timeline] == [
        ("open", HOUR),
        ("closed", 11 * HOUR),
        ("open", HOUR),
    ]


GOOD_FRIDAY_WORKED = version(
    support={"calendars": {"business": {"holidays": {"country": "NL", "remove": ["2026-04-03"]}}}}
)


def test_good_friday_as_a_holiday_or_a_working_day() -> None:
    record = ticket(("2026-04-02T16:00+02:00", "opened", "high"))
    holiday = report(record, BUSINESS, "2026-04-02T16:30+02:00")
    assert holiday.due_at == at("2026-04-07T12:00+02:00")  # Easter Monday is a holiday too
    worked = report(record, GOOD_FRIDAY_WORKED, "2026-04-02T16:30+02:00")
    assert worked.due_at == at("2026-04-03T12:00+02:00")

    later = report(record, BUSINESS, "2026-04-07T10:00+02:00")
    assert [(s.reason, s.start.date().isoformat()) for s in later.timeline] == [
        ("open", "2026-04-02"),
        ("closed", "2026-04-02"),
        ("holiday", "2026-04-02"),  # Good Friday, from local midnight (22:00Z)
        ("closed", "2026-04-03"),  # Saturday
        ("holiday", "2026-04-04"),  # Easter Sunday and Easter Monday
        ("closed", "2026-04-06"),  # Tuesday before 09:00
        ("open", "2026-04-07"),
    ]


# --- Pauses, resolutions and reopenings ----------------------------------------------------------


def test_a_pause_across_the_night_stops_the_clock() -> None:
    record = ticket(
        ("2026-03-10T15:00+01:00", "opened", "medium"),
        ("2026-03-10T16:00+01:00", "paused", None),
        ("2026-03-11T10:00+01:00", "resumed", None),
    )
    night = report(record, BUSINESS, "2026-03-10T20:00+01:00")
    assert (night.state, night.lifecycle) == ("paused", "paused")
    assert night.due_at is None and night.remaining_seconds == 3 * HOUR
    assert night.business_seconds_used == HOUR

    morning = report(record, BUSINESS, "2026-03-11T11:00+01:00")
    assert morning.state == "open" and morning.business_seconds_used == 2 * HOUR
    assert morning.due_at == at("2026-03-11T13:00+01:00")
    assert [(s.reason, s.seconds, s.counted) for s in morning.timeline] == [
        ("open", HOUR, True),
        ("paused", 18 * HOUR, False),
        ("open", HOUR, True),
    ]
    unpaused = ticket(("2026-03-10T15:00+01:00", "opened", "medium"))
    assert report(unpaused, BUSINESS, "2026-03-11T09:30+01:00").due_at == at(
        "2026-03-11T11:00+01:00"
    )


REOPENED = (
    ("2026-03-10T09:00+01:00", "opened", "medium"),
    ("2026-03-10T12:00+01:00", "resolved", None),
    ("2026-03-11T10:00+01:00", "reopened", None),
)


def test_a_reopened_ticket_adds_to_the_time_already_used() -> None:
    resolved_once = report(ticket(*REOPENED[:2]), BUSINESS, "2026-03-10T18:00+01:00")
    assert (resolved_once.state, resolved_once.lifecycle) == ("met", "resolved")
    assert resolved_once.met_at == at("2026-03-10T12:00+01:00")
    assert resolved_once.business_seconds_used == 3 * HOUR and resolved_once.due_at is None

    reopened = report(ticket(*REOPENED), BUSINESS, "2026-03-11T10:20+01:00")
    assert reopened.state == "open" and reopened.business_seconds_used == 3 * HOUR + 20 * 60
    assert reopened.due_at == at("2026-03-11T11:00+01:00")

    record = ticket(*REOPENED, ("2026-03-11T10:30+01:00", "resolved", None))
    met = report(record, BUSINESS, "2026-03-12T09:00+01:00")
    assert met.state == "met" and met.met_at == at("2026-03-11T10:30+01:00")
    assert met.business_seconds_used == 3 * HOUR + 30 * 60 and met.remaining_seconds == 30 * 60
    assert [s.reason for s in met.timeline] == ["open", "stopped", "open"]
    assert met.timeline[-1].end == at("2026-03-11T10:30+01:00")

    record = ticket(*REOPENED, ("2026-03-11T11:30+01:00", "resolved", None))
    late = report(record, BUSINESS, "2026-03-12T09:00+01:00")
    assert late.state == "breached" and late.breached_at == at("2026-03-11T11:00+01:00")
    assert late.due_at == at("2026-03-11T11:00+01:00") and late.met_at is None
    assert late.business_seconds_used == 4 * HOUR + 30 * 60 and late.remaining_seconds == 0
    assert late.used_fraction == "1.1250"


# --- Priority changes ----------------------------------------------------------------------------

UPGRADED = (
    ("2026-03-14T10:00+01:00", "opened", "medium"),
    ("2026-03-14T19:00+01:00", "priority_changed", "high"),
)


def test_retroactive_upgrade_is_breached_when_the_recomputed_clock_ran_out() -> None:
    upgraded = report(ticket(*UPGRADED), EXTENDED, "2026-03-14T19:30+01:00")
    assert upgraded.priority_change_rule == "retroactive" and upgraded.priority == "high"
    assert upgraded.calendar == "extended" and upgraded.state == "breached"
    # high counts 08:00-22:00 from the 10:00 opening: 4 h run out at 14:00 (valid time) ...
    assert upgraded.breached_at == at("2026-03-14T14:00+01:00")
    assert upgraded.breach_known_at == at("2026-03-14T19:00+01:00")  # ... known at the change
    assert upgraded.due_at == at("2026-03-14T14:00+01:00")
    assert upgraded.business_seconds_used == 9 * HOUR + 30 * 60
    assert upgraded.remaining_seconds == 0 and upgraded.used_fraction == "2.3750"
    assert upgraded.breach_note == (
        "priority changed from medium to high at 2026-03-14T18:00:00Z: 9h already used under "
        "its 4h target; breached at 2026-03-14T13:00:00Z, when the clock under high ran out, "
        "known since the change"
    )
    assert [(p.priority, p.from_at) for p in upgraded.priority_history] == [
        ("medium", at("2026-03-14T10:00+01:00")),
        ("high", at("2026-03-14T19:00+01:00")),
    ]
    # Before the change it was a medium ticket on business hours: nothing used on a Saturday.
    before = report(ticket(*UPGRADED), EXTENDED, "2026-03-14T18:00+01:00")
    assert before.state == "open" and before.business_seconds_used == 0
    assert before.due_at == at("2026-03-16T13:00+01:00")


def test_an_upgrade_after_resolution_is_breached_when_its_clock_ran_out() -> None:
    """Issue 13: not "at once" at the change, a day after its own due time."""
    steps = (
        ("2026-03-14T10:00+01:00", "opened", "medium"),  # Saturday: business hours closed
        ("2026-03-16T12:00+01:00", "resolved", None),  # Monday: 3 h of business time, met
        ("2026-03-17T10:00+01:00", "priority_changed", "high"),
    )
    before = report(ticket(*steps), EXTENDED, "2026-03-16T20:00+01:00")
    assert before.state == "met" and before.breached_at is None
    assert before.business_seconds_used == 3 * HOUR
    after = report(ticket(*steps), EXTENDED, "2026-03-17T12:00+01:00")
    # high counts 08:00-22:00 every day from Saturday 10:00: its 4 h ran out Saturday 14:00
    assert after.state == "breached" and after.breached_at == at("2026-03-14T14:00+01:00")
    assert after.due_at == after.breached_at
    assert after.breach_known_at == at("2026-03-17T10:00+01:00")


def test_from_change_upgrade_counts_high_from_the_change() -> None:
    upgraded = report(ticket(*UPGRADED), EXTENDED_FROM_CHANGE, "2026-03-14T19:30+01:00")
    assert upgraded.priority_change_rule == "from_change" and upgraded.state == "open"
    assert upgraded.business_seconds_used == 30 * 60 and upgraded.used_fraction == "0.1250"
    assert upgraded.remaining_seconds == 3 * HOUR + 30 * 60
    assert upgraded.due_at == at("2026-03-15T09:00+01:00")
    assert upgraded.breach_note is None
    reasons = [(s.reason, s.priority, s.calendar) for s in upgraded.timeline]
    assert reasons == [
        ("closed", "medium", "business"),
        ("open", "high", "extended"),
    ]


DOWNGRADED = (
    ("2026-03-14T18:00+01:00", "opened", "high"),
    ("2026-03-14T20:00+01:00", "priority_changed", "medium"),
)


def test_retroactive_downgrade_measures_medium_from_the_opening() -> None:
    downgraded = report(ticket(*DOWNGRADED), EXTENDED, "2026-03-15T12:00+01:00")
    assert downgraded.state == "open" and downgraded.calendar == "business"
    assert downgraded.business_seconds_used == 0 and downgraded.remaining_seconds == FOUR_HOURS
    assert downgraded.due_at == at("2026-03-16T13:00+01:00")


def test_from_change_downgrade_keeps_the_fraction_used_under_high() -> None:
    downgraded = report(ticket(*DOWNGRADED), EXTENDED_FROM_CHANGE, "2026-03-15T12:00+01:00")
    assert downgraded.state == "open" and downgraded.calendar == "business"
    assert downgraded.business_seconds_used == 2 * HOUR and downgraded.used_fraction == "0.5000"
    assert downgraded.remaining_seconds == 2 * HOUR
    assert downgraded.due_at == at("2026-03-16T11:00+01:00")


def test_from_change_breach_crosses_one_inside_a_stretch() -> None:
    record = ticket(*DOWNGRADED)  # half the high target used by Saturday 20:00
    monday = report(record, EXTENDED_FROM_CHANGE, "2026-03-16T12:00+01:00")
    assert monday.state == "breached" and monday.breached_at == at("2026-03-16T11:00+01:00")
    assert monday.used_fraction == "1.2500"


def test_downgrade_to_low_uncommits_retroactively_but_not_a_past_breach_from_change() -> None:
    early = ticket(
        ("2026-03-14T18:00+01:00", "opened", "high"),
        ("2026-03-14T20:00+01:00", "priority_changed", "low"),
    )
    retro = report(early, EXTENDED, "2026-03-15T12:00+01:00")
    assert (retro.state, retro.committed, retro.metric, retro.targets) == (
        "no_target",
        False,
        None,
        [],
    )
    kept = report(early, EXTENDED_FROM_CHANGE, "2026-03-15T12:00+01:00")
    assert (kept.state, kept.committed, kept.used_fraction) == ("no_target", False, "0.5000")
    assert kept.remaining_seconds is None and kept.due_at is None and kept.target_seconds is None

    breached = ticket(
        ("2026-03-14T10:00+01:00", "opened", "high"),
        ("2026-03-14T20:00+01:00", "priority_changed", "low"),
    )
    assert report(breached, EXTENDED, "2026-03-15T12:00+01:00").state == "no_target"
    past = report(breached, EXTENDED_FROM_CHANGE, "2026-03-15T12:00+01:00")
    assert past.state == "breached" and past.breached_at == at("2026-03-14T14:00+01:00")


# --- States --------------------------------------------------------------------------------------

FRIDAY_MEDIUM = ("2026-04-24T15:00+02:00", "opened", "medium")


def test_breached_while_open() -> None:
    late = report(ticket(FRIDAY_MEDIUM), BUSINESS, "2026-04-28T12:00+02:00")
    assert late.state == "breached" and late.lifecycle == "open"
    assert late.breached_at == late.due_at == at("2026-04-28T11:00+02:00")
    assert late.business_seconds_used == 5 * HOUR and late.remaining_seconds == 0
    assert late.targets[0].state == "breached"


def test_met_paused_and_no_target() -> None:
    met = ticket(FRIDAY_MEDIUM, ("2026-04-28T10:00+02:00", "resolved", None))
    resolved = report(met, BUSINESS, "2026-05-01T12:00+02:00")
    assert (resolved.state, resolved.met_at) == ("met", at("2026-04-28T10:00+02:00"))
    assert resolved.due_at is None and resolved.breached_at is None
    assert resolved.timeline[-1].end == at("2026-04-28T10:00+02:00")

    paused = ticket(FRIDAY_MEDIUM, ("2026-04-24T16:30+02:00", "paused", None))
    waiting = report(paused, BUSINESS, "2026-05-01T12:00+02:00")
    assert (waiting.state, waiting.due_at, waiting.remaining_seconds) == (
        "paused",
        None,
        2 * HOUR + 30 * 60,
    )

    low = report(ticket(("2026-04-24T15:00+02:00", "opened", "low")), BUSINESS, "2026-05-01T12:00Z")
    assert (low.state, low.committed, low.targets, low.timeline) == ("no_target", False, [], [])
    assert low.lifecycle == "open"


def test_exactly_at_the_due_instant() -> None:
    due = "2026-04-28T11:00+02:00"
    on_time = report(ticket(FRIDAY_MEDIUM, (due, "resolved", None)), BUSINESS, due)
    assert on_time.state == "met" and on_time.remaining_seconds == 0
    still_open = report(ticket(FRIDAY_MEDIUM), BUSINESS, due)
    assert still_open.state == "breached" and still_open.breached_at == at(due)
    second_before = report(ticket(FRIDAY_MEDIUM), BUSINESS, "2026-04-28T10:59:59+02:00")
    assert second_before.state == "open" and second_before.remaining_seconds == 1


def test_used_up_at_closing_time_is_breached_only_when_the_clock_runs_again() -> None:
    """Rule `breach_instant`: 4 business hours from 13:00 end at 17:00, closing time."""
    monday = ("2026-03-16T13:00+01:00", "opened", "high")
    evening = report(ticket(monday, ("2026-03-16T17:30+01:00", "resolved", None)), BUSINESS, NEXT)
    assert (evening.state, evening.met_at) == ("met", at("2026-03-16T17:30+01:00"))
    at_opening = ticket(monday, ("2026-03-17T09:00+01:00", "resolved", None))
    assert report(at_opening, BUSINESS, NEXT).state == "met"
    late = report(ticket(monday, ("2026-03-17T09:00:01+01:00", "resolved", None)), BUSINESS, NEXT)
    assert (late.state, late.breached_at) == ("breached", at("2026-03-17T09:00+01:00"))
    assert late.due_at == at("2026-03-16T17:00+01:00")
    overnight = report(ticket(monday), BUSINESS, "2026-03-16T23:00+01:00")
    assert (overnight.state, overnight.remaining_seconds) == ("open", 0)
    assert overnight.due_at == at("2026-03-16T17:00+01:00")
    # steps in the evening do not move when it ran out, nor when it is breached
    answered = ticket(monday, ("2026-03-16T18:00+01:00", "responded", None))
    assert report(answered, BUSINESS, "2026-03-16T23:00+01:00").due_at == overnight.due_at
    waited = ticket(
        monday,
        ("2026-03-16T18:00+01:00", "paused", None),
        ("2026-03-17T07:00+01:00", "resumed", None),
    )
    next_day = report(waited, BUSINESS, "2026-03-17T10:00+01:00")
    assert (next_day.due_at, next_day.breached_at) == (
        at("2026-03-16T17:00+01:00"),
        at("2026-03-17T09:00+01:00"),
    )


NEXT = "2026-03-20T12:00+01:00"


RESPONSE_TOO = version(
    support={
        "priorities": {
            "high": {
                "targets": [
                    {"metric": "response", "seconds": HOUR, "calendar": "business"},
                    {"metric": "resolution", "seconds": FOUR_HOURS, "calendar": "business"},
                ]
            }
        }
    }
)
TUESDAY_HIGH = ("2026-03-10T09:00+01:00", "opened", "high")


def test_response_and_resolution_both_committed() -> None:
    waiting = report(ticket(TUESDAY_HIGH), RESPONSE_TOO, "2026-03-10T09:40+01:00")
    response = next(clock for clock in waiting.targets if clock.metric == "response")
    assert response.used_fraction == "0.6666"  # 40 of 60 minutes, rounded down
    assert response.due_at == at("2026-03-10T10:00+01:00")

    answered = ticket(TUESDAY_HIGH, ("2026-03-10T09:30+01:00", "responded", None))
    both = report(answered, RESPONSE_TOO, "2026-03-10T11:00+01:00")
    assert both.metric == "resolution" and both.state == "open"
    clocks = {clock.metric: clock for clock in both.targets}
    assert clocks["response"].state == "met"
    assert clocks["response"].met_at == at("2026-03-10T09:30+01:00")
    assert clocks["response"].business_seconds_used == 30 * 60
    assert clocks["resolution"].due_at == at("2026-03-10T13:00+01:00")

    slow = ticket(TUESDAY_HIGH, ("2026-03-10T10:30+01:00", "responded", None))
    breached = report(slow, RESPONSE_TOO, "2026-03-10T11:00+01:00")
    assert breached.state == "breached" and breached.breached_at is None  # resolution is fine
    response = next(clock for clock in breached.targets if clock.metric == "response")
    assert response.breached_at == at("2026-03-10T10:00+01:00")

    reopened = ticket(
        TUESDAY_HIGH,
        ("2026-03-10T09:45+01:00", "resolved", None),
        ("2026-03-10T10:30+01:00", "reopened", None),
    )
    later = report(reopened, RESPONSE_TOO, "2026-03-10T11:00+01:00")
    response = next(clock for clock in later.targets if clock.metric == "response")
    assert response.state == "met" and response.met_at == at("2026-03-10T09:45+01:00")
    assert later.state == "open" and later.business_seconds_used == HOUR + 15 * 60


# --- The report's frame --------------------------------------------------------------------------


def test_steps_after_the_query_time_have_not_happened() -> None:
    record = ticket(FRIDAY_MEDIUM, ("2026-04-28T10:00+02:00", "resolved", None))
    before = ticket_report(
        record, BUSINESS, at("2026-04-28T09:30+02:00"), as_of=at("2026-04-28T09:30+02:00")
    )
    assert before.state == "open" and before.lifecycle == "open"
    assert [ref.event_id for ref in before.evidence] == ["contract-1", "t-1-0"]
    assert before.as_of == at("2026-04-28T07:30Z") and before.as_of_position is None
    assert before.query_time.tzinfo is not None and before.query_time.utcoffset() == timedelta(0)


def test_without_terms_nothing_is_committed() -> None:
    bare = report(ticket(FRIDAY_MEDIUM), None, "2026-04-28T12:00+02:00")
    assert (bare.state, bare.contract_version, bare.priority_change_rule) == (
        "no_target",
        None,
        None,
    )
    assert [ref.event_id for ref in bare.evidence] == ["t-1-0"]


def test_report_cites_its_version_and_events_in_position_order() -> None:
    full = report(ticket(*REOPENED), BUSINESS, "2026-03-12T09:00+01:00")
    assert full.contract_version is not None and full.contract_version.event_id == "contract-1"
    assert [ref.position for ref in full.evidence] == [1, 100, 101, 102]
    assert full.opened_at == at("2026-03-10T08:00Z")


# --- Properties ----------------------------------------------------------------------------------

YEAR_2026 = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
instants = st.integers(min_value=YEAR_2026, max_value=YEAR_2026 + 360 * 86_400)
gaps = st.integers(min_value=1, max_value=3 * 86_400)
plans = st.sampled_from([BUSINESS, EXTENDED])


def iso(instant: int) -> str:
    return datetime.fromtimestamp(instant, UTC).isoformat()


@settings(max_examples=150, deadline=None)
@given(plans, instants, gaps, gaps, st.integers(min_value=0, max_value=3 * 86_400))
def test_a_pause_never_makes_a_ticket_due_earlier(
    plan: TermsVersion, opened: int, to_pause: int, paused_for: int, query_after: int
) -> None:
    pause, resume = opened + to_pause, opened + to_pause + paused_for
    query = at(iso(resume + query_after))
    plain = ticket((iso(opened), "opened", "high"))
    with_pause = ticket(
        (iso(opened), "opened", "high"),
        (iso(pause), "paused", None),
        (iso(resume), "resumed", None),
    )
    without, paused = ticket_report(plain, plan, query), ticket_report(with_pause, plan, query)
    assert without.due_at is not None and paused.due_at is not None
    assert paused.due_at >= without.due_at
    assert (paused.business_seconds_used or 0) <= (without.business_seconds_used or 0)


def random_steps(draw: random.Random, opened: int) -> list[Step]:
    """A valid step sequence, some steps sharing an instant: each drawn step is kept only if
    the write side would record it (`check_ticket_steps`, in clock order)."""
    steps: list[Step] = [(iso(opened), "opened", "high")]
    when, priority, paused, resolved = opened, "high", False, False
    for _ in range(draw.randint(0, 8)):
        when += draw.choice([0, 0, 600, 3600, 7 * 3600, 30 * 3600])
        choices = ["responded", "priority_changed"]
        choices += ["reopened"] if resolved else ["resolved", "resumed" if paused else "paused"]
        kind = draw.choice(choices)
        new_priority = None
        if kind == "priority_changed":
            new_priority = draw.choice([p for p in ("high", "medium", "low") if p != priority])
        candidate = (iso(when), kind, new_priority)
        try:
            check_ticket_steps("t-1", ticket(*steps, candidate).ordered_steps())
        except RuleViolation:
            continue
        priority = new_priority or priority
        paused = kind == "paused" or (paused and kind not in ("resumed", "resolved"))
        resolved = kind == "resolved" or (resolved and kind != "reopened")
        steps.append(candidate)
    return steps


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([BUSINESS, EXTENDED, EXTENDED_FROM_CHANGE, RESPONSE_TOO]),
    instants,
    st.randoms(use_true_random=False),
    gaps,
)
def test_shuffling_the_steps_does_not_change_the_report(
    plan: TermsVersion, opened: int, draw: random.Random, query_after: int
) -> None:
    steps = random_steps(draw, opened)
    recorded = rows(*steps)
    query = at(steps[-1][0]) + timedelta(seconds=query_after)
    expected = ticket_report(ticket_state(recorded), plan, query)
    # Recorded in another order: new positions follow the shuffled order, so only the valid
    # times and rule `same_instant_order` can put the steps back. Steps of one kind at one
    # instant keep their recorded order (the later priority change wins), so they keep theirs.
    opening, *later = recorded
    shuffled = list(later)
    draw.shuffle(shuffled)
    new_position = {id(row): 1_000 + index for index, row in enumerate(shuffled)}
    alike: dict[tuple[datetime | None, str], list[StoredRow]] = {}
    for row in later:
        alike.setdefault((row.valid_at, row.type), []).append(row)
    for group in alike.values():
        for row, position in zip(group, sorted(new_position[id(r)] for r in group), strict=True):
            new_position[id(row)] = position
    recorded_again = sorted(
        (replace(row, position=new_position[id(row)]) for row in later),
        key=lambda row: row.position,
    )
    again = ticket_state([opening, *recorded_again])
    without_evidence = {"evidence"}
    assert ticket_report(again, plan, query).model_dump(
        exclude=without_evidence
    ) == expected.model_dump(exclude=without_evidence)
    # The timeline runs without gaps from the opening and accounts for every counted second.
    counted = sum(s.seconds for s in expected.timeline if s.counted)
    assert counted == (expected.business_seconds_used or 0)
    if expected.timeline:
        assert expected.timeline[0].start == expected.opened_at
        pairs = zip(expected.timeline, expected.timeline[1:], strict=False)
        assert all(a.end == b.start for a, b in pairs)
        assert all(s.seconds == (s.end - s.start).total_seconds() for s in expected.timeline)
