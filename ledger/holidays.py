"""Public holidays: a calendar's `holidays` spec expanded into an explicit list of dates.

`{"country": "NL", "add": [...], "remove": [...], "years": [...], "subdivision": ...}` becomes
`{"dates": [...], "source": "holidays 0.109 NL 2026-2036; ..."}` once, at signing, with the
pinned `holidays` package (this is its one importer). The stored terms keep only the dates, so
no clock ever consults the library again.
"""

from __future__ import annotations

import re
from datetime import date
from importlib.metadata import version
from typing import Any

import holidays as holiday_library

__all__ = ["HOLIDAY_YEARS_AHEAD", "expand_holidays", "term_years"]

HOLIDAY_YEARS_AHEAD = 10
"""Rule `holiday_years`: generated holidays cover the term's first year and the ten after it, so
renewed terms keep their holidays; a longer contract lists `years` itself."""

_EARLIEST_HOLIDAY_YEAR, _LATEST_HOLIDAY_YEAR = 1900, 2100  # the `holidays` package's horizon
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def term_years(term: Any) -> list[int]:
    """The years whose holidays a term starting on `term["start"]` gets by default."""
    try:
        start = date.fromisoformat(term["start"])
    except (KeyError, TypeError, ValueError):
        return []
    return list(range(start.year, start.year + HOLIDAY_YEARS_AHEAD + 1))


def expand_holidays(calendar: dict[str, Any], default_years: list[int]) -> None:
    """Replace the calendar's `holidays` spec (if it names a country) by its dates.

    Raises:
        ValueError: the spec is not valid, or gives no holidays (list the dates instead).
    """
    spec = calendar.get("holidays")
    if not isinstance(spec, dict) or "country" not in spec:
        return
    unknown = set(spec) - {"country", "years", "add", "remove", "subdivision"}
    if unknown:
        raise ValueError(f"holidays: unknown field(s) {', '.join(sorted(unknown))}")
    country, subdivision = spec["country"], spec.get("subdivision")
    if not isinstance(country, str) or not isinstance(subdivision, str | None):
        raise ValueError('holidays: country and subdivision must be strings, e.g. "NL"')
    years = default_years if spec.get("years") is None else _holiday_years(spec["years"])
    years = [year for year in years if year <= _LATEST_HOLIDAY_YEAR]
    try:
        generated = holiday_library.country_holidays(country, subdiv=subdivision, years=years)
    except NotImplementedError as error:
        raise ValueError(f"holidays: {error}") from None
    if not generated:
        raise ValueError(
            f"holidays: the holidays package knows no {country} holidays in "
            f"{_years_text(years) or 'those years'}; list the dates as `dates` instead"
        )
    added = _holiday_dates(spec, "add")
    removed = _holiday_dates(spec, "remove")
    dates = (set(generated) | added) - removed
    source = f"holidays {version('holidays')} {country} {_years_text(years)}"
    if added:
        source += "; added " + ", ".join(sorted(day.isoformat() for day in added))
    if removed:
        source += "; removed " + ", ".join(sorted(day.isoformat() for day in removed))
    calendar["holidays"] = {"dates": sorted(day.isoformat() for day in dates), "source": source}


def _holiday_years(years: Any) -> list[int]:
    if (
        not isinstance(years, list)
        or not years
        or not all(
            type(year) is int and _EARLIEST_HOLIDAY_YEAR <= year <= _LATEST_HOLIDAY_YEAR
            for year in years
        )
    ):
        raise ValueError(
            f"holidays.years: a list of years {_EARLIEST_HOLIDAY_YEAR}-{_LATEST_HOLIDAY_YEAR}"
        )
    return sorted(set(years))


def _holiday_dates(spec: dict[str, Any], field: str) -> set[date]:
    days = spec.get(field, [])
    if not isinstance(days, list) or not all(
        isinstance(day, str) and _ISO_DATE.match(day) for day in days
    ):
        raise ValueError(f'holidays.{field}: a list of dates like "2026-04-03"')
    try:
        return {date.fromisoformat(day) for day in days}
    except ValueError as error:
        raise ValueError(f"holidays.{field}: {error}") from None


def _years_text(years: list[int]) -> str:
    if len(years) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ",".join(str(year) for year in years)
