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
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking
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
from projections.availability import Facts, has_content, monthly_facts, stored_form
from projections.history import AccountHistory, History, fold_history
from projections.loader import load_histories, load_tickets
from projections.parallel import collector_paused, map_in_processes
from projections.tickets import TicketReport, report_for_ticket
from projections.views import AvailabilityRow, PageWrite, ReadModels, TicketRow, open_read_models

__all__ = [
    "ReadModelProjection",
    "ReadModelRunner",
    "RebuildResult",
    "availability_row",
    "ticket_row",
]

_PAGE = 500
_REBUILD_PAGE = 20_000


def availability_row(facts: Facts, position: int) -> AvailabilityRow:
    return AvailabilityRow(
        account_id=facts["a"],
        month=facts["m"],
        met=facts["ok"],
        availability_percent=facts["p"],
        unavailable_seconds=facts["f"][0],
        period_seconds=facts["pb"][2],
        has_open=bool(facts["o"]),
        position=position,
        report=stored_form(facts),
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
        tickets = self._ticket_rows(self._dirty_tickets(rows), position, query_time)
        self.view.write_page(PageWrite(written, removed, tickets), position)

    # --- which account-months a page can change ----------------------------------------------

    def _forget_changed_contracts(self, rows: Iterable[LogRow]) -> None:
        for row in rows:
            if row.type.startswith("contract."):
                self._accounts.pop(self._account_of_contract(row), None)

    def _account_of_contract(self, row: LogRow) -> str:
        return str(row.data()["account_id"])

    def _dirty_tickets(self, rows: list[LogRow]) -> list[str]:
        """Tickets with events in the page, and every ticket of an account whose terms changed
        (an amendment may apply retroactively to tickets already open)."""
        dirty = {str(row.data()["ticket_id"]) for row in rows if row.type.startswith("ticket.")}
        for row in rows:
            if row.type.startswith("contract."):
                dirty.update(self.view.ticket_ids(self._account_of_contract(row)))
        return sorted(dirty)

    def _ticket_rows(self, tickets: list[str], upto: int, query_time: datetime) -> list[TicketRow]:
        if not tickets:
            return []
        history = load_tickets(self.ledger.reader, tickets, upto)
        return _rows_of_tickets(history, list(history.tickets), upto, query_time)

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
        reports = monthly_facts(history, sorted(months), query_time=query_time)
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
    ticket_rows: int
    seconds: float


class ReadModelRunner:
    """Runs the projection: catch up, follow the log, or rebuild from position zero."""

    def __init__(self, ledger: SlaLedger, view: ReadModels | None = None, page_size: int = _PAGE):
        self.ledger = ledger
        self.view = view or open_read_models(ledger)
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
        try:
            self.projection.process_page(rows)
        except IntegrityError:
            # Another process (a second server, `sla-ledger project`) applied this page first;
            # its rows are the ones this page would have written. Continue after them.
            now = self.view.tracked_position()
            if now <= position:
                raise
            return now
        return rows[-1].position

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
            return RebuildResult(0, 0, 0, time.perf_counter() - started)
        with collector_paused():
            history = fold_history(self.ledger.reader.scan_log(head))
            written = _all_availability_rows(history, head, recorded)
            tickets = map_in_processes(
                lambda part: _rows_of_tickets(history, part, head, recorded), list(history.tickets)
            )
        self.view.replace_all(PageWrite(written, (), tickets), head)
        return RebuildResult(head, len(written), len(tickets), time.perf_counter() - started)


def ticket_row(report: TicketReport, zone_name: str, position: int) -> TicketRow:
    """A ticket's row: its report, and what listings filter and sort on."""
    return TicketRow(
        ticket_id=report.ticket_id,
        account_id=report.account_id,
        opened_month=str(Month.containing(report.opened_at, contract_zone(zone_name))),
        priority=report.priority,
        state=report.state,
        # Until it is resolved, a ticket's report changes with time alone (its clock runs, or its
        # pause grows): such rows are recomputed when read.
        live=report.lifecycle != "resolved",
        due_at=next_due(report),
        breached_at=report.breached_at,
        position=position,
        report=report.model_dump_json(),
    )


def next_due(report: TicketReport) -> datetime | None:
    """Rule `at_risk_due`: a ticket is due when the first of its running targets runs out
    (a response due before the resolution puts the ticket at risk first)."""
    running = [t.due_at for t in report.targets if t.running and t.due_at is not None]
    return min(running, default=None)


def _rows_of_tickets(
    history: History, tickets: Sequence[str], position: int, query_time: datetime
) -> list[TicketRow]:
    rows = []
    for name in tickets:
        report = report_for_ticket(history, name, query_time)
        contract = history.contracts.get(report.account_id)
        zone = contract.timezone if contract is not None else "UTC"
        rows.append(ticket_row(report, zone, position))
    return rows


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
        found = monthly_facts(account, sorted(months), query_time=query_time)
        rows += [availability_row(f, position) for f in found.values() if has_content(f)]
    return rows
