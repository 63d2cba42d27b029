"""Turning the `terms` written in an import line into complete, stored `ContractTerms`.

Two conveniences are resolved here, once, at signing or amendment:

- `"template": NAME` starts from one of the shipped source SLAs; any field given beside it
  overrides the template's value (objects merge key by key, everything else replaces).
- an amendment, a `PUT` after signing or a what-if proposal is a patch (rule `patch_terms`): it
  is laid over the terms in force at its `effective_from`, as a JSON merge patch (RFC 7386):
  objects merge key by key, `null` removes a key, lists and other values replace whole, and a
  calendar's `holidays` replaces whole. `"replace": true` among the terms replaces them whole.
- a calendar's `"holidays": {"country": "NL", "add": [...], "remove": [...]}` is expanded into an
  explicit list of dates (`ledger.holidays`).

The stored event keeps only the expanded result, so the clock never consults the library again.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from ledger.errors import FactRejected
from ledger.holidays import expand_holidays, term_years
from ledger.terms import WEEKDAYS, ContractTerms
from ledger.timevalues import contract_zone

__all__ = ["TEMPLATES", "expand_terms", "expanded_terms", "merge_terms", "patch_terms"]

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


def expand_terms(
    written: dict[str, Any], effective_from: datetime, base: ContractTerms | None = None
) -> ContractTerms:
    """Resolve a patch, a template, defaults and holiday generation, then validate.

    Args:
        written: the `terms` object of an import line.
        effective_from: when the contract version takes effect (gives the default term start).
        base: the terms in force at `effective_from`, which `written` patches (rule
            `patch_terms`); None for a signing.

    Raises:
        pydantic.ValidationError, UnknownTemplateError: the terms are not valid.
    """
    terms = patch_terms(base, written)
    zone_name = terms.setdefault("timezone", "UTC")
    try:
        zone = contract_zone(zone_name)
    except (TypeError, ValueError):
        # pydantic names the zone and the reason; the term gets a stand-in start (in UTC) so
        # that a mistyped zone is reported alone, not with a spurious `term` problem
        term = terms.setdefault("term", {})
        if isinstance(term, dict):
            term.setdefault("start", effective_from.astimezone(UTC).date().isoformat())
        return ContractTerms.model_validate(terms)
    term = terms.setdefault("term", {})
    if isinstance(term, dict):
        term.setdefault("start", effective_from.astimezone(zone).date().isoformat())
    support = terms.get("support")
    if isinstance(support, dict) and isinstance(support.get("calendars"), dict):
        years = term_years(term)
        for calendar in support["calendars"].values():
            if isinstance(calendar, dict):
                calendar.setdefault("timezone", zone_name)
                expand_holidays(calendar, years)
    return ContractTerms.model_validate(terms)


def _apply_template(written: dict[str, Any]) -> dict[str, Any]:
    name = written.get("template")
    if name is None:
        return copy.deepcopy(written)
    if name not in TEMPLATES:
        raise UnknownTemplateError(
            f"unknown template {name!r}; known templates: {', '.join(sorted(TEMPLATES))}"
        )
    return merge_terms(copy.deepcopy(TEMPLATES[name]), copy.deepcopy(written))


def patch_terms(base: ContractTerms | None, patch: dict[str, Any]) -> dict[str, Any]:
    """Rule `patch_terms`: `patch` laid over the terms in force, `base`.

    Objects merge key by key, `null` removes a key, anything else (lists included) replaces; a
    calendar's `holidays` replaces whole (a new spec is generated anew). A patch naming a
    template other than `base`'s takes that template's values over `base` first. With
    `"replace": true`, or with no `base` (a signing), the patch is the whole terms (a template
    applied as at signing).

    Raises:
        UnknownTemplateError: the patch names an unknown template, or `replace` is no boolean.
    """
    written = copy.deepcopy(patch)
    replace = written.pop("replace", False)
    if not isinstance(replace, bool):
        raise UnknownTemplateError("replace: true (the terms replace those in force) or false")
    if replace or base is None:
        return _apply_template(written)
    terms = base.stored_form()
    name = written.get("template")
    if name is not None and name != base.template:
        terms = _merge_patch(terms, _apply_template({"template": name}))
    return _merge_patch(terms, written)


def _merge_patch(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict) and key != "holidays":
            base[key] = _merge_patch(base[key], value)
        else:
            base[key] = value
    return base


def merge_terms(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` laid over `base`: objects merge key by key, anything else replaces."""
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = merge_terms(base[key], value)
        else:
            base[key] = value
    return base


class WrittenTerms(Protocol):
    """A contract fact: terms as written, and when they take effect."""

    @property
    def terms(self) -> dict[str, Any]: ...
    @property
    def effective_from(self) -> datetime: ...


def expanded_terms(fact: WrittenTerms, base: ContractTerms | None = None) -> ContractTerms:
    """The complete terms of a contract fact (template applied, holidays generated), laid over
    `base`, the terms in force at its date, when it patches them (rule `patch_terms`).

    Raises:
        FactRejected: the terms are invalid; fields are named from the line's root (`terms...`).
    """
    try:
        return expand_terms(fact.terms, fact.effective_from, base)
    except ValidationError as error:
        raise FactRejected(
            [
                (
                    ".".join(["terms", *(str(part) for part in item["loc"])]),
                    item["msg"].removeprefix("Value error, "),
                )
                for item in error.errors(include_url=False)
            ]
        ) from None
    except ValueError as error:
        raise FactRejected([("terms", str(error))]) from None
