"""Business-time arithmetic over a `BusinessCalendar`.

Opening windows are written in local wall-clock time; they are turned into instants day by day, so
a window's length is the real time between its two instants. A Sunday 08:00-22:00 window on the day
the clocks go forward is still 14 hours long, while the night before it is one hour shorter.

Instants here are whole Unix seconds (`int`): the ledger's durations are whole seconds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Literal

from ledger.terms import WEEKDAYS, BusinessCalendar, window_minutes
from ledger.timevalues import contract_zone

__all__ = ["ClosedReason", "OpeningHours", "StretchKind", "opening_hours"]

ClosedReason = Literal["closed", "holiday"]
StretchKind = Literal["open", "closed", "holiday"]
_MAX_DAYS_WITHOUT_OPENING = 3700  # ten years: a calendar that never opens is an error, not a hang
_EPOCH_DAY = date(1970, 1, 1)
_ONE_DAY = timedelta(days=1)


class OpeningHours:
    """A compiled calendar: which instants are open time."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.zone = contract_zone(calendar.timezone)
        self.windows: list[list[tuple[int, int]]] = [
            [window_minutes(window) for window in calendar.windows.get(day, ())] for day in WEEKDAYS
        ]
        self.holidays = frozenset(calendar.holidays.dates)
        self.closed_on_holidays = calendar.on_holidays == "closed"
        self._days: dict[date, tuple[tuple[int, int], ...]] = {}
        self._midnights: dict[date, int] = {}
        if not any(self.windows):
            raise ValueError("the calendar has no opening windows on any weekday")

    def is_closed_for_holiday(self, day: date) -> bool:
        return self.closed_on_holidays and day in self.holidays

    def day_intervals(self, day: date) -> tuple[tuple[int, int], ...]:
        """Open intervals of local `day`, as Unix-second pairs (empty on a closed holiday)."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        intervals: tuple[tuple[int, int], ...] = ()
        if not self.is_closed_for_holiday(day):
            intervals = tuple(
                (self._instant(day, start), self._instant(day, end))
                for start, end in self.windows[day.weekday()]
            )
        self._days[day] = intervals
        return intervals

    def midnight(self, day: date) -> int:
        """The instant local `day` begins."""
        cached = self._midnights.get(day)
        if cached is None:
            cached = self._midnights[day] = self._instant(day, 0)
        return cached

    def _instant(self, day: date, minutes: int) -> int:
        """Rule `dst_boundaries`: the instant of a local wall time on `day`.

        Wall-clock time first, then the zone: 22:00 on a DST day resolves to its real instant. A
        wall time the clocks skip (inside a spring-forward gap) moves to the gap's end, the
        instant the clocks jumped; a wall time the clocks repeat (fall-back) is its first
        occurrence. So later wall times never map to earlier instants, windows never overlap,
        and one real second counts at most once.
        """
        wall = datetime.combine(day, time(0)) + timedelta(minutes=minutes)
        first = wall.replace(tzinfo=self.zone)  # fold=0: the earlier offset
        instant = int(first.timestamp())
        if datetime.fromtimestamp(instant, self.zone).replace(tzinfo=None) == wall:
            return instant
        return self._gap_end(int(wall.replace(tzinfo=self.zone, fold=1).timestamp()), instant)

    def _gap_end(self, before: int, after: int) -> int:
        """The first instant in (before, after] with the offset `after` has: the clocks' jump."""
        offset = datetime.fromtimestamp(after, self.zone).utcoffset()
        while after - before > 1:
            middle = (before + after) // 2
            if datetime.fromtimestamp(middle, self.zone).utcoffset() == offset:
                after = middle
            else:
                before = middle
        return after

    def local_date(self, instant: int) -> date:
        """The local date of `instant`: the day whose local midnights bracket it.

        Found from the UTC date and the cached midnights. A day begins at its first local
        midnight, so days never overlap (in a zone that went back across midnight, the repeated
        minutes after it belong to the day that had begun).
        """
        day = _EPOCH_DAY + timedelta(days=instant // 86_400)
        while instant < self.midnight(day):
            day -= _ONE_DAY
        while instant >= self.midnight(day + _ONE_DAY):
            day += _ONE_DAY
        return day

    def open_intervals(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Open intervals inside [start, end), clipped to it, in order."""
        day = self.local_date(start)
        while True:
            intervals = self.day_intervals(day)
            for open_start, open_end in intervals:
                if open_end <= start:
                    continue
                if open_start >= end:
                    return
                yield max(open_start, start), min(open_end, end)
            if self.midnight(day + timedelta(days=1)) >= end:
                return
            day += timedelta(days=1)

    def open_seconds(self, start: int, end: int) -> int:
        """Seconds of open time in [start, end)."""
        if end <= start:
            return 0
        return sum(b - a for a, b in self.open_intervals(start, end))

    def add_open_seconds(self, start: int, seconds: int) -> int:
        """The instant at which `seconds` of open time have passed since `start`.

        With `seconds == 0` the answer is `start` itself: nothing is left to use.
        """
        if seconds <= 0:
            return start
        remaining = seconds
        day = self.local_date(start)
        for _ in range(_MAX_DAYS_WITHOUT_OPENING * 10):
            for open_start, open_end in self.day_intervals(day):
                if open_end <= start:
                    continue
                usable_from = max(open_start, start)
                if open_end - usable_from >= remaining:
                    return usable_from + remaining
                remaining -= open_end - usable_from
            day += timedelta(days=1)
        raise ValueError("the calendar does not open often enough to reach the target")

    def next_open_instant(self, instant: int) -> int:
        """The first instant at or after `instant` at which the calendar is open."""
        day = self.local_date(instant)
        for _ in range(_MAX_DAYS_WITHOUT_OPENING * 10):
            for open_start, open_end in self.day_intervals(day):
                if open_end > instant:
                    return max(open_start, instant)
            day += timedelta(days=1)
        raise ValueError("the calendar does not open often enough to reach the target")

    def closed_stretches(self, start: int, end: int) -> Iterator[tuple[int, int, ClosedReason]]:
        """The gaps between open intervals inside [start, end), with why each is closed."""
        for piece_start, piece_end, kind in self.partition(start, end):
            if kind != "open":
                yield piece_start, piece_end, kind

    def partition(self, start: int, end: int) -> Iterator[tuple[int, int, StretchKind]]:
        """[start, end) cut into open and closed pieces, in order, each labelled with its kind."""
        cursor = start
        for open_start, open_end in self.open_intervals(start, end):
            if open_start > cursor:
                yield from self._explain_gap(cursor, open_start)
            yield open_start, open_end, "open"
            cursor = open_end
        if cursor < end:
            yield from self._explain_gap(cursor, end)

    def _explain_gap(self, start: int, end: int) -> Iterator[tuple[int, int, ClosedReason]]:
        """Split a closed gap at local midnights so that holidays are named as such."""
        cursor = start
        while cursor < end:
            day = self.local_date(cursor)
            next_midnight = self.midnight(day + timedelta(days=1))
            piece_end = min(end, next_midnight)
            reason: ClosedReason = "holiday" if self.is_closed_for_holiday(day) else "closed"
            yield cursor, piece_end, reason
            cursor = piece_end


_COMPILED: OrderedDict[int, tuple[BusinessCalendar, OpeningHours]] = OrderedDict()
_COMPILED_LIMIT = 4096
_COMPILED_LOCK = threading.Lock()  # the API serves reports from several threads


def opening_hours(calendar: BusinessCalendar) -> OpeningHours:
    """The compiled form of `calendar`, reused while the same terms object is alive."""
    key = id(calendar)
    with _COMPILED_LOCK:
        cached = _COMPILED.get(key)
        if cached is not None and cached[0] is calendar:
            _COMPILED.move_to_end(key)
            return cached[1]
    hours = OpeningHours(calendar)
    with _COMPILED_LOCK:
        _COMPILED[key] = (calendar, hours)  # holding the calendar keeps its id from being reused
        if len(_COMPILED) > _COMPILED_LIMIT:
            _COMPILED.popitem(last=False)
    return hours
