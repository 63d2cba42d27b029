"""Business-time arithmetic on the shipped calendars, DST weekends and Dutch holidays included."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.calendars import OpeningHours, opening_hours
from ledger.templates import expand_terms
from ledger.terms import BusinessCalendar

HOUR = 3600
TERMS = expand_terms({"template": "vivition-extended"}, datetime(2026, 1, 1, tzinfo=UTC))
assert TERMS.support is not None
BUSINESS = opening_hours(TERMS.support.calendars["business"])
EXTENDED = opening_hours(TERMS.support.calendars["extended"])


def unix(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def test_spring_forward_sunday_window_is_fourteen_real_hours() -> None:
    assert EXTENDED.day_intervals(date(2026, 3, 29)) == (
        (unix("2026-03-29T08:00+02:00"), unix("2026-03-29T22:00+02:00")),
    )
    assert EXTENDED.open_seconds(
        unix("2026-03-29T00:00+01:00"), unix("2026-03-30T00:00+02:00")
    ) == (50_400)
    # The night before it, Saturday 22:00 CET to Sunday 08:00 CEST, is an hour short.
    night = list(
        EXTENDED.closed_stretches(unix("2026-03-28T22:00+01:00"), unix("2026-03-29T08:00+02:00"))
    )
    assert sum(end - start for start, end, _ in night) == 9 * HOUR


def test_fall_back_night_is_an_hour_long_and_the_window_stays_fourteen_hours() -> None:
    sunday = EXTENDED.day_intervals(date(2026, 10, 25))
    assert [end - start for start, end in sunday] == [14 * HOUR]
    saturday_close, sunday_open = EXTENDED.day_intervals(date(2026, 10, 24))[0][1], sunday[0][0]
    assert sunday_open - saturday_close == 11 * HOUR


def test_add_open_seconds_across_a_weekend_and_kings_day() -> None:
    friday = unix("2026-04-24T15:00+02:00")
    assert BUSINESS.add_open_seconds(friday, 4 * HOUR) == unix("2026-04-28T11:00+02:00")
    assert BUSINESS.add_open_seconds(friday, 2 * HOUR) == unix("2026-04-24T17:00+02:00")
    assert BUSINESS.add_open_seconds(friday, 0) == friday
    assert BUSINESS.open_seconds(friday, unix("2026-04-28T11:00+02:00")) == 4 * HOUR


def test_closed_stretches_name_holidays() -> None:
    stretches = [
        (datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC), reason)
        for start, end, reason in BUSINESS.closed_stretches(
            unix("2026-04-24T17:00+02:00"), unix("2026-04-28T09:00+02:00")
        )
    ]
    assert [(start.isoformat(), reason) for start, _, reason in stretches] == [
        ("2026-04-24T15:00:00+00:00", "closed"),  # Friday evening
        ("2026-04-24T22:00:00+00:00", "closed"),  # Saturday
        ("2026-04-25T22:00:00+00:00", "closed"),  # Sunday
        ("2026-04-26T22:00:00+00:00", "holiday"),  # King's Day, Monday 27 April
        ("2026-04-27T22:00:00+00:00", "closed"),  # Tuesday before 09:00
    ]
    assert EXTENDED.is_closed_for_holiday(date(2026, 4, 27)) is False  # open on holidays


def test_partition_covers_the_range_in_order() -> None:
    start, end = unix("2026-04-02T16:00+02:00"), unix("2026-04-07T12:00+02:00")
    pieces = list(BUSINESS.partition(start, end))
    assert pieces[0][0] == start and pieces[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    assert sum(b - a for a, b, kind in pieces if kind == "open") == 4 * HOUR
    assert {kind for _, _, kind in pieces} == {"open", "closed", "holiday"}


def test_compiled_calendars_are_reused_and_an_empty_calendar_is_refused() -> None:
    assert TERMS.support is not None
    assert opening_hours(TERMS.support.calendars["business"]) is BUSINESS
    with pytest.raises(ValueError, match="no opening windows"):
        OpeningHours(BusinessCalendar(timezone="UTC", windows={}))


YEAR_2026 = unix("2026-01-01T00:00Z")
instants = st.integers(min_value=YEAR_2026, max_value=YEAR_2026 + 365 * 86_400)
calendars = st.sampled_from([BUSINESS, EXTENDED])


@settings(max_examples=300, deadline=None)
@given(calendars, instants, instants, instants)
def test_business_time_adds_up_over_consecutive_intervals(
    hours: OpeningHours, x: int, y: int, z: int
) -> None:
    a, b, c = sorted((x, y, z))
    assert hours.open_seconds(a, c) == hours.open_seconds(a, b) + hours.open_seconds(b, c)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, instants)
def test_add_open_seconds_undoes_open_seconds(hours: OpeningHours, x: int, y: int) -> None:
    a, b = min(x, y), max(x, y)
    used = hours.open_seconds(a, b)
    reached = hours.add_open_seconds(a, used)
    assert reached <= b
    assert hours.open_seconds(a, reached) == used


@settings(max_examples=300, deadline=None)
@given(calendars, instants, st.integers(min_value=1, max_value=40 * HOUR))
def test_open_seconds_undoes_add_open_seconds(hours: OpeningHours, a: int, seconds: int) -> None:
    reached = hours.add_open_seconds(a, seconds)
    assert hours.open_seconds(a, reached) == seconds
    # The earliest such instant: one second less is not enough.
    assert hours.open_seconds(a, reached - 1) == seconds - 1


FAR_ZONES = [
    OpeningHours(BusinessCalendar(timezone=zone, windows={"mon": ("09:00-17:00",)}))
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Santiago", "Asia/Kolkata")
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([BUSINESS, *FAR_ZONES]), instants)
def test_local_date_matches_the_time_zone(hours: OpeningHours, instant: int) -> None:
    local = datetime.fromtimestamp(instant, UTC).astimezone(hours.zone)
    day = hours.local_date(instant)
    assert hours.midnight(day) <= instant < hours.midnight(day + timedelta(days=1))
    if not local.fold:  # a repeated hour after a midnight belongs to the day that began
        assert day == local.date()


def test_an_hour_repeated_before_midnight_stays_on_its_day() -> None:
    # Santiago goes back from 24:00 (-03) to 23:00 (-04) on Saturday 4 April 2026: Saturday has
    # 25 hours, and Sunday begins once, at 00:00 -04.
    santiago = FAR_ZONES[2]
    sunday = unix("2026-04-05T00:00-04:00")
    assert santiago.midnight(date(2026, 4, 5)) == sunday
    assert sunday - santiago.midnight(date(2026, 4, 4)) == 25 * HOUR
    assert santiago.local_date(unix("2026-04-04T23:30-04:00")) == date(2026, 4, 4)
    assert santiago.local_date(sunday) == date(2026, 4, 5)
