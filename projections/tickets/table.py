"""The ticket read model's table: a row per ticket, its SQL on both back ends, and its codec.

A row keeps what listings filter and sort on (account, month opened, state, whether the clock
still runs, when it is due) beside the ticket's whole report as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.timevalues import Month, contract_zone, from_seconds
from projections.dialect import Dialect, updates
from projections.tickets.measure import TicketClock
from projections.tickets.report import TicketReport, ticket_report
from projections.tickets.rules import next_due

__all__ = ["TicketRow", "TicketTable", "report_from_stored", "row_of"]

COLUMNS = (
    "ticket_id, account_id, opened_month, priority, state, live, due_at, breached_at, "
    "position, report"
)


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


def row_of(clock: TicketClock, zone_name: str, position: int) -> TicketRow:
    """A ticket's row: its report, and what listings filter and sort on."""
    report = ticket_report(clock)
    due = next_due(clock.metrics)
    return TicketRow(
        ticket_id=clock.ticket_id,
        account_id=clock.account_id,
        opened_month=str(Month.containing(clock.opened_at, contract_zone(zone_name))),
        priority=clock.priority,
        state=clock.state,
        # Until it is resolved, a ticket's report changes with time alone (its clock runs, or its
        # pause grows): such rows are recomputed when read.
        live=clock.lifecycle != "resolved",
        due_at=None if due is None else from_seconds(due),
        breached_at=report.breached_at,
        position=position,
        report=report.model_dump_json(exclude={"receipt"}),
    )


def report_from_stored(text: str) -> TicketReport:
    """The report kept in a row."""
    return TicketReport.model_validate_json(text)


class TicketTable:
    """The table's statements in one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        name = self.name = dialect.table("rm_tickets", "slaledger_rm_tickets")
        index = "rm_tickets" if dialect.sqlite else "slaledger_rm_tickets"
        if dialect.sqlite:
            table = (
                f"CREATE TABLE IF NOT EXISTS {name} (ticket_id TEXT PRIMARY KEY, "
                "account_id TEXT NOT NULL, opened_month TEXT NOT NULL, priority TEXT NOT NULL, "
                "state TEXT NOT NULL, live INTEGER NOT NULL, due_at INTEGER, "
                "breached_at INTEGER, position INTEGER NOT NULL, report TEXT NOT NULL)"
            )
        else:
            table = (
                f"CREATE TABLE IF NOT EXISTS {name} (ticket_id text PRIMARY KEY, "
                "account_id text NOT NULL, opened_month text NOT NULL, priority text NOT NULL, "
                "state text NOT NULL, live boolean NOT NULL, due_at timestamptz, "
                "breached_at timestamptz, position bigint NOT NULL, report text NOT NULL)"
            )
        self.create = [
            table,
            f"CREATE INDEX IF NOT EXISTS {index}_by_account ON {name} (account_id, opened_month)",
            f"CREATE INDEX IF NOT EXISTS {index}_by_due ON {name} (live, due_at)",
        ]
        m = dialect.marker
        live = "live = 1" if dialect.sqlite else "live"
        self.drop = f"DROP TABLE IF EXISTS {name}"
        self.upsert = (
            f"INSERT INTO {name} ({COLUMNS}) VALUES ({dialect.markers(10)}) "
            "ON CONFLICT (ticket_id) DO UPDATE SET " + updates(COLUMNS, 1)
        )
        self.copy = f"COPY {name} ({COLUMNS}) FROM STDIN"
        self.select_one = f"SELECT {COLUMNS} FROM {name} WHERE ticket_id = {m}"
        self.select_month = (
            f"SELECT {COLUMNS} FROM {name} WHERE account_id = {m} AND opened_month = {m} "
            "ORDER BY ticket_id"
        )
        self.select_ids = f"SELECT ticket_id FROM {name} WHERE account_id = {m}"
        self.select_running = (
            f"SELECT {COLUMNS} FROM {name} WHERE {live} AND due_at <= {m} ORDER BY due_at"
        )

    def params(self, row: TicketRow) -> tuple[Any, ...]:
        return (
            row.ticket_id,
            row.account_id,
            row.opened_month,
            row.priority,
            row.state,
            row.live,
            self.dialect.to_db(row.due_at),
            self.dialect.to_db(row.breached_at),
            row.position,
            row.report,
        )

    def row(self, values: tuple[Any, ...]) -> TicketRow:
        return TicketRow(
            values[0],
            values[1],
            values[2],
            values[3],
            values[4],
            bool(values[5]),
            self.dialect.from_db(values[6]),
            self.dialect.from_db(values[7]),
            values[8],
            values[9],
        )
