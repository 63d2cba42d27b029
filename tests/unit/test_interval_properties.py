"""Properties of the interval maths and of the availability fold (hypothesis)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.terms import AvailabilityTerms
from ledger.timevalues import Month, contract_zone, months_touching, months_touching_seconds
from projections.availability.rules import OutageSpan, classify_downtime
from projections.intervals import intersect, merge, subtract, total
from tests.builders import account, month_report

DAY = 86_400
intervals = st.lists(
    st.tuples(st.integers(0, 5_000), st.integers(1, 900)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=25,
)


@given(intervals, st.randoms())
def test_merging_is_order_independent(items: list[tuple[int, int]], rng: object) -> None:
    shuffled = list(items)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert merge(shuffled) == merge(items)


@given(intervals)
def test_merging_is_idempotent_and_leaves_disjoint_gaps(items: list[tuple[int, int]]) -> None:
    merged = merge(items)
    assert merge(merged) == merged
    assert all(a[1] < b[0] for a, b in itertools.pairwise(merged))
    assert total(merged) <= sum(end - start for start, end in items)


@given(intervals, intervals)
def test_subtracting_and_intersecting_partition_the_union(
    items: list[tuple[int, int]], removed: list[tuple[int, int]]
) -> None:
    assert total(subtract(items, removed)) + total(intersect(items, removed)) == total(merge(items))


rules = st.builds(
    AvailabilityTerms,
    min_outage_seconds=st.integers(0, 600),
    threshold=st.sampled_from(["after_exclusions", "before_exclusions"]),
)


@given(intervals, intervals, rules)
def test_every_second_of_outage_is_counted_ignored_or_excluded(
    outages: list[tuple[int, int]], windows: list[tuple[int, int]], terms: AvailabilityTerms
) -> None:
    spans = [OutageSpan(s, e, f"o{i}") for i, (s, e) in enumerate(outages)]
    downtime = classify_downtime(
        spans, [(s, e, f"m{i}") for i, (s, e) in enumerate(windows)], terms
    )
    seconds = sum(p.end - p.start for p in downtime.counted + downtime.ignored + downtime.excluded)
    assert seconds == total(merge(outages))


april_offsets = st.lists(
    st.tuples(st.integers(0, 29 * DAY), st.integers(1, 4 * 3_600)), min_size=0, max_size=12
)


def _april(
    outages: list[tuple[int, int]], maintenance: list[tuple[int, int]], threshold: str
) -> tuple[int, int]:
    base = datetime(2026, 4, 1, tzinfo=UTC)
    builder = account(threshold=threshold)
    for n, (offset, length) in enumerate(outages):
        start = base + timedelta(seconds=offset)
        builder.outage(f"o{n}", start.isoformat(), (start + timedelta(seconds=length)).isoformat())
    for n, (offset, length) in enumerate(maintenance):
        start = base + timedelta(seconds=offset)
        builder.maintenance(
            f"m{n}", start.isoformat(), (start + timedelta(seconds=length)).isoformat()
        )
    r = month_report(builder.build(), Month(2026, 4), query_time=datetime(2026, 6, 1, tzinfo=UTC))
    return r.period_seconds, r.unavailable_seconds


@settings(max_examples=60, deadline=None)
@given(april_offsets, april_offsets, st.sampled_from(["after_exclusions", "before_exclusions"]))
def test_unavailable_plus_available_is_the_period(
    outages: list[tuple[int, int]], maintenance: list[tuple[int, int]], threshold: str
) -> None:
    period, unavailable = _april(outages, maintenance, threshold)
    assert period == 30 * DAY
    assert 0 <= unavailable <= period
    assert (period - unavailable) + unavailable == period


@settings(max_examples=60, deadline=None)
@given(
    april_offsets,
    st.tuples(st.integers(0, 29 * DAY), st.integers(1, 4 * 3_600)),
    april_offsets,
    st.sampled_from(["after_exclusions", "before_exclusions"]),
)
def test_more_outage_never_raises_availability(
    outages: list[tuple[int, int]],
    extra: tuple[int, int],
    maintenance: list[tuple[int, int]],
    threshold: str,
) -> None:
    _, before = _april(outages, maintenance, threshold)
    _, after = _april([*outages, extra], maintenance, threshold)
    assert after >= before


@given(
    st.datetimes(datetime(1900, 1, 2), datetime(9998, 12, 30), timezones=st.just(UTC)),
    st.integers(0, 400 * DAY),
    st.sampled_from(["UTC", "Europe/Amsterdam", "Pacific/Kiritimati", "America/St_Johns"]),
)
def test_the_month_lookup_table_agrees_with_the_calendar_in_every_ledger_year(
    start: datetime, length: int, zone_name: str
) -> None:
    """Rebuilds find an outage's months by table lookup; years outside the table still work."""
    first = int(start.timestamp())
    end = min(first + length, int(datetime(9998, 12, 31, tzinfo=UTC).timestamp()))
    zone = contract_zone(zone_name)
    expected = months_touching(
        datetime.fromtimestamp(first, zone), datetime.fromtimestamp(end, zone), zone
    )
    assert months_touching_seconds(first, end, zone_name) == expected
