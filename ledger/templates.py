"""Turning the `terms` written in an import line into complete, stored `ContractTerms`.

Two conveniences are resolved here, once, at signing or amendment:

- `"template": NAME` starts from one of the shipped source SLAs; any field given beside it
  overrides the template's value (objects merge key by key, everything else replaces).
- a calendar's `"holidays": {"country": "NL", "add": [...], "remove": [...]}` is expanded with the
  `holidays` package into an explicit list of dates for the term's first year and ten more.

The stored event keeps only the expanded result, so the clock never consults the library again.
"""

from __future__ import annotations

import copy
import re
from datetime import date, datetime
from importlib.metadata import version
from typing import Any

import holidays as holiday_library

from ledger.terms import WEEKDAYS, ContractTerms
from ledger.timevalues import contract_zone

__all__ = ["TEMPLATES", "expand_terms"]

_FOUR_HOURS = 4 * 3600
_BUSINESS_HOURS = {day: ["09:00-17:00"] for day in WEEKDAYS[:5]}
_EVERY_DAY_8_TO_22 = {day: ["08:00-22:00"] for day in WEEKDAYS}
_DUTCH_WORKING_DAYS = {
    "windows": _BUSINESS_HOURS,
    "on_holidays": "closed",
    "holidays": {"country": "NL"},
}


def _resolution(seconds: int, calendar: str) -> dict[str, Any]:
    return {"targets": [{"metric": "resolution", "seconds": seconds, "calendar": calendar}]}


TEMPLATES: dict[str, dict[str, Any]] = {
    # Cloud video service: 99.9% of each calendar month, 5-minute continuous unavailability,
    # scheduled, emergency and customer-requested maintenance excluded.
    "lifesize-extreme": {
        "timezone": "UTC",
        "availability": {
            "target_percent": "99.9",
            "min_outage_seconds": 300,
            "excluded_maintenance_kinds": ["scheduled", "emergency", "customer_requested"],
            "threshold": "after_exclusions",
        },
    },
    # Studio hardware support, plan (a): 4 hours in Dutch business hours, high and medium.
    "vivition-business": {
        "timezone": "Europe/Amsterdam",
        "support": {
            "calendars": {"business": _DUTCH_WORKING_DAYS},
            "priorities": {
                "high": _resolution(_FOUR_HOURS, "business"),
                "medium": _resolution(_FOUR_HOURS, "business"),
                "low": {"targets": []},
            },
            "priority_change": "retroactive",
        },
    },
    # Plan (b): high priority 4 hours counted 08:00-22:00 every day, holidays included;
    # medium priority 4 hours in business hours.
    "vivition-extended": {
        "timezone": "Europe/Amsterdam",
        "support": {
            "calendars": {
                "business": _DUTCH_WORKING_DAYS,
                "extended": {"windows": _EVERY_DAY_8_TO_22, "on_holidays": "open"},
            },
            "priorities": {
                "high": _resolution(_FOUR_HOURS, "extended"),
                "medium": _resolution(_FOUR_HOURS, "business"),
                "low": {"targets": []},
            },
            "priority_change": "retroactive",
        },
    },
}


class UnknownTemplateError(ValueError):
    pass


def expand_terms(written: dict[str, Any], effective_from: datetime) -> ContractTerms:
    """Resolve a template, defaults and holiday generation, then validate.

    Args:
        written: the `terms` object of an import line.
        effective_from: when the contract version takes effect (gives the default term start).

    Raises:
        pydantic.ValidationError, UnknownTemplateError: the terms are not valid.
    """
    terms = _apply_template(written)
    zone_name = terms.setdefault("timezone", "UTC")
    try:
        zone = contract_zone(zone_name)
    except (TypeError, ValueError):
        return ContractTerms.model_validate(terms)  # pydantic names the field and the reason
    term = terms.setdefault("term", {})
    if isinstance(term, dict):
        term.setdefault("start", effective_from.astimezone(zone).date().isoformat())
    support = terms.get("support")
    if isinstance(support, dict) and isinstance(support.get("calendars"), dict):
        years = _term_years(term)
        for calendar in support["calendars"].values():
            if isinstance(calendar, dict):
                calendar.setdefault("timezone", zone_name)
                _expand_holidays(calendar, years)
    return ContractTerms.model_validate(terms)


def _apply_template(written: dict[str, Any]) -> dict[str, Any]:
    name = written.get("template")
    if name is None:
        return copy.deepcopy(written)
    if name not in TEMPLATES:
        raise UnknownTemplateError(
            f"unknown template {name!r}; known templates: {', '.join(sorted(TEMPLATES))}"
        )
    return _merge(copy.deepcopy(TEMPLATES[name]), copy.deepcopy(written))


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _merge(base[key], value)
        else:
            base[key] = value
    return base


HOLIDAY_YEARS_AHEAD = 10
"""Rule `holiday_years`: generated holidays cover the term's first year and the ten after it, so
renewed terms keep their holidays; a longer contract lists `years` itself."""

_EARLIEST_HOLIDAY_YEAR, _LATEST_HOLIDAY_YEAR = 1900, 2100  # the `holidays` package's horizon
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _term_years(term: Any) -> list[int]:
    try:
        start = date.fromisoformat(term["start"])
    except (KeyError, TypeError, ValueError):
        return []
    return list(range(start.year, start.year + HOLIDAY_YEARS_AHEAD + 1))


def _expand_holidays(calendar: dict[str, Any], default_years: list[int]) -> None:
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
