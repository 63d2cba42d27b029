"""The timeline picture's geometry: every mark lies inside the picture, keeps the order of its
period, and a short period is still visible (property tests over arbitrary periods)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from api.web.timeline import MIN_WIDTH, WIDTH, place

FIRST = datetime(2026, 3, 1, tzinfo=UTC)
LAST = datetime(2026, 4, 1, tzinfo=UTC)
SPAN = int((LAST - FIRST).total_seconds())


@given(st.integers(0, SPAN), st.integers(0, SPAN), st.integers(0, SPAN), st.integers(0, SPAN))
def test_marks_lie_inside_and_keep_their_order(a: int, b: int, c: int, d: int) -> None:
    (s1, e1), (s2, e2) = sorted([(min(a, b), max(a, b)), (min(c, d), max(c, d))])
    x1, w1 = place(FIRST + timedelta(seconds=s1), FIRST + timedelta(seconds=e1), FIRST, LAST)
    x2, _ = place(FIRST + timedelta(seconds=s2), FIRST + timedelta(seconds=e2), FIRST, LAST)
    assert 0 <= x1 <= WIDTH and w1 >= MIN_WIDTH
    assert x1 + w1 <= WIDTH + 0.01  # inside the right edge too (0.01: the rounding)
    assert x1 <= x2  # a later start is never drawn left of an earlier one


def test_a_worked_placement() -> None:
    """10 March 10:00-11:00 of a 31-day March: 9 days 10 h = 813,600 s from the start, 3,600 s
    long: x = 813,600 / 2,678,400 x 720 = 218.71; width 0.97 -> the 3-unit minimum."""
    start, end = datetime(2026, 3, 10, 10, tzinfo=UTC), datetime(2026, 3, 10, 11, tzinfo=UTC)
    x, width = place(start, end, FIRST, LAST)
    assert (x, width) == (218.71, 3)
    last_minute = place(LAST - timedelta(minutes=2), LAST, FIRST, LAST)
    assert last_minute == (WIDTH - MIN_WIDTH, MIN_WIDTH)  # drawn inside the right edge
