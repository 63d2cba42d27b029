"""Rule `dst_boundaries`: a window boundary in a skipped or repeated hour; one real second counts
at most once (numbers by hand, and a hypothesis property over zones and days)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.calendars import OpeningHours
from ledger.terms import WEEKDAYS, BusinessCalendar

HOUR = 3600


def unix(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def hours(zone: str, *windows: str) -> OpeningHours:
    return OpeningHours(BusinessCalendar(timezone=zone, windows=dict.fromkeys(WEEKDAYS, windows)))


def test_a_window_ending_in_the_amsterdam_gap_ends_at_the_jump() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z). 01:30-02:30 is 01:30 CET to the jump
    # (30 min); 03:00-05:00 CEST is 2 h. 2.5 h of real time, 9 000 s, not 10 800 s.
    calendar = hours("Europe/Amsterdam", "01:30-02:30", "03:00-05:00")
    assert calendar.day_intervals(date(2026, 3, 29)) == (
        (unix("2026-03-29T01:30+01:00"), unix("2026-03-29T03:00+02:00")),
        (unix("2026-03-29T03:00+02:00"), unix("2026-03-29T05:00+02:00")),
    )
    day = (unix("2026-03-29T00:00+01:00"), unix("2026-03-30T00:00+02:00"))
    assert calendar.open_seconds(*day) == 9_000


def test_a_window_in_the_repeated_amsterdam_hour_takes_its_first_occurrence() -> None:
    # 2026-10-25: 03:00 CEST goes back to 02:00 CET. 01:30-02:30 ends at the first 02:30
    # (CEST): 1 h; 02:30-04:00 runs from that first 02:30 to 04:00 CET: 2.5 h real.
    calendar = hours("Europe/Amsterdam", "01:30-02:30", "02:30-04:00")
    assert calendar.day_intervals(date(2026, 10, 25)) == (
        (unix("2026-10-25T01:30+02:00"), unix("2026-10-25T02:30+02:00")),
        (unix("2026-10-25T02:30+02:00"), unix("2026-10-25T04:00+01:00")),
    )
    day = (unix("2026-10-25T00:00+02:00"), unix("2026-10-26T00:00+01:00"))
    assert calendar.open_seconds(*day) == HOUR + 9_000


def test_new_york_spring_forward_target_does_not_run_out_early() -> None:
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT. 01:00-02:30 ends at the jump (1 h), 03:00-04:00
    # is 1 h: 2 h that Sunday; 1.5 h + 1 h = 2.5 h on other days.
    calendar = hours("America/New_York", "01:00-02:30", "03:00-04:00")
    assert (
        calendar.open_seconds(unix("2026-03-08T00:00-05:00"), unix("2026-03-09T00:00-04:00"))
        == 2 * HOUR
    )
    # 10 h of target from Sunday 00:00: 2 h Sunday, 2.5 h Monday to Wednesday (9.5 h), and the
    # last 30 min on Thursday from 01:00.
    due = calendar.add_open_seconds(unix("2026-03-08T00:00-05:00"), 10 * HOUR)
    assert due == unix("2026-03-12T01:30-04:00")


DAYS = [  # each zone's spring-forward and fall-back days of 2026, and a day without either
    ("Europe/Amsterdam", date(2026, 3, 29)),
    ("Europe/Amsterdam", date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("Australia/Lord_Howe", date(2026, 4, 5)),  # back 30 minutes
    ("Australia/Lord_Howe", date(2026, 10, 4)),  # forward 30 minutes
    ("UTC", date(2026, 6, 1)),
]


@st.composite
def windows(draw: st.DrawFn) -> list[str]:
    quarter = st.one_of(st.integers(0, 24 * 4), st.integers(4, 14))  # often near 01:00-03:30
    cuts = sorted(draw(st.sets(quarter, min_size=2, max_size=8)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    pairs = list(zip(cuts[::2], cuts[1::2], strict=True))
    return [f"{a // 4:02d}:{a % 4 * 15:02d}-{b // 4:02d}:{b % 4 * 15:02d}" for a, b in pairs]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(DAYS), windows(), st.sampled_from([0, 0, 0, -1, 1]))
def test_business_seconds_never_exceed_the_real_seconds_the_windows_cover(
    zone_day: tuple[str, date], written: list[str], shift: int
) -> None:
    zone, transition = zone_day
    calendar = hours(zone, *written)
    day = transition + timedelta(days=shift)
    intervals = calendar.day_intervals(day)
    start, end = calendar.midnight(day), calendar.midnight(day + timedelta(days=1))
    previous_end = start
    for open_start, open_end in intervals:  # in order, inside the day, never overlapping
        assert previous_end <= open_start <= open_end <= end
        previous_end = open_end
    covered = intervals[-1][1] - intervals[0][0] if intervals else 0
    counted = calendar.open_seconds(start, end)
    assert counted == sum(b - a for a, b in intervals) <= covered <= end - start
