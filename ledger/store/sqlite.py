"""The embedded store: the library's SQLite application recorder, extended for the ledger.

`stored_events` keeps the library's columns and adds the ledger's: `event_id` (unique),
`valid_at`, `recorded_at` and `content_hash`. The row id is the position: SQLite gives each new
row the next row id, rolled-back rows give theirs back, and the triggers below forbid deletes, so
positions have no gaps. Times are stored as integer Unix microseconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

from ledger.records import EventIndex, KnownEvent, LogRow, ScannedEvent, WriteReceipt

__all__ = ["LedgerSQLiteRecorder"]

_CHUNK = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_IMMUTABLE = "ledger events are immutable: corrections are new events"


def _micros(value: datetime | None) -> int | None:
    if value is None:
        return None
    return (int(value.timestamp()) * 1_000_000) + value.microsecond


def _instant(micros: int | None) -> datetime | None:
    return None if micros is None else _known_instant(micros)


def _known_instant(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLite recorder that records the ledger's index columns in the same transaction."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        table = self.events_table_name
        self.scopes_table = "event_scopes"
        self.insert_events_statement = (
            f"INSERT INTO {table} (originator_id, originator_version, topic, state, event_id, "
            "valid_at, recorded_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, "
            f"MAX(?, COALESCE((SELECT recorded_at FROM {table} ORDER BY rowid DESC LIMIT 1), 0)),"
            " ?)"
        )
        self._columns = (
            "rowid AS position, recorded_at, event_id, topic, originator_id, originator_version,"
            " valid_at, state"
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
        now = _micros(datetime.now(UTC))
        params = [
            (
                stored.originator_id.hex
                if isinstance(stored.originator_id, UUID)
                else stored.originator_id,
                stored.originator_version,
                stored.topic,
                stored.state,
                entry.event_id,
                _micros(entry.valid_at),
                now,
                entry.content_hash,
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
                    _micros(scope.valid_from),
                    _micros(scope.valid_to),
                )
                for i, (position, entry) in enumerate(zip(positions, index, strict=True))
                for scope in entry.scopes
            ],
        )
        receipt.positions = positions
        receipt.recorded_at = _instant(last[1])
        return positions

    # --- reading -------------------------------------------------------------------------

    def _rows(self, sql: str, params: Sequence[Any]) -> list[LogRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return [self._log_row(row) for row in c.fetchall()]

    @staticmethod
    def _log_row(row: Any) -> LogRow:
        return LogRow(
            row[0],
            _known_instant(row[1]),
            row[2],
            row[3],
            UUID(row[4]),
            row[5],
            _instant(row[6]),
            row[7],
        )

    def head(self) -> tuple[int, datetime | None]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, recorded_at FROM {self.events_table_name} "
                "ORDER BY rowid DESC LIMIT 1"
            )
            row = c.fetchone()
        return (0, None) if row is None else (row[0], _instant(row[1]))

    def position_at(self, instant: datetime) -> int:
        with self.datastore.transaction(commit=False) as c:
            # Recorded times never decrease along positions: the newest entry in the index at or
            # before the instant is the answer (MAX(rowid) would scan every earlier entry).
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} WHERE recorded_at <= ? "
                "ORDER BY recorded_at DESC, rowid DESC LIMIT 1",
                (_micros(instant),),
            )
            row = c.fetchone()
        return int(row[0]) if row else 0

    def recorded_at_of(self, position: int) -> datetime | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT recorded_at FROM {self.events_table_name} WHERE rowid = ?", (position,)
            )
            row = c.fetchone()
        return None if row is None else _instant(row[0])

    def read_log(self, after: int, limit: int, upto: int | None = None) -> list[LogRow]:
        stop = upto if upto is not None else 2**62
        return self._rows(
            f"SELECT {self._columns} FROM {self.events_table_name} "
            "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?",
            (after, stop, limit),
        )

    def scan_log(self, upto: int) -> Iterator[ScannedEvent]:
        recorded: dict[int, datetime] = {}  # one recorded time per write: convert each once
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT rowid, recorded_at, event_id, topic, valid_at, state "
                f"FROM {self.events_table_name} WHERE rowid <= ? ORDER BY rowid",
                (upto,),
            )
            while rows := c.sqlite_cursor.fetchmany(10_000):
                for position, micros, event_id, topic, valid_at, state in rows:
                    at = recorded.get(micros)
                    if at is None:
                        at = recorded[micros] = _known_instant(micros)
                    valid = None if valid_at is None else _EPOCH + timedelta(microseconds=valid_at)
                    yield ScannedEvent(position, at, event_id, topic, valid, state)

    def rows_at(self, positions: list[int]) -> list[LogRow]:
        rows: list[LogRow] = []
        for chunk in _chunks(positions):
            rows += self._rows(
                f"SELECT {self._columns} FROM {self.events_table_name} "
                f"WHERE rowid IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        return rows

    def rows_for(self, originator_ids: list[UUID], upto: int) -> list[LogRow]:
        rows: list[LogRow] = []
        for chunk in _chunks([oid.hex for oid in originator_ids]):
            marks = ",".join("?" * len(chunk))
            rows += self._rows(
                f"SELECT {self._columns} FROM {self.events_table_name} "
                # unary "+": filter the entities' rows by position, never scan positions
                f"WHERE originator_id IN ({marks}) AND +rowid <= ?",
                (*chunk, upto),
            )
        rows.sort(key=lambda row: row.position)
        return rows

    def scoped_entities(
        self, account_keys: list[str], kinds: list[str], start: datetime, end: datetime, upto: int
    ) -> list[UUID]:
        account_marks, kind_marks = ",".join("?" * len(account_keys)), ",".join("?" * len(kinds))
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT DISTINCT s.originator_id FROM {self.scopes_table} s "
                f"WHERE s.account_key IN ({account_marks}) AND s.kind IN ({kind_marks}) "
                "AND s.valid_from <= ? AND s.position <= ? AND (s.valid_to >= ? OR "
                f"(s.valid_to IS NULL AND NOT EXISTS (SELECT 1 FROM {self.scopes_table} later "
                "WHERE later.originator_id = s.originator_id AND later.position > s.position "
                "AND later.position <= ?)))",
                (*account_keys, *kinds, _micros(end), upto, _micros(start), upto),
            )
            return [UUID(row[0]) for row in c.fetchall()]

    def open_outage_accounts(self, upto: int) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT DISTINCT s.account_key FROM {self.scopes_table} s "
                "WHERE s.kind = 'outage' AND s.valid_from IS NOT NULL AND s.valid_to IS NULL "
                "AND s.position <= ? "
                f"AND NOT EXISTS (SELECT 1 FROM {self.scopes_table} later "
                "WHERE later.originator_id = s.originator_id AND later.position > s.position "
                "AND later.position <= ?)",
                (upto, upto),
            )
            return [row[0] for row in c.fetchall()]

    def entity_intervals(
        self, originator_ids: list[UUID], upto: int
    ) -> list[tuple[UUID, str, datetime | None, datetime | None]]:
        found: list[tuple[UUID, str, datetime | None, datetime | None]] = []
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks([oid.hex for oid in originator_ids]):
                c.execute(
                    "SELECT originator_id, account_key, valid_from, valid_to "
                    f"FROM {self.scopes_table} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))}) "
                    "AND position <= ?",
                    (*chunk, upto),
                )
                found += [
                    (UUID(row[0]), row[1], _instant(row[2]), _instant(row[3]))
                    for row in c.fetchall()
                ]
        return found

    def list_events(
        self,
        *,
        account: str | None,
        valid_from: datetime | None,
        valid_to: datetime | None,
        upto: int,
        after: int,
        limit: int,
    ) -> list[LogRow]:
        conditions = ["e.rowid > ?", "e.rowid <= ?"]
        params: list[Any] = [after, upto]
        source = f"{self.events_table_name} e"
        if account is not None:
            source += (
                f" JOIN (SELECT DISTINCT position FROM {self.scopes_table} "
                "WHERE account_key IN (?, '*') AND position > ? AND position <= ?) s "
                "ON s.position = e.rowid"
            )
            params = [account, after, upto, *params]
        if valid_from is not None:
            conditions.append("e.valid_at >= ?")
            params.append(_micros(valid_from))
        if valid_to is not None:
            conditions.append("e.valid_at < ?")
            params.append(_micros(valid_to))
        columns = self._columns.replace("rowid AS", "e.rowid AS")
        columns = columns.replace(", recorded_at", ", e.recorded_at")
        return self._rows(
            f"SELECT {columns} FROM {source} WHERE {' AND '.join(conditions)} "
            "ORDER BY e.rowid LIMIT ?",
            (*params, limit),
        )

    def account_ids(self, upto: int) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT DISTINCT account_key FROM {self.scopes_table} "
                "WHERE kind = 'contract' AND position <= ? ORDER BY account_key",
                (upto,),
            )
            return [row[0] for row in c.fetchall()]

    def renewal_accounts(self, upto: int) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT DISTINCT account_key FROM {self.scopes_table} "
                "WHERE kind = 'renewal' AND position <= ? ORDER BY account_key",
                (upto,),
            )
            return [row[0] for row in c.fetchall()]

    def type_counts(self, upto: int) -> dict[str, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT topic, COUNT(*) FROM {self.events_table_name} WHERE rowid <= ? "
                "GROUP BY topic ORDER BY topic",
                (upto,),
            )
            return {row[0]: row[1] for row in c.fetchall()}

    def load_for_write(
        self, event_ids: list[str], originator_ids: list[UUID]
    ) -> tuple[dict[str, KnownEvent], list[StoredEvent]]:
        known: dict[str, KnownEvent] = {}
        events: list[StoredEvent] = []
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(event_ids):
                c.execute(
                    "SELECT event_id, content_hash, rowid, recorded_at, topic "
                    f"FROM {self.events_table_name} "
                    f"WHERE event_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                for row in c.fetchall():
                    known[row[0]] = KnownEvent(
                        row[0], row[1], row[2], _known_instant(row[3]), row[4]
                    )
            for chunk in _chunks([oid.hex for oid in originator_ids]):
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
