"""Turning the `terms` written in an import line into complete, stored `ContractTerms`.

Two conveniences are resolved here, once, at signing or amendment:

- `"template": NAME` starts from one of the shipped source SLAs; any field given beside it
  overrides the template's value (objects merge key by key, everything else replaces).
- a calendar's `"holidays": {"country": "NL", "add": [...], "remove": [...]}` is expanded with the
  `holidays` package into an explicit list of dates for the subscription term's years.

The stored event keeps only the expanded result, so the clock never consults the library again.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from importlib.metadata import version
from typing import Any

import holidays as holiday_library

from ledger.terms import WEEKDAYS, ContractTerms
from ledger.timevalues import Month, contract_zone

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


def _term_years(term: Any) -> list[int]:
    try:
        start = date.fromisoformat(term["start"])
        months = int(term.get("months", 12))
    except (KeyError, TypeError, ValueError):
        return []
    first = Month(start.year, start.month)
    last = first.plus(months)  # the term ends inside this month, or at its start
    return list(range(first.year, last.year + 1))


def _expand_holidays(calendar: dict[str, Any], default_years: list[int]) -> None:
    spec = calendar.get("holidays")
    if not isinstance(spec, dict) or "country" not in spec:
        return
    unknown = set(spec) - {"country", "years", "add", "remove", "subdivision"}
    if unknown:
        raise ValueError(f"holidays: unknown field(s) {', '.join(sorted(unknown))}")
    years = spec.get("years") or default_years
    generated = holiday_library.country_holidays(
        spec["country"], subdiv=spec.get("subdivision"), years=years
    )
    added = {date.fromisoformat(str(day)) for day in spec.get("add", [])}
    removed = {date.fromisoformat(str(day)) for day in spec.get("remove", [])}
    dates = (set(generated) | added) - removed
    source = f"holidays {version('holidays')} {spec['country']} {_years_text(years)}"
    if added:
        source += "; added " + ", ".join(sorted(day.isoformat() for day in added))
    if removed:
        source += "; removed " + ", ".join(sorted(day.isoformat() for day in removed))
    calendar["holidays"] = {"dates": sorted(day.isoformat() for day in dates), "source": source}


def _years_text(years: list[int]) -> str:
    if len(years) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ",".join(str(year) for year in years)
