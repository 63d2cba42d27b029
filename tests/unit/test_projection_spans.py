"""A follower page reads only the runs of months it changed (not the years between them)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.timevalues import Month
from projections.projection import _group_by_span

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
    for (_, last), (first, _) in zip(runs, runs[1:], strict=False):
        assert last.next() != first  # adjacent runs would have been one


def _span(first: Month, last: Month) -> list[Month]:
    found = [first]
    while found[-1] != last:
        found.append(found[-1].next())
    return found
