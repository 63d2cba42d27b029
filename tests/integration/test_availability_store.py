"""Availability through the store: as-of audits, the materialised table, crashes and rebuilds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application import SlaLedger
from ledger.errors import InvalidQuery
from ledger.events import EventRef
from ledger.store.opening import open_ledger
from ledger.timevalues import Month
from projections.availability import availability_report
from projections.availability.table import month_from_stored
from projections.evidence import event_ref
from projections.reports import Reports
from projections.tracking import PageWrite, ReadModels
from tests.builders import at
from tests.factories import (
    corrected,
    maintenance,
    outage,
    outage_ended,
    outage_started,
    record,
    services,
    signed,
)
from tests.histories import random_batches

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def reports(ledger: SlaLedger, now: datetime = NOW) -> Reports:
    return services(ledger, page_size=3, clock=lambda: now).reports


def test_a_correction_recorded_later_turns_a_met_month_breached_and_as_of_still_shows_it_met(
    ledger: SlaLedger,
) -> None:
    service = reports(ledger)
    record(ledger, signed("acme"), outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:40:00Z"))
    told_customer = service.availability("acme", Month(2026, 4))
    assert (told_customer.unavailable_seconds, told_customer.met) == (2_400, True)
    cut = datetime.now(UTC)
    time.sleep(0.01)
    # the log review: the outage lasted 50 minutes, past the 43.2-minute budget
    record(ledger, corrected("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:50:00Z"))
    now = service.availability("acme", Month(2026, 4))
    assert (now.unavailable_seconds, now.met, now.availability_percent) == (3_000, False, "99.8842")
    then = service.availability("acme", Month(2026, 4), as_of=cut)
    assert (then.unavailable_seconds, then.met) == (2_400, True)
    assert then.as_of == cut and then.as_of_position == 3
    assert [e.type for e in now.evidence][-1] == "outage.corrected"
    assert "outage.corrected" not in [e.type for e in then.evidence]


def test_breaches_lists_missed_months_worst_first_and_as_of(ledger: SlaLedger) -> None:
    service = reports(ledger)
    record(
        ledger,
        signed("acme"),
        signed("beta"),
        signed("gamma"),
        outage("a", "2026-04-05T12:00:00Z", "2026-04-05T13:00:00Z", accounts=["acme"]),
        outage("b", "2026-04-06T12:00:00Z", "2026-04-06T14:00:00Z", accounts=["beta"]),
    )
    cut = datetime.now(UTC)
    time.sleep(0.01)
    record(ledger, outage("g", "2026-04-07T12:00:00Z", "2026-04-07T12:44:00Z", accounts=["gamma"]))
    found = service.breaches(Month(2026, 4))
    assert [b.account_id for b in found.breaches] == ["beta", "acme", "gamma"]
    assert [b.availability_percent for b in found.breaches] == ["99.7222", "99.8611", "99.8981"]
    before = service.breaches(Month(2026, 4), as_of=cut)
    assert [b.account_id for b in before.breaches] == ["beta", "acme"]


def test_an_open_outage_is_counted_to_now_from_the_table_path_too(ledger: SlaLedger) -> None:
    record(ledger, signed("acme"), outage_started("ongoing", "2026-10-31T23:00:00Z"))
    service = reports(ledger, now=datetime(2026, 11, 1, 1, 0, tzinfo=UTC))
    november = service.availability("acme", Month(2026, 11))
    assert november.unavailable_seconds == 3_600
    assert [o.outage_id for o in november.open_outages] == ["ongoing"]
    assert [b.account_id for b in service.breaches(Month(2026, 11)).breaches] == ["acme"]


def test_current_reports_come_from_the_table(ledger: SlaLedger) -> None:
    service = reports(ledger)
    record(ledger, signed("acme"), outage("o", "2026-04-05T12:00:00Z", "2026-04-05T12:10:00Z"))
    service.availability("acme", Month(2026, 4))  # catches the table up
    row = service.runner.view.availability_row("acme", "2026-04")
    assert row is not None and (row.unavailable_seconds, row.met) == (600, True)
    assert service.runner.view.tracked_position() == 3


# --- the table equals the recomputation -------------------------------------------------------


_WHEN = {"query_time", "as_of", "as_of_position"}


def _stored(ledger: SlaLedger, text: str) -> dict[str, Any]:
    """A stored row as a report (its evidence looked up again), without the query's times."""

    def refs(positions: list[int]) -> dict[int, EventRef]:
        return {row.position: event_ref(row) for row in ledger.reader.rows_at(positions)}

    report = availability_report(month_from_stored(text, refs))
    return report.model_dump(exclude=_WHEN)


def _table(view: ReadModels, ledger: SlaLedger) -> dict[tuple[str, str], Any]:
    rows = {}
    for account in ledger.reader.account_ids(ledger.reader.head()[0]):
        for month in view.availability_keys(account):
            row = view.availability_row(account, month)
            assert row is not None
            rows[(account, month)] = row
    return rows


def _assert_table_equals_recomputation(
    ledger: SlaLedger, batches: list[list[dict[str, Any]]]
) -> None:
    wired = services(ledger, page_size=4, catch_up=False)
    runner = wired.runner
    for batch in batches:
        record(ledger, *batch)
        runner.catch_up()
    incremental = _table(runner.view, ledger)
    head, recorded = ledger.reader.head()
    assert recorded is not None
    # an independent recomputation, account-month by account-month, from the log
    service = Reports(ledger, runner, catch_up=False, clock=lambda: recorded)
    for (account, month), row in incremental.items():
        if row.has_open:
            continue  # counted up to "now": recomputed when read
        direct = service.availability(account, Month.parse(month), as_of=recorded)
        assert _stored(ledger, row.report) == direct.model_dump(exclude=_WHEN), (account, month)
        # the current-state path reads the row and looks its evidence up again
        from_table = service.availability(account, Month.parse(month))
        assert from_table.model_dump(exclude=_WHEN) == direct.model_dump(exclude=_WHEN)
    # and a rebuild from position zero agrees on every row
    runner.rebuild()
    rebuilt = _table(runner.view, ledger)
    assert set(rebuilt) == set(incremental)
    for key, row in rebuilt.items():
        if not row.has_open:
            assert _stored(ledger, row.report) == _stored(ledger, incremental[key].report), key
    assert runner.view.tracked_position() == head


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_table_equals_the_recomputation_for_random_histories(
    ledger: SlaLedger, seed: int
) -> None:
    _assert_table_equals_recomputation(ledger, random_batches(seed))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(min_value=4, max_value=10_000))
def test_the_table_equals_the_recomputation_for_many_random_histories(
    tmp_path_factory: pytest.TempPathFactory, seed: int
) -> None:
    path: Path = tmp_path_factory.mktemp("random") / "ledger.db"
    ledger = open_ledger(f"sqlite:///{path}")
    try:
        _assert_table_equals_recomputation(ledger, random_batches(seed, batches=3, per_batch=8))
    finally:
        ledger.close()


def test_an_outage_left_open_for_months_and_closed_in_a_later_page_leaves_no_downtime_behind(
    ledger: SlaLedger,
) -> None:
    """The page that closes it recomputes every month the open outage had reached, though the
    page itself touches only the outage's first month."""
    _assert_table_equals_recomputation(
        ledger,
        [
            [signed("acme", effective_from="2026-01-01T00:00:00Z")],
            [outage_started("o-1", "2026-02-10T10:00:00Z")],
            [outage_ended("o-1", "2026-02-10T10:30:00Z")],
            [*outage("o-2", "2026-03-01T10:00:00Z", "2026-03-01T10:05:00Z")],
        ],
    )
    rows = _table(services(ledger, catch_up=False).runner.view, ledger)
    assert sorted(month for _, month in rows) == ["2026-02", "2026-03"]


# --- exactly once, across a crash ---------------------------------------------------------------


class CrashingOnce:
    """Wraps the read models' writes: the second page's write fails, as if the process died."""

    def __init__(self, view: ReadModels) -> None:
        self.view = view
        self.writes = 0

    def __call__(self, page: PageWrite, position: int) -> None:
        self.writes += 1
        if self.writes == 2:
            raise RuntimeError("power cut")
        self.view.__class__.write_page(self.view, page, position)


def test_a_crash_between_pages_loses_nothing_and_counts_nothing_twice(ledger: SlaLedger) -> None:
    record(ledger, signed("acme"))
    record(ledger, outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:10:00Z"))
    record(ledger, outage("o-2", "2026-04-06T12:00:00Z", "2026-04-06T12:20:00Z"))
    runner = services(ledger, page_size=2).runner
    crashing = CrashingOnce(runner.view)
    runner.view.write_page = crashing  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="power cut"):
        runner.catch_up()
    assert runner.view.tracked_position() == 2  # the first page (positions 1-2) was applied
    restarted = services(ledger, page_size=2).runner
    assert restarted.catch_up() == 5
    row = restarted.view.availability_row("acme", "2026-04")
    assert row is not None and row.unavailable_seconds == 600 + 1_200
    # applying an already-applied page again is refused and changes nothing
    with pytest.raises(IntegrityError):
        restarted.view.write_page(PageWrite(), 4)
    assert restarted.view.tracked_position() == 5


def test_rebuild_drops_and_recomputes_from_position_zero(ledger: SlaLedger) -> None:
    record(
        ledger,
        signed("acme"),
        outage("o-1", "2026-04-05T12:00:00Z", "2026-04-05T12:10:00Z"),
        maintenance("m-1", "2026-04-05T12:00:00Z", "2026-04-05T12:03:00Z"),
    )
    runner = services(ledger).runner
    runner.catch_up()
    result = runner.rebuild()
    assert (result.events, result.availability_rows) == (4, 1)
    row = runner.view.availability_row("acme", "2026-04")
    assert row is not None and (row.unavailable_seconds, row.position) == (420, 4)


# --- concurrent catch-ups: a follower thread, readers, a second process -------------------------


def test_concurrent_catch_ups_never_fail_and_agree_with_a_rebuild(database_url: str) -> None:
    """A server's follower thread and its readers catch up at the same time, and so may a second
    process with its own connections: whoever applies a page first wins, the others carry on."""
    writer = open_ledger(database_url)
    record(writer, signed("acme"), signed("beta"))
    others = [open_ledger(database_url) for _ in range(2)]
    runners = [services(store, page_size=2).runner for store in (writer, *others)]
    shared = services(writer).reports
    failures: list[BaseException] = []
    done = threading.Event()

    def keep_catching_up(step: Callable[[], object]) -> None:
        while not done.is_set():
            try:
                step()
            except BaseException as error:  # collected: the test fails on any of them
                failures.append(error)
                return

    threads = [threading.Thread(target=keep_catching_up, args=(r.catch_up,)) for r in runners]
    threads.append(
        threading.Thread(
            target=keep_catching_up, args=(lambda: shared.availability("acme", Month(2026, 4)),)
        )
    )
    for thread in threads:
        thread.start()
    try:
        for n in range(30):
            day = f"2026-04-{n % 28 + 1:02d}"
            record(
                writer,
                outage(f"o-{n}", f"{day}T10:00:00Z", f"{day}T10:10:00Z", accounts=["acme", "beta"]),
            )
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)
    assert failures == []
    runners[1].catch_up()
    caught_up = _table(runners[1].view, writer)
    # 30 outages of 10 minutes on 28 days: the two repeated days overlap themselves, counted once
    assert caught_up[("acme", "2026-04")].unavailable_seconds == 28 * 600
    runners[0].rebuild()
    rebuilt = _table(runners[0].view, writer)
    assert {k: _stored(writer, r.report) for k, r in rebuilt.items()} == {
        k: _stored(writer, r.report) for k, r in caught_up.items()
    }
    for ledger in (writer, *others):
        ledger.close()


def test_a_termination_half_a_second_into_a_month_measures_nothing_there_and_breaks_nothing(
    ledger: SlaLedger,
) -> None:
    """Rule `whole_seconds`: 00:00:00.500 counts as 00:00:00, so April holds no subscribed second.
    A service-wide outage touching April must not stop the read model (nor any report)."""
    record(
        ledger,
        signed("acme"),
        {"type": "contract.terminated", "account_id": "acme", "at": "2026-04-01T00:00:00.500Z"},
        outage("everyone", "2026-03-31T23:50:00Z", "2026-04-01T00:20:00Z"),
    )
    service = reports(ledger)
    march = service.availability("acme", Month(2026, 3))
    assert (march.unavailable_seconds, march.period_end) == (600, at("2026-04-01T00:00:00Z"))
    with pytest.raises(InvalidQuery, match="not subscribed"):
        service.availability("acme", Month(2026, 4))
    assert service.breaches(Month(2026, 4)).breaches == []
