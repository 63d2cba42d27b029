"""Terms are expanded once, at signing, into the complete data every rule reads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ledger.errors import FactRejected
from ledger.importing import parse_fact
from ledger.templates import expand_terms, expanded_terms
from tests.factories import signed

JAN_1 = datetime(2026, 1, 1, tzinfo=UTC)


def test_cloud_video_template_has_the_sla_defaults() -> None:
    terms = expand_terms({"template": "lifesize-extreme"}, JAN_1)
    assert terms.availability is not None
    assert terms.availability.target_percent == Decimal("99.9")
    assert terms.availability.min_outage_seconds == 300
    assert terms.availability.excluded_maintenance_kinds == (
        "scheduled",
        "emergency",
        "customer_requested",
    )
    assert terms.availability.threshold == "after_exclusions"
    assert terms.timezone == "UTC"
    assert terms.term.start == date(2026, 1, 1) and terms.term.months == 12


def test_extended_plan_counts_high_priority_every_day_and_medium_in_business_hours() -> None:
    terms = expand_terms({"template": "vivition-extended"}, JAN_1)
    assert terms.support is not None
    high, medium, low = (terms.support.priorities[p] for p in ("high", "medium", "low"))
    assert [(t.metric, t.seconds, t.calendar) for t in high.targets] == [
        ("resolution", 14400, "extended")
    ]
    assert [(t.metric, t.seconds, t.calendar) for t in medium.targets] == [
        ("resolution", 14400, "business")
    ]
    assert low.targets == ()
    extended = terms.support.calendars["extended"]
    assert extended.on_holidays == "open" and extended.windows["sun"] == ("08:00-22:00",)
    business = terms.support.calendars["business"]
    assert business.windows["mon"] == ("09:00-17:00",) and "sat" not in business.windows


def test_dutch_holidays_are_generated_for_the_term_and_stored_as_dates() -> None:
    terms = expand_terms({"template": "vivition-business"}, JAN_1)
    assert terms.support is not None
    holidays = terms.support.calendars["business"].holidays
    assert date(2026, 4, 27) in holidays.dates  # King's Day
    assert date(2026, 4, 3) in holidays.dates  # Good Friday is PUBLIC in holidays 0.109
    assert date(2026, 5, 5) not in holidays.dates  # Liberation Day: public only in lustrum years
    assert holidays.source.startswith("holidays 0.109 NL")


def test_good_friday_removed_and_liberation_day_added_by_contract() -> None:
    terms = expand_terms(
        {
            "template": "vivition-business",
            "support": {
                "calendars": {
                    "business": {
                        "holidays": {
                            "country": "NL",
                            "remove": ["2026-04-03"],
                            "add": ["2026-05-05"],
                        }
                    }
                }
            },
        },
        JAN_1,
    )
    assert terms.support is not None
    holidays = terms.support.calendars["business"].holidays
    assert date(2026, 4, 3) not in holidays.dates and date(2026, 5, 5) in holidays.dates
    assert "removed 2026-04-03" in holidays.source and "added 2026-05-05" in holidays.source
    # the override replaced only what it named: the opening hours come from the template
    assert terms.support.calendars["business"].windows["fri"] == ("09:00-17:00",)


def test_a_term_starting_mid_year_gets_both_years_holidays() -> None:
    terms = expand_terms({"template": "vivition-business", "term": {"start": "2026-07-15"}}, JAN_1)
    assert terms.support is not None
    dates = terms.support.calendars["business"].holidays.dates
    assert date(2026, 12, 25) in dates and date(2027, 4, 27) in dates


def test_holidays_reach_ten_years_past_the_term_start_so_renewed_terms_keep_them() -> None:
    """Rule `holiday_years`: a 2024 contract renewed twice still closes on King's Day 2026."""
    terms = expand_terms({"template": "vivition-business", "term": {"start": "2024-01-01"}}, JAN_1)
    assert terms.support is not None
    holidays = terms.support.calendars["business"].holidays
    assert {date(2024, 4, 27), date(2026, 4, 27), date(2034, 4, 27)} <= set(holidays.dates)
    assert date(2035, 4, 27) not in holidays.dates
    assert "NL 2024-2034" in holidays.source


def test_holidays_for_the_years_a_contract_lists() -> None:
    terms = expand_terms(
        {
            "template": "vivition-business",
            "support": {
                "calendars": {"business": {"holidays": {"country": "NL", "years": [2040]}}}
            },
        },
        JAN_1,
    )
    assert terms.support is not None
    assert terms.support.calendars["business"].holidays.dates[0].year == 2040
    unset = expand_terms(
        {
            "template": "vivition-business",
            "support": {"calendars": {"business": {"holidays": {"country": "NL", "years": None}}}},
        },
        JAN_1,
    )
    assert unset.support is not None
    assert "NL 2026-2036" in unset.support.calendars["business"].holidays.source


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"country": "XX"}, "Country XX not available"),
        ({"country": "NL", "subdivision": "ZZ"}, "does not have subdivision ZZ"),
        ({"country": 5}, "must be strings"),
        ({"country": "NL", "add": [None]}, "holidays.add: a list of dates"),
        ({"country": "NL", "remove": 5}, "holidays.remove: a list of dates"),
        ({"country": "NL", "add": ["2026-02-30"]}, "holidays.add: day is out of range"),
        ({"country": "NL", "years": [99999]}, "holidays.years: a list of years 1900-2100"),
        ({"country": "NL", "years": "2026"}, "holidays.years"),
        ({"country": "NL", "years": []}, "holidays.years"),
        ({"country": "NL", "years": [1900]}, "knows no NL holidays in 1900"),
        ({"country": "NL", "add": ["20260403"]}, 'like "2026-04-03"'),
    ],
)
def test_a_bad_holiday_list_is_rejected_with_its_reason(
    spec: dict[str, object], reason: str
) -> None:
    fact = parse_fact(signed(support={"calendars": {"b": {"holidays": spec}}, "priorities": {}}))
    assert fact.type == "contract.signed"
    with pytest.raises(FactRejected) as rejected:
        expanded_terms(fact)
    assert rejected.value.problems[0][0] == "terms"
    assert reason in rejected.value.problems[0][1]


def test_the_term_start_defaults_to_the_local_date_of_the_effective_time() -> None:
    amsterdam_midnight = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)  # 2026-01-01 00:00 +01:00
    terms = expand_terms({"template": "vivition-business"}, amsterdam_midnight)
    assert terms.term.start == date(2026, 1, 1)


@pytest.mark.parametrize(
    ("terms", "field", "reason"),
    [
        ({"template": "nope"}, "terms", "unknown template 'nope'"),
        ({"timezone": "Mars/Olympus"}, "terms.timezone", "not an IANA time zone"),
        (
            {"availability": {"target_percent": "101"}},
            "terms.availability.target_percent",
            "less than or equal",
        ),
        (
            {"availability": {"threshold": "sometimes"}},
            "terms.availability.threshold",
            "Input should be",
        ),
        (
            {
                "template": "vivition-business",
                "support": {
                    "priorities": {
                        "high": {
                            "targets": [
                                {"metric": "resolution", "seconds": 60, "calendar": "nights"}
                            ]
                        }
                    }
                },
            },
            "terms.support",
            "calendar 'nights'",
        ),
        (
            {
                "support": {
                    "calendars": {"b": {"windows": {"mon": ["17:00-09:00"]}}},
                    "priorities": {},
                }
            },
            "terms.support.calendars.b.windows",
            "must start before it ends",
        ),
        (
            {"credits": {"monthly_fee": {"amount": "10", "currency": "euro"}}},
            "terms.credits.monthly_fee.currency",
            "pattern",
        ),
        ({"unexpected": 1}, "terms.unexpected", "Extra inputs"),
    ],
)
def test_invalid_terms_name_the_field(terms: dict[str, object], field: str, reason: str) -> None:
    fact = parse_fact(signed(**terms))
    assert fact.type == "contract.signed"
    with pytest.raises(FactRejected) as rejected:
        expanded_terms(fact)
    fields = [found for found, _ in rejected.value.problems]
    reasons = " | ".join(found for _, found in rejected.value.problems)
    assert any(found.startswith(field) for found in fields), fields
    assert reason in reasons


def test_stored_terms_serialise_money_and_percentages_as_strings() -> None:
    terms = expand_terms(
        {
            "template": "lifesize-extreme",
            "credits": {
                "monthly_fee": {"amount": "1000.00", "currency": "EUR"},
                "availability_tiers": [{"below_percent": "99.9", "credit_percent": "10"}],
            },
        },
        JAN_1,
    )
    stored = terms.stored_form()
    assert stored["credits"]["monthly_fee"] == {"amount": "1000.00", "currency": "EUR"}
    assert stored["availability"]["target_percent"] == "99.9"
