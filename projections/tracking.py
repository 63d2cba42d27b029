"""The read-model store: the tables beside the log, each page of events tracked with its rows.

One tracking recorder per back end (the library's), extended with the read-model tables
(`availability.table`, `tickets.table`): every page of events updates its rows and the tracking
position in one transaction, so a crash between two pages loses nothing and applies nothing twice
(the single-row tracking table refuses a position that does not advance).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.sql import SQL

from ledger.application import SlaLedger
from ledger.store.schema import Component, ensure_schema
from projections.availability.table import AvailabilityRow, AvailabilityTable
from projections.dialect import Dialect
from projections.tickets.table import TicketRow, TicketTable

__all__ = ["PageWrite", "ReadModels", "open_read_models"]


@dataclass(frozen=True)
class PageWrite:
    """Everything one page of events changes, written with its tracking position."""

    availability: Sequence[AvailabilityRow] = ()
    availability_removed: Sequence[tuple[str, str]] = ()
    tickets: Sequence[TicketRow] = ()


class ReadModels(TrackingRecorder):
    """The read-model tables of one store, and the position they have applied."""

    application_name = SlaLedger.name
    availability: AvailabilityTable
    tickets: TicketTable

    def _transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _insert_tracking(self, cursor: Any, tracking: Tracking) -> None:
        raise NotImplementedError

    def create_table(self) -> None:
        raise NotImplementedError

    def _select(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _bulk_write(self, cursor: Any, page: PageWrite) -> None:
        self._write(cursor, page)

    def tracked_position(self) -> int:
        return self.max_tracking_id(self.application_name) or 0

    def write_page(self, page: PageWrite, position: int) -> None:
        with self._transaction() as cursor:
            self._write(cursor, page)
            self._insert_tracking(cursor, Tracking(self.application_name, position))

    def _write(self, cursor: Any, page: PageWrite) -> None:
        for statement, params in (
            (self.availability.upsert, [self.availability.params(r) for r in page.availability]),
            (self.availability.delete, list(page.availability_removed)),
            (self.tickets.upsert, [self.tickets.params(r) for r in page.tickets]),
        ):
            if params:
                cursor.executemany(statement, params)

    def reset(self) -> None:
        """Drop every read-model row and the tracking position (rebuild from position zero)."""
        with self._transaction() as cursor:
            self._drop(cursor)
        self.create_table()

    def replace_all(self, page: PageWrite, position: int) -> None:
        """Replace every read-model row by `page`, tracked at `position`, in one transaction."""
        with self._transaction() as cursor:
            self._drop(cursor)
            for statement in self.availability.create + self.tickets.create:
                cursor.execute(statement)
            self._bulk_write(cursor, page)
            self._insert_tracking(cursor, Tracking(self.application_name, position))

    def _drop(self, cursor: Any) -> None:
        cursor.execute(self.availability.drop)
        cursor.execute(self.tickets.drop)
        marker = self.availability.dialect.marker
        cursor.execute(
            f"DELETE FROM {self._tracking_table()} WHERE application_name = {marker}",
            (self.application_name,),
        )

    def _tracking_table(self) -> str:
        raise NotImplementedError

    def availability_row(self, account_id: str, month: str) -> AvailabilityRow | None:
        rows = self._select(self.availability.select_one, (account_id, month))
        return self.availability.row(rows[0]) if rows else None

    def availability_rows(self, month: str) -> list[AvailabilityRow]:
        return [
            self.availability.row(r) for r in self._select(self.availability.select_month, (month,))
        ]

    def availability_keys(self, account_id: str) -> list[str]:
        return [r[0] for r in self._select(self.availability.select_months, (account_id,))]

    def ticket_row(self, ticket_id: str) -> TicketRow | None:
        rows = self._select(self.tickets.select_one, (ticket_id,))
        return self.tickets.row(rows[0]) if rows else None

    def ticket_rows(self, account_id: str, month: str) -> list[TicketRow]:
        return [
            self.tickets.row(r)
            for r in self._select(self.tickets.select_month, (account_id, month))
        ]

    def ticket_ids(self, account_id: str) -> list[str]:
        return [r[0] for r in self._select(self.tickets.select_ids, (account_id,))]

    def running_tickets(self, due_before: datetime) -> list[TicketRow]:
        due = self.tickets.dialect.to_db(due_before)
        return [self.tickets.row(r) for r in self._select(self.tickets.select_running, (due,))]


class SQLiteReadModels(SQLiteTrackingRecorder, ReadModels):
    def __init__(self, datastore: SQLiteDatastore) -> None:
        dialect = Dialect("sqlite")
        self.availability, self.tickets = AvailabilityTable(dialect), TicketTable(dialect)
        super().__init__(datastore)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            *self.availability.create,
            *self.tickets.create,
        ]

    def _transaction(self) -> AbstractContextManager[Any]:
        return self.datastore.transaction(commit=True)

    def _tracking_table(self) -> str:
        return "tracking"

    def _select(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return [tuple(row) for row in c.fetchall()]


class PostgresReadModels(PostgresTrackingRecorder, ReadModels):
    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore, tracking_table_name="slaledger_rm_tracking")
        dialect = Dialect("postgresql", self.datastore.schema)
        self.availability, self.tickets = AvailabilityTable(dialect), TicketTable(dialect)
        tables = [*self.availability.create, *self.tickets.create]
        self.sql_create_statements += [SQL(statement).format() for statement in tables]

    def _transaction(self) -> AbstractContextManager[Any]:
        return self.datastore.transaction(commit=True)

    def _tracking_table(self) -> str:
        return self.availability.dialect.table("", self.tracking_table_name)

    def _bulk_write(self, cursor: Any, page: PageWrite) -> None:
        # The tables are new and empty: COPY is many times faster than row inserts.
        for statement, rows in (
            (self.availability.copy, [self.availability.params(r) for r in page.availability]),
            (self.tickets.copy, [self.tickets.params(r) for r in page.tickets]),
        ):
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)

    def _select(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(sql, params, prepare=True)
            return [tuple(row.values()) for row in curs.fetchall()]


def open_read_models(datastore: SQLiteDatastore | PostgresDatastore) -> ReadModels:
    """The read models kept in the ledger's own database (same file or same schema), their
    tables created on first use (`ledger.store.schema`)."""
    models: ReadModels
    if isinstance(datastore, SQLiteDatastore):
        models = SQLiteReadModels(datastore)
    else:
        models = PostgresReadModels(datastore)
    ensure_schema(datastore, [Component("read_models", 1, models.create_table)])
    return models
