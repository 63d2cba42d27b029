"""Monthly availability, worked by hand: every expected number is computed in the test."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledger.errors import InvalidQuery
from ledger.timevalues import Month
from projections.availability import AvailabilityReport
from tests.builders import AccountBuilder, account, at, month_report

NOW = datetime(2026, 11, 1, tzinfo=UTC)
DAY = 86_400


def report(builder: AccountBuilder, month: str, query_time: datetime = NOW) -> AvailabilityReport:
    return month_report(builder.build(), Month.parse(month), query_time=query_time)


def test_april_is_30_days_and_45_minutes_down_misses_99_9() -> None:
    r = report(account().outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:45:00Z"), "2026-04")
    assert r.period_seconds == 30 * DAY == 2_592_000
    assert r.unavailable_seconds == 45 * 60 == 2_700
    # (2_592_000 - 2_700) / 2_592_000 * 100 = 99.895833...
    assert (r.availability_percent, r.met) == ("99.8958", False)
    assert r.target_percent == "99.9"


@pytest.mark.parametrize(
    ("minutes_seconds", "shown", "met"),
    [
        # 0.1% of April is 2_592 s (43:12): exactly that is still 99.9000 and met ...
        ("43:12", "99.9000", True),
        # ... one second more is 99.899961... and shown rounded down, never as 99.9000.
        ("43:13", "99.8999", False),
    ],
)
def test_the_target_is_compared_exactly_and_shown_rounded_down(
    minutes_seconds: str, shown: str, met: bool
) -> None:
    end = f"2026-04-05T12:{minutes_seconds}Z"
    r = report(account().outage("o-1", "2026-04-05T12:00:00Z", end), "2026-04")
    assert (r.availability_percent, r.met) == (shown, met)


@pytest.mark.parametrize(
    ("month", "days", "budget_met", "budget_missed"),
    [
        # 31 days = 2_678_400 s: 0.1% is 2_678.4 s
        ("2026-05", 31, 2_678, 2_679),
        # February 2026, a common year: 2_419_200 s, 0.1% = 2_419.2 s
        ("2026-02", 28, 2_419, 2_420),
        # February 2028, a leap year: 2_505_600 s, 0.1% = 2_505.6 s
        ("2028-02", 29, 2_505, 2_506),
    ],
)
def test_month_lengths(month: str, days: int, budget_met: int, budget_missed: int) -> None:
    start = f"{month}-10T00:00:00+00:00"
    for seconds, met in ((budget_met, True), (budget_missed, False)):
        end = datetime.fromisoformat(start).timestamp() + seconds
        builder = account().outage("o", start, datetime.fromtimestamp(end, UTC).isoformat())
        r = report(builder, month)
        assert r.period_seconds == days * DAY
        assert r.met is met


def test_dst_months_in_amsterdam_are_an_hour_shorter_and_longer() -> None:
    amsterdam = account(effective_from="2026-01-01T00:00:00+01:00", timezone="Europe/Amsterdam")
    march = report(amsterdam, "2026-03")
    october = report(amsterdam, "2026-10")
    assert march.period_seconds == 31 * DAY - 3_600 == 2_674_800
    assert october.period_seconds == 31 * DAY + 3_600 == 2_682_000
    assert march.month_start == at("2026-02-28T23:00:00Z")  # local midnight, CET
    assert october.month_end == at("2026-10-31T23:00:00Z")  # local midnight, CET again


def test_the_same_2675_second_outage_breaches_march_in_amsterdam_but_not_in_utc() -> None:
    outage = ("o-1", "2026-03-10T10:00:00Z", "2026-03-10T10:44:35Z")  # 2_675 s
    amsterdam = account(effective_from="2026-01-01T00:00:00+01:00", timezone="Europe/Amsterdam")
    utc = account()
    # 0.1% of 2_674_800 is 2_674.8 s: breached; 0.1% of 2_678_400 is 2_678.4 s: met
    assert report(amsterdam.outage(*outage), "2026-03").met is False
    assert report(utc.outage(*outage), "2026-03").met is True


def test_an_outage_across_a_month_boundary_is_judged_whole_then_split() -> None:
    amsterdam = account(effective_from="2026-01-01T00:00:00+01:00", timezone="Europe/Amsterdam")
    amsterdam.outage("o-8min", "2026-04-30T23:58:00+02:00", "2026-05-01T00:06:00+02:00")
    april, may = report(amsterdam, "2026-04"), report(amsterdam, "2026-05")
    assert (april.unavailable_seconds, may.unavailable_seconds) == (120, 360)
    assert april.unavailable_periods[0].continuous_seconds == 480
    assert may.unavailable_periods[0].start == at("2026-04-30T22:00:00Z")


def test_a_four_minute_outage_across_the_boundary_counts_in_neither_month() -> None:
    builder = account().outage("o-4min", "2026-04-30T23:58:00Z", "2026-05-01T00:02:00Z")
    april, may = report(builder, "2026-04"), report(builder, "2026-05")
    assert april.unavailable_seconds == may.unavailable_seconds == 0
    assert (april.ignored_seconds, may.ignored_seconds) == (120, 120)
    assert "shorter than the 300 s threshold" in april.ignored_periods[0].reason


@pytest.mark.parametrize(
    ("end", "counted"),
    [("2026-04-05T12:05:00Z", 300), ("2026-04-05T12:04:59Z", 0)],
)
def test_five_minutes_exactly_counts_and_four_fifty_nine_does_not(end: str, counted: int) -> None:
    r = report(account().outage("o", "2026-04-05T12:00:00Z", end), "2026-04")
    assert r.unavailable_seconds == counted
    assert r.ignored_seconds == (0 if counted else 299)


def test_overlapping_reports_of_one_outage_never_count_twice() -> None:
    builder = (
        account()
        .outage("monitor-a", "2026-04-05T10:00:00Z", "2026-04-05T10:10:00Z")
        .outage("monitor-b", "2026-04-05T10:05:00Z", "2026-04-05T10:20:00Z")
    )
    r = report(builder, "2026-04")
    assert r.unavailable_seconds == 20 * 60
    assert r.unavailable_periods[0].outage_ids == ["monitor-a", "monitor-b"]


def test_touching_outages_are_one_continuous_period() -> None:
    builder = (
        account()
        .outage("o-1", "2026-04-05T10:00:00Z", "2026-04-05T10:03:00Z")
        .outage("o-2", "2026-04-05T10:03:00Z", "2026-04-05T10:06:00Z")
    )
    assert report(builder, "2026-04").unavailable_seconds == 360  # 3 + 3 minutes, continuous


def test_three_down_one_up_three_down_counts_nothing() -> None:
    builder = (
        account()
        .outage("o-1", "2026-04-05T10:00:00Z", "2026-04-05T10:03:00Z")
        .outage("o-2", "2026-04-05T10:04:00Z", "2026-04-05T10:07:00Z")
    )
    r = report(builder, "2026-04")
    assert (r.unavailable_seconds, r.ignored_seconds) == (0, 360)


def _partly_in_maintenance(threshold: str) -> AvailabilityReport:
    # a 12-minute outage, the first 8 minutes of it inside scheduled maintenance
    builder = (
        account(threshold=threshold)
        .outage("o-1", "2026-04-05T10:00:00Z", "2026-04-05T10:12:00Z")
        .maintenance("m-1", "2026-04-05T10:00:00Z", "2026-04-05T10:08:00Z")
    )
    return report(builder, "2026-04")


def test_after_exclusions_the_four_minutes_left_are_under_the_threshold() -> None:
    r = _partly_in_maintenance("after_exclusions")
    assert (r.unavailable_seconds, r.excluded_seconds, r.ignored_seconds) == (0, 480, 240)
    assert r.excluded_periods[0].maintenance[0].maintenance_id == "m-1"
    assert r.excluded_periods[0].maintenance[0].kind == "scheduled"


def test_before_exclusions_the_twelve_minute_outage_passes_and_four_minutes_count() -> None:
    r = _partly_in_maintenance("before_exclusions")
    assert (r.unavailable_seconds, r.excluded_seconds, r.ignored_seconds) == (240, 480, 0)
    assert r.unavailable_periods[0].continuous_seconds == 720


def test_maintenance_in_the_middle_splits_an_outage_into_pieces() -> None:
    builder = (
        account()
        .outage("o-1", "2026-04-05T10:00:00Z", "2026-04-05T10:12:00Z")
        .maintenance("m-1", "2026-04-05T10:04:00Z", "2026-04-05T10:06:00Z", kind="emergency")
    )
    r = report(builder, "2026-04")
    # pieces: 10:00-10:04 (240 s, too short) and 10:06-10:12 (360 s, counts)
    assert (r.unavailable_seconds, r.ignored_seconds, r.excluded_seconds) == (360, 240, 120)


def test_maintenance_of_a_kind_the_terms_do_not_exclude_is_not_cut_out() -> None:
    builder = (
        account(excluded_maintenance_kinds=["scheduled"])
        .outage("o-1", "2026-04-05T10:00:00Z", "2026-04-05T10:12:00Z")
        .maintenance("m-1", "2026-04-05T10:00:00Z", "2026-04-05T10:08:00Z", kind="emergency")
    )
    r = report(builder, "2026-04")
    assert (r.unavailable_seconds, r.excluded_seconds) == (720, 0)


def _declared_late(excluded_from: str) -> AvailabilityReport:
    """The classic dispute: a 50-minute outage from 09:00; emergency maintenance for 09:00-09:45
    is declared at 09:20, twenty minutes into it."""
    builder = (
        account(maintenance_excluded_from=excluded_from)
        .outage("o-1", "2026-06-18T09:00:00Z", "2026-06-18T09:50:00Z")
        .maintenance(
            "m-1",
            "2026-06-18T09:00:00Z",
            "2026-06-18T09:45:00Z",
            kind="emergency",
            declared_at="2026-06-18T09:20:00Z",
        )
    )
    return report(builder, "2026-06")


def test_late_declared_maintenance_is_excluded_from_its_start_by_default() -> None:
    r = _declared_late("window_start")
    # 45 minutes excluded; the 5 minutes left (09:45-09:50) just reach the threshold
    assert (r.excluded_seconds, r.unavailable_seconds) == (2_700, 300)
    assert r.maintenance_excluded_from == "window_start"


def test_late_declared_maintenance_is_excluded_only_from_its_declaration_if_the_terms_say() -> None:
    r = _declared_late("declaration")
    # 09:00-09:20 counts (1,200 s), 09:20-09:45 excluded (1,500 s), 09:45-09:50 counts (300 s)
    assert (r.excluded_seconds, r.unavailable_seconds) == (1_500, 1_500)
    assert [(p.start, p.end) for p in r.unavailable_periods] == [
        (at("2026-06-18T09:00:00Z"), at("2026-06-18T09:20:00Z")),
        (at("2026-06-18T09:45:00Z"), at("2026-06-18T09:50:00Z")),
    ]


def test_service_wide_outages_count_and_another_accounts_do_not() -> None:
    builder = (
        account("acme")
        .outage("everyone", "2026-04-05T10:00:00Z", "2026-04-05T10:10:00Z")
        .outage("beta-only", "2026-04-06T10:00:00Z", "2026-04-06T10:30:00Z", accounts=("beta",))
        .outage("acme-only", "2026-04-07T10:00:00Z", "2026-04-07T10:06:00Z", accounts=("acme",))
    )
    r = report(builder, "2026-04")
    assert r.unavailable_seconds == 600 + 360
    assert [p.outage_ids for p in r.unavailable_periods] == [["everyone"], ["acme-only"]]


def test_a_retracted_outage_counts_nothing_and_is_named() -> None:
    builder = account().outage(
        "false-alarm", "2026-04-05T10:00:00Z", "2026-04-05T11:00:00Z", retracted=True
    )
    r = report(builder, "2026-04")
    assert (r.unavailable_seconds, r.met, r.retracted_outages) == (0, True, ["false-alarm"])
    assert [e.type for e in r.evidence][-1] == "outage.retracted"


def test_an_open_outage_counts_up_to_the_query_time_and_is_flagged() -> None:
    builder = account().outage("ongoing", "2026-04-30T23:00:00Z", None)
    query_time = at("2026-05-01T00:30:00Z")
    april = report(builder, "2026-04", query_time=query_time)
    may = report(builder, "2026-05", query_time=query_time)
    assert (april.unavailable_seconds, may.unavailable_seconds) == (3_600, 1_800)
    assert [o.outage_id for o in may.open_outages] == ["ongoing"]
    assert may.open_outages[0].counted_until == query_time


def test_only_subscribed_time_counts() -> None:
    builder = account(effective_from="2026-04-16T00:00:00Z").outage(
        "before-signing", "2026-04-10T00:00:00Z", "2026-04-10T06:00:00Z"
    )
    r = report(builder, "2026-04")
    assert r.period_start == at("2026-04-16T00:00:00Z")
    assert r.period_seconds == 15 * DAY
    assert r.unavailable_seconds == 0


def test_a_termination_ends_the_measured_period() -> None:
    builder = account().terminate("2026-04-21T00:00:00Z")
    assert report(builder, "2026-04").period_seconds == 20 * DAY
    with pytest.raises(InvalidQuery, match="not subscribed in 2026-05"):
        report(builder, "2026-05")


def test_the_month_is_governed_by_the_terms_in_force_at_its_start() -> None:
    builder = account().amend(
        "2026-04-15T00:00:00Z",
        {"template": "lifesize-extreme", "availability": {"target_percent": "99.99"}},
    )
    builder.outage("o", "2026-05-05T10:00:00Z", "2026-05-05T10:05:00Z")
    assert report(builder, "2026-04").target_percent == "99.9"
    may = report(builder, "2026-05")
    # 300 s of 2_678_400: 99.98879...%, below 99.99
    assert (may.target_percent, may.availability_percent, may.met) == ("99.99", "99.9887", False)


def test_the_report_lets_an_auditor_recompute_the_figure() -> None:
    builder = (
        account()
        .outage("o-1", "2026-04-05T10:00:00Z", "2026-04-05T10:12:00Z")
        .outage("o-2", "2026-04-20T10:00:00Z", "2026-04-20T10:03:00Z")
        .maintenance("m-1", "2026-04-05T10:00:00Z", "2026-04-05T10:02:00Z")
    )
    r = report(builder, "2026-04")
    assert r.unavailable_seconds == sum(p.seconds for p in r.unavailable_periods) == 600
    assert r.excluded_seconds == sum(p.seconds for p in r.excluded_periods) == 120
    assert r.ignored_seconds == sum(p.seconds for p in r.ignored_periods) == 180
    assert r.period_seconds == int((r.period_end - r.period_start).total_seconds())
    assert [e.type for e in r.evidence] == [
        "contract.signed",
        "outage.started",
        "outage.ended",
        "outage.started",
        "outage.ended",
        "maintenance.scheduled",
    ]
