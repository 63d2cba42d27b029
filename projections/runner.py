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
import gc
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from ledger.application import SlaLedger
from ledger.domain import contract_id
from ledger.records import ALL_ACCOUNTS, LogRow
from ledger.timevalues import (
    Month,
    contract_zone,
    floor_to_second,
    months_touching,
    months_touching_seconds,
)
from projections.availability import Document, has_content, monthly_documents, stored_form
from projections.history import AccountHistory, History, fold_history
from projections.loader import load_histories
from projections.parallel import map_in_processes
from projections.views import AvailabilityRow, PageWrite, ReadModels, open_read_models

__all__ = ["ReadModelProjection", "ReadModelRunner", "RebuildResult", "availability_row"]

_PAGE = 500
_REBUILD_PAGE = 20_000


def availability_row(document: Document, position: int) -> AvailabilityRow:
    return AvailabilityRow(
        account_id=document["account_id"],
        month=document["month"],
        met=document["met"],
        availability_percent=document["availability_percent"],
        unavailable_seconds=document["unavailable_seconds"],
        period_seconds=document["period_seconds"],
        has_open=bool(document["open_outages"]),
        position=position,
        report=stored_form(document),
    )


@dataclass
class _Account:
    zone_name: str
    starts_at: datetime


class ReadModelProjection(Projection[ReadModels]):
    """The ledger's read models as an `eventsourcing` projection whose unit of work is a page."""

    name = "sla_read_models"

    def __init__(self, view: ReadModels, ledger: SlaLedger) -> None:
        super().__init__(view)
        self.ledger = ledger
        self._accounts: dict[str, _Account] = {}

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """One event, as the library's runner delivers it: processed as a page of one."""
        position = tracking.notification_id
        self.process_page(self.ledger.reader.read_log(position - 1, 1, position))

    def process_page(self, rows: list[LogRow]) -> None:
        """Recompute what `rows` can have changed; write it with the page's tracking position."""
        position, query_time = rows[-1].position, rows[-1].recorded_at
        self._forget_changed_contracts(rows)
        dirty = self._dirty_months(rows, position, query_time)
        written, removed = self._recompute(dirty, position, query_time)
        self.view.write_page(PageWrite(written, removed), position)

    # --- which account-months a page can change ----------------------------------------------

    def _forget_changed_contracts(self, rows: Iterable[LogRow]) -> None:
        for row in rows:
            if row.type.startswith("contract."):
                self._accounts.pop(self._account_of_contract(row), None)

    def _account_of_contract(self, row: LogRow) -> str:
        data = row.data()
        if "account_id" in data:
            return str(data["account_id"])
        accounts = self.ledger.reader.entity_intervals([row.originator_id], row.position)
        return accounts[0][1]

    def _account(self, account_id: str, upto: int) -> _Account | None:
        known = self._accounts.get(account_id)
        if known is None:
            history = fold_history(self.ledger.reader.rows_for([contract_id(account_id)], upto))
            contract = history.contracts.get(account_id)
            if contract is None:
                return None
            known = self._accounts[account_id] = _Account(contract.timezone, contract.starts_at)
        return known

    def _dirty_months(
        self, rows: list[LogRow], upto: int, query_time: datetime
    ) -> dict[str, set[Month]]:
        dirty: dict[str, set[Month]] = {}
        for row in rows:
            if row.type.startswith("contract."):
                account = self._account_of_contract(row)
                found = self._account(account, upto)
                if found is not None:
                    zone = contract_zone(found.zone_name)
                    months = months_touching(found.starts_at, query_time, zone)
                    dirty.setdefault(account, set()).update(months)
        entities = [r.originator_id for r in rows if r.type.startswith(("outage.", "maintenance."))]
        if entities:
            self._dirty_from_intervals(list(dict.fromkeys(entities)), upto, query_time, dirty)
        return dirty

    def _dirty_from_intervals(
        self, entities: list[UUID], upto: int, query_time: datetime, dirty: dict[str, set[Month]]
    ) -> None:
        everyone: list[str] | None = None
        for _, key, valid_from, valid_to in self.ledger.reader.entity_intervals(entities, upto):
            if valid_from is None:
                continue
            if key == ALL_ACCOUNTS:
                everyone = everyone or self.ledger.reader.account_ids(upto)
                targets = everyone
            else:
                targets = [key]
            for account_id in targets:
                account = self._account(account_id, upto)
                if account is not None:
                    zone = contract_zone(account.zone_name)
                    end = valid_to or max(query_time, valid_from)
                    dirty.setdefault(account_id, set()).update(
                        months_touching(valid_from, end, zone)
                    )

    # --- recomputing them --------------------------------------------------------------------

    def _recompute(
        self, dirty: dict[str, set[Month]], upto: int, query_time: datetime
    ) -> tuple[list[AvailabilityRow], list[tuple[str, str]]]:
        written: list[AvailabilityRow] = []
        removed: list[tuple[str, str]] = []
        for (first, last), accounts in _group_by_span(dirty).items():
            zone_names = {self._accounts[a].zone_name for a in accounts if a in self._accounts}
            start = min(first.bounds(contract_zone(z))[0] for z in zone_names or {"UTC"})
            end = max(last.bounds(contract_zone(z))[1] for z in zone_names or {"UTC"})
            histories = load_histories(
                self.ledger.reader, accounts, start, end, upto=upto, query_time=query_time
            )
            for account_id in accounts:
                rows, gone = _account_rows(
                    histories.get(account_id), account_id, dirty[account_id], upto, query_time
                )
                written += rows
                removed += gone
        return written, removed


def _group_by_span(dirty: dict[str, set[Month]]) -> dict[tuple[Month, Month], list[str]]:
    groups: dict[tuple[Month, Month], list[str]] = {}
    for account, months in dirty.items():
        if months:
            groups.setdefault((min(months), max(months)), []).append(account)
    return groups


def _account_rows(
    history: AccountHistory | None,
    account_id: str,
    months: set[Month],
    position: int,
    query_time: datetime,
) -> tuple[list[AvailabilityRow], list[tuple[str, str]]]:
    reports = {}
    if history is not None and history.contract is not None:
        reports = monthly_documents(history, sorted(months), query_time=query_time)
    rows, removed = [], []
    for month in sorted(months):
        report = reports.get(month)
        if report is not None and has_content(report):
            rows.append(availability_row(report, position))
        else:
            removed.append((account_id, str(month)))
    return rows, removed


@dataclass(frozen=True)
class RebuildResult:
    events: int
    availability_rows: int
    seconds: float


class ReadModelRunner:
    """Runs the projection: catch up, follow the log, or rebuild from position zero."""

    def __init__(self, ledger: SlaLedger, view: ReadModels | None = None, page_size: int = _PAGE):
        self.ledger = ledger
        self.view = view or open_read_models(ledger)
        self.projection = ReadModelProjection(self.view, ledger)
        self.page_size = page_size

    def lag(self) -> int:
        """Events recorded but not yet applied to the read models."""
        return self.ledger.reader.head()[0] - self.view.tracked_position()

    def catch_up(self) -> int:
        """Apply every recorded event not yet applied; return the position reached."""
        position = self.view.tracked_position()
        while rows := self.ledger.reader.read_log(position, self.page_size):
            self.projection.process_page(rows)
            position = rows[-1].position
        return position

    def follow(self, stop: threading.Event, poll_seconds: float = 0.2) -> None:
        """Keep catching up until `stop` is set (SQLite has no subscription: this polls)."""
        while not stop.is_set():
            with contextlib.suppress(Exception):
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

    def rebuild(self) -> RebuildResult:
        """Drop the read models and recompute them from the whole log, in one pass."""
        started = time.perf_counter()
        head, recorded = self.ledger.reader.head()
        if head == 0 or recorded is None:
            self.view.reset()
            return RebuildResult(0, 0, time.perf_counter() - started)
        with _collector_paused():
            history = fold_history(self.ledger.reader.scan_log(head))
            written = _all_availability_rows(history, head, recorded)
        self.view.replace_all(PageWrite(written), head)
        return RebuildResult(head, len(written), time.perf_counter() - started)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a rebuild allocates millions of small objects.

    None of them form reference cycles, so nothing is left for the collector to find; its
    repeated passes over a large live heap would only cost time (a third of a rebuild).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
            end = floor_to_second(outage.ended_at) if outage.ended_at else until
            months.update(months_touching_seconds(floor_to_second(outage.started_at), end, zone))
        documents = monthly_documents(account, sorted(months), query_time=query_time)
        rows += [availability_row(d, position) for d in documents.values() if has_content(d)]
    return rows
