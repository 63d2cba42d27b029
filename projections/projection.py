"""The read models' projection: which rows a page of events can change, recomputed.

A page's events name the entities they change; the scope index names the account-months those
entities' intervals touch (and a contract change touches every month of its account, and every
ticket of it). Those rows are recomputed from the log as of the page's last position - never
incremented - so applying a page is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from ledger.application import SlaLedger
from ledger.events import contract_id
from ledger.store.ports import ALL_ACCOUNTS, LogRow
from ledger.timevalues import Month, contract_zone, months_touching
from projections.availability import monthly_availability
from projections.availability.table import AvailabilityRow, row_of
from projections.history import AccountHistory, History, fold_history
from projections.loader import load_histories, load_tickets
from projections.tickets import clock_for_ticket
from projections.tickets import table as ticket_table
from projections.tickets.table import TicketRow
from projections.tracking import PageWrite, ReadModels

__all__ = ["ReadModelProjection", "ticket_rows"]


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
        return ticket_rows(history, list(history.tickets), upto, query_time)

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
            unique = list(dict.fromkeys(entities))
            self._dirty_from_intervals(unique, rows[0].position, upto, query_time, dirty)
        return dirty

    def _dirty_from_intervals(
        self,
        entities: list[UUID],
        first: int,
        upto: int,
        query_time: datetime,
        dirty: dict[str, set[Month]],
    ) -> None:
        everyone: list[str] | None = None
        intervals = _before_and_after(self.ledger.reader.entity_intervals(entities, upto), first)
        for key, valid_from, valid_to in intervals:
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
                months = {m for m in dirty[account_id] if first <= m <= last}
                rows, gone = _account_rows(
                    histories.get(account_id), account_id, months, upto, query_time
                )
                written += rows
                removed += gone
        return written, removed


def _before_and_after(
    intervals: list[tuple[UUID, str, datetime | None, datetime | None, int]], first: int
) -> list[tuple[str, datetime | None, datetime | None]]:
    """Each entity's intervals as the tables last saw them (its latest event before the page's
    `first` position) and as they are after the page (its latest event). The intervals of
    events the page itself superseded never reached the tables: an outage opened and closed in
    one page dirties its own month, not every month from its start until now."""
    latest_before: dict[UUID, int] = {}
    latest: dict[UUID, int] = {}
    for entity, _, _, _, position in intervals:
        latest[entity] = max(latest.get(entity, 0), position)
        if position < first:
            latest_before[entity] = max(latest_before.get(entity, 0), position)
    return [
        (key, valid_from, valid_to)
        for entity, key, valid_from, valid_to, position in intervals
        if position in (latest[entity], latest_before.get(entity))
    ]


def _group_by_span(dirty: dict[str, set[Month]]) -> dict[tuple[Month, Month], list[str]]:
    """Accounts grouped by each run of consecutive dirty months. A page touching an account's
    January 2020 and December 2025 reads those two months, not the six years between: a page's
    work and memory follow what it changed, not how long the log has grown."""
    groups: dict[tuple[Month, Month], list[str]] = {}
    for account, months in dirty.items():
        for run in _consecutive_runs(sorted(months)):
            groups.setdefault(run, []).append(account)
    return groups


def _consecutive_runs(months: list[Month]) -> list[tuple[Month, Month]]:
    runs: list[tuple[Month, Month]] = []
    for month in months:
        if runs and runs[-1][1].next() == month:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def _account_rows(
    history: AccountHistory | None,
    account_id: str,
    months: set[Month],
    position: int,
    query_time: datetime,
) -> tuple[list[AvailabilityRow], list[tuple[str, str]]]:
    measured = {}
    if history is not None and history.contract is not None:
        measured = monthly_availability(history, sorted(months), query_time=query_time)
    rows, removed = [], []
    for month in sorted(months):
        found = measured.get(month)
        if found is not None and found.has_content:
            rows.append(row_of(found, position))
        else:
            removed.append((account_id, str(month)))
    return rows, removed


def ticket_rows(
    history: History, tickets: Sequence[str], position: int, query_time: datetime
) -> list[TicketRow]:
    """The rows of these tickets of `history`, measured at `query_time`."""
    rows = []
    for name in tickets:
        clock = clock_for_ticket(history, name, query_time)
        contract = history.contracts.get(clock.account_id)
        zone = contract.timezone if contract is not None else "UTC"
        rows.append(ticket_table.row_of(clock, zone, position))
    return rows
