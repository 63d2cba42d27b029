"""Keeping the read models current: a projection runner that pages the log.

The library's `ProjectionRunner` subscribes to the log and commits once per event; SQLite has no
subscription, and one commit per event is far too slow for a rebuild. This runner reads the log in
pages from the tracked position, recomputes every report a page can have changed (from the log, as
of the page's last position) and writes those rows with the page's tracking position in one
transaction. A crash between pages loses nothing and repeats nothing: the next run resumes from
the tracked position, and rows are recomputed, never incremented.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from eventsourcing.persistence import IntegrityError

from ledger.application import SlaLedger
from ledger.store.ports import LogRow
from ledger.timevalues import (
    Month,
    floor_to_second,
    months_touching_seconds,
)
from projections.availability import monthly_availability
from projections.availability.table import AvailabilityRow, row_of
from projections.history import AccountHistory, History, fold_history
from projections.parallel import collector_paused, map_in_processes
from projections.progress import Progress, counted, silent
from projections.projection import ReadModelProjection, ticket_rows
from projections.tracking import PageWrite, ReadModels

__all__ = ["ReadModelRunner", "RebuildResult"]

_PAGE = 500
log = logging.getLogger("sla_ledger.projections")  # one line per page applied


@dataclass(frozen=True)
class RebuildResult:
    events: int
    availability_rows: int
    ticket_rows: int
    seconds: float


class ReadModelRunner:
    """Runs the projection: catch up, follow the log, or rebuild from position zero."""

    def __init__(self, ledger: SlaLedger, view: ReadModels, page_size: int = _PAGE):
        self.ledger = ledger
        self.view = view
        self.projection = ReadModelProjection(self.view, ledger)
        self.page_size = page_size
        self.applied = 0  # the last position this runner saw applied (others may be further)
        self._catching_up = threading.Lock()

    def lag(self) -> int:
        """Events recorded but not yet applied to the read models."""
        return self.ledger.reader.head()[0] - self.view.tracked_position()

    def catch_up(self, target: int | None = None) -> int:
        """Apply the recorded events not yet applied, up to `target` (default: the head when
        called), and return the position reached.

        Pages are applied one at a time under a lock that the follower thread and the readers
        share: a reader waits for at most the page in progress, then finds its events applied
        or applies the next page itself.
        """
        if target is None:
            target = self.ledger.reader.head()[0]
        position = self.applied
        while position < target:
            with self._catching_up:
                position = self.view.tracked_position()
                if position < target:
                    rows = self.ledger.reader.read_log(position, self.page_size)
                    if not rows:
                        break
                    position = self._apply(rows, position)
                self.applied = max(self.applied, position)
        return position

    def catch_up_to(self, position: int) -> None:
        """Make sure the read models have applied `position` (read-your-writes), without chasing
        the events recorded since."""
        if self.applied < position:
            self.catch_up(position)

    def _apply(self, rows: list[LogRow], position: int) -> int:
        started = time.perf_counter()
        try:
            self.projection.process_page(rows)
            log.info(
                "projection page",
                extra={"fields": {
                    "first_position": rows[0].position, "last_position": rows[-1].position,
                    "events": len(rows), "seconds": round(time.perf_counter() - started, 4),
                }},
            )  # fmt: skip
        except IntegrityError:
            # Another process (a second server, `sla-ledger project`) applied this page first;
            # its rows are the ones this page would have written. Continue after them.
            now = self.view.tracked_position()
            if now <= position:
                raise
            return now
        return rows[-1].position

    def follow(
        self,
        stop: threading.Event,
        poll_seconds: float = 0.2,
        leading: Callable[[], bool] = lambda: True,
    ) -> None:
        """Keep catching up until `stop` is set (SQLite has no subscription: this polls), in
        the polls where `leading()` says this process is the one that follows."""
        while not stop.is_set():
            with contextlib.suppress(Exception):
                if leading():
                    self.catch_up()
            stop.wait(poll_seconds)

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Block until the read models have applied `position` (read-your-writes)."""
        deadline = time.monotonic() + timeout
        while self.view.tracked_position() < position:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def rebuild(self, on_progress: Progress = silent) -> RebuildResult:
        """Drop the read models and recompute them from the whole log, in one pass.

        `on_progress` hears the stages: reading the log (events), availability (accounts),
        tickets, writing (rows)."""
        started = time.perf_counter()
        head, recorded = self.ledger.reader.head()
        if head == 0 or recorded is None:
            self.view.reset()
            return RebuildResult(0, 0, 0, time.perf_counter() - started)
        with collector_paused():
            scanned = self.ledger.reader.scan_log(head)
            history = fold_history(counted(scanned, head, "reading the log", on_progress))
            on_progress("availability", 0, len(history.contracts))
            written = _all_availability_rows(history, head, recorded)
            on_progress("availability", len(history.contracts), len(history.contracts))
            on_progress("tickets", 0, len(history.tickets))
            tickets = map_in_processes(
                lambda part: ticket_rows(history, part, head, recorded), list(history.tickets)
            )
            on_progress("tickets", len(history.tickets), len(history.tickets))
        rows = len(written) + len(tickets)
        on_progress("writing", 0, rows)
        self.view.replace_all(PageWrite(written, (), tickets), head)
        on_progress("writing", rows, rows)
        return RebuildResult(head, len(written), len(tickets), time.perf_counter() - started)


def _all_availability_rows(
    history: History, position: int, query_time: datetime
) -> list[AvailabilityRow]:
    accounts = [a for a in history.by_account().values() if a.contract is not None]
    return map_in_processes(lambda part: _rows_of(part, position, query_time), accounts)


def _rows_of(
    accounts: Sequence[AccountHistory], position: int, query_time: datetime
) -> list[AvailabilityRow]:
    """Every account-month of these accounts that an outage touched."""
    rows: list[AvailabilityRow] = []
    for account in accounts:
        assert account.contract is not None
        zone = account.contract.timezone
        until = floor_to_second(query_time)
        months: set[Month] = set()
        for outage in account.outages:
            end = until if outage.end_s is None else outage.end_s
            months.update(months_touching_seconds(outage.start_s, end, zone))
        found = monthly_availability(account, sorted(months), query_time=query_time)
        rows += [row_of(month, position) for month in found.values() if month.has_content]
    return rows
