"""A follower page reads only the months it changed: the runs of them (not the years between),
and for each entity its interval before the page and after it (not those the page superseded)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from ledger.timevalues import Month
from projections.projection import _before_and_after, _group_by_span

MONTHS = st.integers(min_value=0, max_value=200).map(lambda n: Month(2020, 1).plus(n))


def test_january_and_december_years_apart_are_read_as_two_months() -> None:
    dirty = {"acme": {Month(2020, 1), Month(2025, 12)}, "beta": {Month(2020, 1), Month(2020, 2)}}
    assert _group_by_span(dirty) == {
        (Month(2020, 1), Month(2020, 1)): ["acme"],
        (Month(2025, 12), Month(2025, 12)): ["acme"],
        (Month(2020, 1), Month(2020, 2)): ["beta"],
    }


@given(st.sets(MONTHS, max_size=30))
def test_the_runs_cover_exactly_the_dirty_months_and_each_run_is_maximal(
    months: set[Month],
) -> None:
    runs = sorted(run for run, _ in _group_by_span({"acme": months}).items())
    covered = [m for first, last in runs for m in _span(first, last)]
    assert sorted(covered) == sorted(months)  # every dirty month, none twice, nothing between
    for (_, last), (first, _) in itertools.pairwise(runs):
        assert last.next() != first  # adjacent runs would have been one


def _span(first: Month, last: Month) -> list[Month]:
    found = [first]
    while found[-1] != last:
        found.append(found[-1].next())
    return found


def test_an_outage_opened_and_closed_in_one_page_dirties_its_own_interval_not_until_now() -> None:
    outage, start, end = uuid4(), datetime(2021, 3, 1, tzinfo=UTC), datetime(2021, 3, 2, tzinfo=UTC)
    intervals = [(outage, "acme", start, None, 10), (outage, "acme", start, end, 11)]
    assert _before_and_after(intervals, first=10) == [("acme", start, end)]


def test_an_outage_open_before_the_page_dirties_what_it_had_reached_and_what_it_is_now() -> None:
    outage, start, end = uuid4(), datetime(2021, 3, 1, tzinfo=UTC), datetime(2021, 3, 2, tzinfo=UTC)
    intervals = [
        (outage, "acme", start, None, 4),  # opened: the tables counted it until then
        (outage, "beta", start, None, 4),
        (outage, "acme", start, None, 9),  # said again, still open
        (outage, "acme", start, end, 12),  # the page closes it, for acme alone
    ]
    assert _before_and_after(intervals, first=12) == [
        ("acme", start, None),
        ("acme", start, end),
    ]
