"""Time values: instants, contract time zones, months and durations.

Every instant in the ledger is timezone-aware; naive input is rejected, never guessed. Durations are
whole seconds. Month boundaries are local midnights in the contract's IANA time zone, so a month's
length is the real elapsed time between them (DST included).

Time zones come from the pinned `tzdata` package, not from the operating system, so a replay gives
the same month lengths on every machine and after every OS update.
"""

from __future__ import annotations

import bisect
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from typing import NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "UTC",
    "Month",
    "contract_zone",
    "duration_text",
    "floor_to_second",
    "format_instant",
    "format_seconds",
    "from_seconds",
    "instant_micros",
    "local_midnight",
    "micros_instant",
    "parse_duration",
    "parse_instant",
    "require_ledger_year",
    "require_offset_in_range",
    "seconds_between",
]

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_DURATION_UNITS = (86400, 3600, 60, 1)


class NaiveDatetimeError(ValueError):
    """An instant was given without a UTC offset."""


@lru_cache(maxsize=256)
def contract_zone(name: str) -> ZoneInfo:
    """Return the IANA time zone `name` from the pinned tz database.

    Raises:
        ValueError: `name` is not an IANA time zone.
    """
    if not re.fullmatch(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*", name):
        raise ValueError(f"{name!r} is not an IANA time zone name")
    try:
        resource = resources.files("tzdata.zoneinfo").joinpath(*name.split("/"))
        with resource.open("rb") as tzfile:
            return ZoneInfo.from_file(tzfile, key=name)
    except (FileNotFoundError, IsADirectoryError, ValueError, ModuleNotFoundError) as error:
        raise ValueError(f"{name!r} is not an IANA time zone name") from error


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant that carries a UTC offset (`Z` or `+01:00`).

    Raises:
        NaiveDatetimeError: the text has no offset.
        ValueError: the text is not an ISO 8601 date-time.
    """
    if not isinstance(text, str):
        raise ValueError("expected an ISO 8601 date-time string with a UTC offset")
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time") from error
    if "T" not in text.upper() and " " not in text:
        raise ValueError(f"{text!r} is a date, not a date-time with a UTC offset")
    require_ledger_year(value)
    return require_offset_in_range(require_aware(value))


# Years a ledger can hold: wide enough for any contract, narrow enough that a month's bounds in any
# time zone stay inside what `datetime` can represent.
FIRST_YEAR = 1900
LAST_YEAR = 9998


def require_ledger_year(value: datetime | date) -> None:
    """Reject dates and instants outside the years a ledger holds (FIRST_YEAR..LAST_YEAR).

    An aware instant is checked both as written and in UTC: 1900-01-01T00:30+01:00 is in 1899.
    """
    inside = FIRST_YEAR <= value.year <= LAST_YEAR
    if inside and isinstance(value, datetime) and value.utcoffset() is not None:
        inside = FIRST_YEAR <= value.astimezone(UTC).year <= LAST_YEAR
    if not inside:
        raise ValueError(
            f"{value.isoformat()} is outside the years a ledger holds ({FIRST_YEAR}-{LAST_YEAR})"
        )


# The UTC offsets real time zones use (-12:00 to +14:00, rounded out to +-14:00). Python accepts
# offsets up to 23:59 and SQLite stores anything, but PostgreSQL refuses offsets past 15:59; one
# rule for both stores: an instant written with an offset beyond +-14:00 is refused.
MAX_UTC_OFFSET = timedelta(hours=14)


def require_offset_in_range(value: datetime) -> datetime:
    """Rule `utc_offsets`: refuse an instant whose UTC offset is beyond +-14:00."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValueError(
            f"{value.isoformat()} has a UTC offset beyond +-14:00 (real time zones use "
            "-12:00 to +14:00)"
        )
    return value


def require_aware(value: datetime) -> datetime:
    """Return `value` unchanged if it carries a UTC offset; reject naive datetimes."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(
            f"{value.isoformat()} has no UTC offset; write it as e.g. "
            f"{value.isoformat()}Z or {value.isoformat()}+01:00"
        )
    return value


def format_instant(value: datetime) -> str:
    """Format an instant as ISO 8601 in UTC with a `Z` suffix (the ledger's output form)."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=8192)  # bounded: a server meets ever new instants
def format_seconds(seconds: int) -> str:
    """`format_instant` of an instant given as whole Unix seconds (cached: reports repeat them)."""
    return format_instant(datetime.fromtimestamp(seconds, UTC))


def from_seconds(seconds: int) -> datetime:
    """The UTC instant of whole Unix seconds."""
    return datetime.fromtimestamp(seconds, UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def instant_micros(value: datetime) -> int:
    """An instant as integer Unix microseconds, exactly (how SQLite tables keep instants)."""
    return (value - _EPOCH) // _MICROSECOND


def micros_instant(micros: int) -> datetime:
    """The UTC instant of integer Unix microseconds (the inverse of `instant_micros`)."""
    return _EPOCH + timedelta(microseconds=micros)


def duration_text(seconds: int) -> str:
    """`5h12m`, `4h`, `45m`, `1h0m30s`: hours and minutes, seconds only when there are any."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}h" if hours else ""
    if minutes or (hours and secs):
        text += f"{minutes}m"
    if secs or not text:
        text += f"{secs}s"
    return text


def floor_to_second(value: datetime) -> int:
    """Return the instant as whole Unix seconds, dropping any fraction.

    Rule `whole_seconds`: the ledger counts durations in whole seconds; an instant such as
    12:00:00.9 counts as 12:00:00. Applying it to both ends keeps every duration an integer.
    """
    return int(value.timestamp() // 1)


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from `start` to `end` (negative if `end` is earlier)."""
    return floor_to_second(end) - floor_to_second(start)


@lru_cache(maxsize=16_384)  # about 45 years of days in one zone
def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant at which `day` begins in `zone` (as an aware UTC datetime)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def parse_duration(text: str) -> int:
    """Parse a duration such as `60m`, `1h30m`, `4h`, `90s`, `2d` or `300` (seconds) into
    seconds: the one parser of the CLI's `--within` and the API's `within`."""
    compact = text.strip().lower()
    if compact.isdigit():
        return int(compact)
    match = _DURATION.fullmatch(compact)
    if not compact or not match:
        raise ValueError(f"{text!r} is not a duration; write e.g. 90s, 60m, 1h30m, 4h, 2d or 300")
    return sum(
        int(part) * unit for part, unit in zip(match.groups(), _DURATION_UNITS, strict=True) if part
    )


class Month(NamedTuple):
    """A calendar month, written `YYYY-MM` (a tuple: it sorts and hashes fast)."""

    year: int
    month: int

    @staticmethod
    def parse(text: str) -> Month:
        match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2026-04")
        year = int(match.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(
                f"{text!r} is outside the years a ledger holds ({FIRST_YEAR}-{LAST_YEAR})"
            )
        return Month(year, int(match.group(2)))

    @staticmethod
    def containing(instant: datetime, zone: ZoneInfo) -> Month:
        local = instant.astimezone(zone)
        return Month(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The month as [start, end) instants: local midnights in `zone`."""
        return local_midnight(self.first_day(), zone), local_midnight(self.next().first_day(), zone)

    def seconds(self, zone: ZoneInfo) -> int:
        start, end = self.bounds(zone)
        return seconds_between(start, end)


def months_touching(start: datetime, end: datetime, zone: ZoneInfo) -> list[Month]:
    """Every month in `zone` that the closed interval [start, end] touches."""
    first, last = Month.containing(start, zone), Month.containing(end, zone)
    months = [first]
    while months[-1] < last:
        months.append(months[-1].next())
    return months


@lru_cache(maxsize=64)
def _month_starts(zone_name: str) -> tuple[list[int], list[Month]]:
    """Unix seconds at which each month 1970-01 to 2199-12 begins in the zone."""
    zone = contract_zone(zone_name)
    months = [Month(1970, 1).plus(n) for n in range(230 * 12)]
    return [int(local_midnight(m.first_day(), zone).timestamp()) for m in months], months


def months_touching_seconds(start: int, end: int, zone_name: str) -> list[Month]:
    """Like `months_touching`, for whole Unix seconds, by lookup in a table of month starts."""
    starts, months = _month_starts(zone_name)
    if not starts[0] <= start <= end < starts[-1]:  # the ledger's years reach past the table
        zone = contract_zone(zone_name)
        return months_touching(
            datetime.fromtimestamp(start, zone), datetime.fromtimestamp(end, zone), zone
        )
    first = bisect.bisect_right(starts, start) - 1
    last = bisect.bisect_right(starts, end) - 1
    return months[first : last + 1]


def utc_now() -> datetime:
    return datetime.now(UTC)


ONE_SECOND = timedelta(seconds=1)
