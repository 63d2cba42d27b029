"""Materialised read models, stored beside the log, each write tracked in the same transaction.

The tables are the library's tracking recorders extended with the ledger's read-model tables:
every page of events updates its rows and the tracking position in one transaction, so a crash
between two pages loses nothing and applies nothing twice (the single-row tracking table refuses a
position that does not advance). Reports are kept whole, as JSON, beside the figures that queries
filter and sort on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.sql import SQL, Identifier

from ledger.application import SlaLedger

__all__ = ["AvailabilityRow", "ReadModels", "TicketRow", "open_read_models"]


@dataclass(frozen=True)
class AvailabilityRow:
    account_id: str
    month: str
    met: bool
    availability_percent: str
    unavailable_seconds: int
    period_seconds: int
    has_open: bool
    position: int
    report: str


@dataclass(frozen=True)
class TicketRow:
    ticket_id: str
    account_id: str
    opened_month: str
    priority: str
    state: str
    live: bool
    due_at: datetime | None
    breached_at: datetime | None
    position: int
    report: str


@dataclass(frozen=True)
class PageWrite:
    """Everything one page of events changes, written with its tracking position."""

    availability: Sequence[AvailabilityRow] = ()
    availability_removed: Sequence[tuple[str, str]] = ()
    tickets: Sequence[TicketRow] = ()


_AVAILABILITY_COLUMNS = (
    "account_id, month, met, availability_percent, unavailable_seconds, period_seconds, "
    "has_open, position, report"
)
_TICKET_COLUMNS = (
    "ticket_id, account_id, opened_month, priority, state, live, due_at, breached_at, "
    "position, report"
)


def _micros(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1_000_000)


def _instant(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1_000_000, UTC)


class ReadModels(TrackingRecorder):
    """What both back ends offer the runner and the report service."""

    application_name = SlaLedger.name

    def tracked_position(self) -> int:
        raise NotImplementedError

    def write_page(self, page: PageWrite, position: int) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Drop every read-model row and the tracking position (rebuild from position zero)."""
        raise NotImplementedError

    def replace_all(self, page: PageWrite, position: int) -> None:
        """Replace every read-model row by `page`, tracked at `position`, in one transaction."""
        raise NotImplementedError

    def availability_row(self, account_id: str, month: str) -> AvailabilityRow | None:
        raise NotImplementedError

    def availability_rows(self, month: str) -> list[AvailabilityRow]:
        raise NotImplementedError

    def availability_keys(self, account_id: str) -> list[str]:
        raise NotImplementedError

    def ticket_row(self, ticket_id: str) -> TicketRow | None:
        raise NotImplementedError

    def ticket_rows(self, account_id: str, month: str) -> list[TicketRow]:
        raise NotImplementedError

    def ticket_ids(self, account_id: str) -> list[str]:
        raise NotImplementedError

    def running_tickets(self, due_before: datetime) -> list[TicketRow]:
        raise NotImplementedError


class SQLiteReadModels(SQLiteTrackingRecorder, ReadModels):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS rm_availability (account_id TEXT NOT NULL, "
            "month TEXT NOT NULL, met INTEGER NOT NULL, availability_percent TEXT NOT NULL, "
            "unavailable_seconds INTEGER NOT NULL, period_seconds INTEGER NOT NULL, "
            "has_open INTEGER NOT NULL, position INTEGER NOT NULL, report TEXT NOT NULL, "
            "PRIMARY KEY (account_id, month))",
            "CREATE INDEX IF NOT EXISTS rm_availability_by_month ON rm_availability (month, met)",
            "CREATE TABLE IF NOT EXISTS rm_tickets (ticket_id TEXT PRIMARY KEY, "
            "account_id TEXT NOT NULL, opened_month TEXT NOT NULL, priority TEXT NOT NULL, "
            "state TEXT NOT NULL, live INTEGER NOT NULL, due_at INTEGER, "
            "breached_at INTEGER, position INTEGER NOT NULL, report TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS rm_tickets_by_account ON rm_tickets "
            "(account_id, opened_month)",
            "CREATE INDEX IF NOT EXISTS rm_tickets_by_due ON rm_tickets (live, due_at)",
        ]

    def tracked_position(self) -> int:
        return self.max_tracking_id(self.application_name) or 0

    def write_page(self, page: PageWrite, position: int) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._write(c, page, position)

    def _write(self, c: Any, page: PageWrite, position: int) -> None:
        c.executemany(
            f"INSERT INTO rm_availability ({_AVAILABILITY_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, month) DO UPDATE SET "
            + _updates(_AVAILABILITY_COLUMNS, 2),
            [_availability_params(row) for row in page.availability],
        )
        c.executemany(
            "DELETE FROM rm_availability WHERE account_id = ? AND month = ?",
            list(page.availability_removed),
        )
        c.executemany(
            f"INSERT INTO rm_tickets ({_TICKET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (ticket_id) DO UPDATE SET " + _updates(_TICKET_COLUMNS, 1),
            [_ticket_params(row, _micros) for row in page.tickets],
        )
        self._insert_tracking(c, Tracking(self.application_name, position))

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._drop(c)
        self.create_table()

    def _drop(self, c: Any) -> None:
        c.execute("DROP TABLE IF EXISTS rm_availability")
        c.execute("DROP TABLE IF EXISTS rm_tickets")
        c.execute("DELETE FROM tracking WHERE application_name = ?", (self.application_name,))

    def replace_all(self, page: PageWrite, position: int) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._drop(c)
            for statement in self.create_table_statements:
                c.execute(statement)
            self._write(c, page, position)

    def _select(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return list(c.fetchall())

    def availability_row(self, account_id: str, month: str) -> AvailabilityRow | None:
        rows = self._select(
            f"SELECT {_AVAILABILITY_COLUMNS} FROM rm_availability "
            "WHERE account_id = ? AND month = ?",
            (account_id, month),
        )
        return _availability_row(tuple(rows[0])) if rows else None

    def availability_rows(self, month: str) -> list[AvailabilityRow]:
        rows = self._select(
            f"SELECT {_AVAILABILITY_COLUMNS} FROM rm_availability WHERE month = ? "
            "ORDER BY account_id",
            (month,),
        )
        return [_availability_row(tuple(row)) for row in rows]

    def availability_keys(self, account_id: str) -> list[str]:
        rows = self._select(
            "SELECT month FROM rm_availability WHERE account_id = ? ORDER BY month", (account_id,)
        )
        return [row[0] for row in rows]

    def ticket_row(self, ticket_id: str) -> TicketRow | None:
        rows = self._select(
            f"SELECT {_TICKET_COLUMNS} FROM rm_tickets WHERE ticket_id = ?", (ticket_id,)
        )
        return _ticket_row(tuple(rows[0]), _instant) if rows else None

    def ticket_rows(self, account_id: str, month: str) -> list[TicketRow]:
        rows = self._select(
            f"SELECT {_TICKET_COLUMNS} FROM rm_tickets WHERE account_id = ? AND opened_month = ? "
            "ORDER BY ticket_id",
            (account_id, month),
        )
        return [_ticket_row(tuple(row), _instant) for row in rows]

    def ticket_ids(self, account_id: str) -> list[str]:
        rows = self._select("SELECT ticket_id FROM rm_tickets WHERE account_id = ?", (account_id,))
        return [row[0] for row in rows]

    def running_tickets(self, due_before: datetime) -> list[TicketRow]:
        rows = self._select(
            f"SELECT {_TICKET_COLUMNS} FROM rm_tickets WHERE live = 1 AND due_at <= ? "
            "ORDER BY due_at",
            (_micros(due_before),),
        )
        return [_ticket_row(tuple(row), _instant) for row in rows]


class PostgresReadModels(PostgresTrackingRecorder, ReadModels):
    def __init__(self, datastore: PostgresDatastore, *, tracking_table_name: str, **kwargs: Any):
        super().__init__(datastore, tracking_table_name=tracking_table_name, **kwargs)
        schema = Identifier(self.datastore.schema)
        self.names = {
            "schema": schema,
            "availability": Identifier("slaledger_rm_availability"),
            "tickets": Identifier("slaledger_rm_tickets"),
            "tracking": Identifier(self.tracking_table_name),
        }
        self.sql_create_statements += [
            self._composed(
                "CREATE TABLE IF NOT EXISTS {schema}.{availability} (account_id text NOT NULL, "
                "month text NOT NULL, met boolean NOT NULL, availability_percent text NOT NULL, "
                "unavailable_seconds bigint NOT NULL, period_seconds bigint NOT NULL, "
                "has_open boolean NOT NULL, position bigint NOT NULL, report text NOT NULL, "
                "PRIMARY KEY (account_id, month))"
            ),
            self._composed(
                "CREATE INDEX IF NOT EXISTS slaledger_rm_availability_by_month "
                "ON {schema}.{availability} (month, met)"
            ),
            self._composed(
                "CREATE TABLE IF NOT EXISTS {schema}.{tickets} (ticket_id text PRIMARY KEY, "
                "account_id text NOT NULL, opened_month text NOT NULL, priority text NOT NULL, "
                "state text NOT NULL, live boolean NOT NULL, due_at timestamptz, "
                "breached_at timestamptz, position bigint NOT NULL, report text NOT NULL)"
            ),
            self._composed(
                "CREATE INDEX IF NOT EXISTS slaledger_rm_tickets_by_account "
                "ON {schema}.{tickets} (account_id, opened_month)"
            ),
            self._composed(
                "CREATE INDEX IF NOT EXISTS slaledger_rm_tickets_by_due "
                "ON {schema}.{tickets} (live, due_at)"
            ),
        ]

    def _composed(self, text: str) -> Any:
        return SQL(text).format(**self.names)

    def _sql(self, text: str) -> str:
        return SQL(text).format(**self.names).as_string()

    def tracked_position(self) -> int:
        return self.max_tracking_id(self.application_name) or 0

    def write_page(self, page: PageWrite, position: int) -> None:
        with self.datastore.transaction(commit=True) as curs:
            if page.availability:
                curs.executemany(
                    self._sql(
                        f"INSERT INTO {{schema}}.{{availability}} ({_AVAILABILITY_COLUMNS}) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                        "ON CONFLICT (account_id, month) DO UPDATE SET "
                        + _updates(_AVAILABILITY_COLUMNS, 2)
                    ),
                    [_availability_params(row) for row in page.availability],
                )
            if page.availability_removed:
                curs.executemany(
                    self._sql(
                        "DELETE FROM {schema}.{availability} WHERE account_id = %s AND month = %s"
                    ),
                    list(page.availability_removed),
                )
            if page.tickets:
                curs.executemany(
                    self._sql(
                        f"INSERT INTO {{schema}}.{{tickets}} ({_TICKET_COLUMNS}) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                        "ON CONFLICT (ticket_id) DO UPDATE SET " + _updates(_TICKET_COLUMNS, 1)
                    ),
                    [_ticket_params(row, lambda v: v) for row in page.tickets],
                )
            self._insert_tracking(curs, Tracking(self.application_name, position))

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            self._drop(curs)
        self.create_table()

    def _drop(self, curs: Any) -> None:
        curs.execute(self._sql("DROP TABLE IF EXISTS {schema}.{availability}"))
        curs.execute(self._sql("DROP TABLE IF EXISTS {schema}.{tickets}"))
        curs.execute(
            self._sql("DELETE FROM {schema}.{tracking} WHERE application_name = %s"),
            (self.application_name,),
        )

    def replace_all(self, page: PageWrite, position: int) -> None:
        with self.datastore.transaction(commit=True) as curs:
            self._drop(curs)
            for statement in self.sql_create_statements:
                curs.execute(statement)
            # The tables are new and empty: COPY is many times faster than row inserts.
            with curs.copy(
                self._sql(f"COPY {{schema}}.{{availability}} ({_AVAILABILITY_COLUMNS}) FROM STDIN")
            ) as copy:
                for row in page.availability:
                    copy.write_row(_availability_params(row))
            with curs.copy(
                self._sql(f"COPY {{schema}}.{{tickets}} ({_TICKET_COLUMNS}) FROM STDIN")
            ) as copy:
                for ticket in page.tickets:
                    copy.write_row(_ticket_params(ticket, lambda v: v))
            self._insert_tracking(curs, Tracking(self.application_name, position))

    def _select(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(sql, params, prepare=True)
            return [tuple(row.values()) for row in curs.fetchall()]

    def availability_row(self, account_id: str, month: str) -> AvailabilityRow | None:
        rows = self._select(
            self._sql(
                f"SELECT {_AVAILABILITY_COLUMNS} FROM {{schema}}.{{availability}} "
                "WHERE account_id = %s AND month = %s"
            ),
            (account_id, month),
        )
        return _availability_row(rows[0]) if rows else None

    def availability_rows(self, month: str) -> list[AvailabilityRow]:
        rows = self._select(
            self._sql(
                f"SELECT {_AVAILABILITY_COLUMNS} FROM {{schema}}.{{availability}} "
                "WHERE month = %s ORDER BY account_id"
            ),
            (month,),
        )
        return [_availability_row(row) for row in rows]

    def availability_keys(self, account_id: str) -> list[str]:
        rows = self._select(
            self._sql(
                "SELECT month FROM {schema}.{availability} WHERE account_id = %s ORDER BY month"
            ),
            (account_id,),
        )
        return [row[0] for row in rows]

    def ticket_row(self, ticket_id: str) -> TicketRow | None:
        rows = self._select(
            self._sql(f"SELECT {_TICKET_COLUMNS} FROM {{schema}}.{{tickets}} WHERE ticket_id = %s"),
            (ticket_id,),
        )
        return _ticket_row(rows[0], _utc) if rows else None

    def ticket_rows(self, account_id: str, month: str) -> list[TicketRow]:
        rows = self._select(
            self._sql(
                f"SELECT {_TICKET_COLUMNS} FROM {{schema}}.{{tickets}} "
                "WHERE account_id = %s AND opened_month = %s ORDER BY ticket_id"
            ),
            (account_id, month),
        )
        return [_ticket_row(row, _utc) for row in rows]

    def ticket_ids(self, account_id: str) -> list[str]:
        rows = self._select(
            self._sql("SELECT ticket_id FROM {schema}.{tickets} WHERE account_id = %s"),
            (account_id,),
        )
        return [row[0] for row in rows]

    def running_tickets(self, due_before: datetime) -> list[TicketRow]:
        rows = self._select(
            self._sql(
                f"SELECT {_TICKET_COLUMNS} FROM {{schema}}.{{tickets}} "
                "WHERE live AND due_at <= %s ORDER BY due_at"
            ),
            (due_before,),
        )
        return [_ticket_row(row, _utc) for row in rows]


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _updates(columns: str, key_count: int) -> str:
    names = [name.strip() for name in columns.split(",")][key_count:]
    return ", ".join(f"{name} = excluded.{name}" for name in names)


def _availability_params(row: AvailabilityRow) -> tuple[Any, ...]:
    return (
        row.account_id,
        row.month,
        row.met,
        row.availability_percent,
        row.unavailable_seconds,
        row.period_seconds,
        row.has_open,
        row.position,
        row.report,
    )


def _availability_row(row: tuple[Any, ...]) -> AvailabilityRow:
    return AvailabilityRow(
        row[0], row[1], bool(row[2]), row[3], row[4], row[5], bool(row[6]), row[7], row[8]
    )


def _ticket_params(row: TicketRow, instant: Any) -> tuple[Any, ...]:
    return (
        row.ticket_id,
        row.account_id,
        row.opened_month,
        row.priority,
        row.state,
        row.live,
        instant(row.due_at),
        instant(row.breached_at),
        row.position,
        row.report,
    )


def _ticket_row(row: tuple[Any, ...], instant: Any) -> TicketRow:
    return TicketRow(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        bool(row[5]),
        instant(row[6]),
        instant(row[7]),
        row[8],
        row[9],
    )


def open_read_models(ledger: SlaLedger) -> ReadModels:
    """The read models kept in the ledger's own database (same file or same schema)."""
    datastore = ledger.factory.datastore  # type: ignore[attr-defined]
    models: ReadModels
    if isinstance(datastore, SQLiteDatastore):
        models = SQLiteReadModels(datastore)
    else:
        models = PostgresReadModels(datastore, tracking_table_name="slaledger_rm_tracking")
    models.create_table()
    return models
