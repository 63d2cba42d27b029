"""The embedded store: the library's SQLite application recorder, extended for the ledger.

`stored_events` keeps the library's columns and adds the ledger's: `event_id` (unique),
`valid_at`, `recorded_at`, `content_hash` and `actor`; `event_chain` holds each position's
chain hash, written in the same transaction (`sqlite_chain`). The row id is the position: SQLite
gives each new row the next row id, rolled-back rows give theirs back, and the triggers below
forbid deletes, so positions have no gaps. Times are stored as integer Unix microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

from ledger.idempotency import KnownEvent
from ledger.store.ports import EventIndex, WriteReceipt
from ledger.store.sqlite_chain import SQLiteChain
from ledger.store.sqlite_reads import SQLiteReads, chunks, micros_or_none
from ledger.timevalues import micros_instant

__all__ = ["LedgerSQLiteRecorder"]

_IMMUTABLE = "ledger events are immutable: corrections are new events"


class LedgerSQLiteRecorder(SQLiteChain, SQLiteReads, SQLiteApplicationRecorder):
    """SQLite recorder that records the ledger's index columns in the same transaction; its
    queries are `SQLiteReads`'."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        table = self.events_table_name
        self.scopes_table = "event_scopes"
        self.insert_events_statement = (
            f"INSERT INTO {table} (originator_id, originator_version, topic, state, event_id, "
            "valid_at, recorded_at, content_hash, actor) VALUES (?, ?, ?, ?, ?, ?, "
            f"MAX(?, COALESCE((SELECT recorded_at FROM {table} ORDER BY rowid DESC LIMIT 1), 0)),"
            " ?, ?)"
        )
        self._columns = (
            "rowid AS position, recorded_at, event_id, topic, originator_id, originator_version,"
            " valid_at, state, actor"
        )

    def construct_create_table_statements(self) -> list[str]:
        table, scopes = self.events_table_name, "event_scopes"
        statements = [
            f"CREATE TABLE IF NOT EXISTS {table} ("
            "originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
            "event_id TEXT NOT NULL, valid_at INTEGER, recorded_at INTEGER NOT NULL, "
            "content_hash TEXT NOT NULL, "
            "PRIMARY KEY (originator_id, originator_version))",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_event_id ON {table} (event_id)",
            f"CREATE INDEX IF NOT EXISTS {table}_recorded_at ON {table} (recorded_at)",
            f"CREATE TABLE IF NOT EXISTS {scopes} ("
            "position INTEGER NOT NULL, account_key TEXT NOT NULL, kind TEXT NOT NULL, "
            "originator_id TEXT NOT NULL, valid_from INTEGER, valid_to INTEGER)",
            f"CREATE INDEX IF NOT EXISTS {scopes}_by_interval ON {scopes} "
            "(account_key, kind, valid_from, valid_to, position, originator_id)",
            f"CREATE INDEX IF NOT EXISTS {scopes}_by_position ON {scopes} (account_key, position)",
            f"CREATE INDEX IF NOT EXISTS {scopes}_by_entity ON {scopes} (originator_id, position)",
        ]
        for target in (table, scopes):
            for operation in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {target}_refuse_{operation.lower()} "
                    f"BEFORE {operation} ON {target} BEGIN "
                    f"SELECT RAISE(ABORT, '{_IMMUTABLE}'); END"
                )
        return statements

    # --- writing -------------------------------------------------------------------------

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        index: Sequence[EventIndex] = kwargs["ledger_index"]
        receipt: WriteReceipt = kwargs.get("receipt") or WriteReceipt()
        if len(index) != len(stored_events):
            raise IntegrityError("every stored event needs its ledger index entry")
        # Take the write lock before reading the clock: a writer that waited for another is
        # then recorded after that one committed, and its recorded_at says so.
        c.execute(f"DELETE FROM {self.scopes_table} WHERE 0")
        now = micros_or_none(datetime.now(UTC))
        params = [
            (
                stored.originator_id.hex
                if isinstance(stored.originator_id, UUID)
                else stored.originator_id,
                stored.originator_version,
                stored.topic,
                stored.state,
                entry.event_id,
                micros_or_none(entry.valid_at),
                now,
                entry.content_hash,
                entry.actor,
            )
            for stored, entry in zip(stored_events, index, strict=True)
        ]
        if not params:
            return []
        # We hold the write lock: from here on row ids are ours, in order.
        c.execute(self.insert_events_statement, params[0])
        first = c.lastrowid
        c.executemany(self.insert_events_statement, params[1:])
        positions = list(range(first, first + len(params)))
        c.execute(
            f"SELECT rowid, recorded_at FROM {self.events_table_name} ORDER BY rowid DESC LIMIT 1"
        )
        last = c.fetchone()
        if last[0] != positions[-1]:
            raise IntegrityError("positions were not assigned contiguously")
        c.executemany(
            f"INSERT INTO {self.scopes_table} VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    position,
                    scope.account_key,
                    scope.kind,
                    params[i][0],
                    micros_or_none(scope.valid_from),
                    micros_or_none(scope.valid_to),
                )
                for i, (position, entry) in enumerate(zip(positions, index, strict=True))
                for scope in entry.scopes
            ],
        )
        chained = [(p, last[1], params[i]) for i, p in enumerate(positions)]
        receipt.chain_hash = self._append_chain(c, chained)
        receipt.positions = positions
        receipt.recorded_at = micros_instant(last[1])
        if self.head_signer is not None:  # the batch's checkpoint, in the same transaction
            head = self.head_signer(positions[-1], receipt.recorded_at, receipt.chain_hash)
            self._insert_checkpoint(c, head)
            receipt.checkpointed = True
        return positions

    def load_for_write(
        self, event_ids: list[str], originator_ids: list[UUID]
    ) -> tuple[dict[str, KnownEvent], list[StoredEvent]]:
        known: dict[str, KnownEvent] = {}
        events: list[StoredEvent] = []
        with self.datastore.transaction(commit=False) as c:
            for chunk in chunks(event_ids):
                c.execute(
                    "SELECT event_id, content_hash, rowid, recorded_at, topic "
                    f"FROM {self.events_table_name} "
                    f"WHERE event_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                for row in c.fetchall():
                    known[row[0]] = KnownEvent(
                        row[0], row[1], row[2], micros_instant(row[3]), row[4]
                    )
            for chunk in chunks([oid.hex for oid in originator_ids]):
                c.execute(
                    "SELECT originator_id, originator_version, topic, state "
                    f"FROM {self.events_table_name} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))}) "
                    "ORDER BY originator_id, originator_version",
                    chunk,
                )
                events += [
                    StoredEvent(UUID(row[0]), row[1], row[2], row[3]) for row in c.fetchall()
                ]
        return known, events
