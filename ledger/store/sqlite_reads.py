"""The SQLite store's queries: the `LedgerReader` port over `stored_events` and `event_scopes`.

Instants are integer Unix microseconds; a row's `rowid` is its position.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteDatastore

from ledger.store.ports import LogRow, ScannedEvent
from ledger.timevalues import instant_micros, micros_instant

__all__ = ["SQLiteReads", "chunks", "micros_or_none"]

_CHUNK = 500


def micros_or_none(value: datetime | None) -> int | None:
    return None if value is None else instant_micros(value)


def _instant(micros: int | None) -> datetime | None:
    return None if micros is None else micros_instant(micros)


def chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    """`items` in pieces small enough for one statement's parameters."""
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


class SQLiteReads:
    """The read queries of the SQLite recorder (a mixin: the recorder has the tables)."""

    datastore: SQLiteDatastore
    events_table_name: str
    scopes_table: str
    _columns: str

    def _rows(self, sql: str, params: Sequence[Any]) -> list[LogRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return [self._log_row(row) for row in c.fetchall()]

    @staticmethod
    def _log_row(row: Any) -> LogRow:
        return LogRow(
            row[0],
            micros_instant(row[1]),
            row[2],
            row[3],
            UUID(row[4]),
            row[5],
            _instant(row[6]),
            row[7],
            row[8],
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
                (micros_or_none(instant),),
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
                "SELECT rowid, recorded_at, event_id, topic, valid_at, state, actor "
                f"FROM {self.events_table_name} WHERE rowid <= ? ORDER BY rowid",
                (upto,),
            )
            while rows := c.sqlite_cursor.fetchmany(10_000):
                for position, micros, event_id, topic, valid_at, state, actor in rows:
                    at = recorded.get(micros)
                    if at is None:
                        at = recorded[micros] = micros_instant(micros)
                    valid = None if valid_at is None else micros_instant(valid_at)
                    yield ScannedEvent(position, at, event_id, topic, valid, state, actor)

    def rows_at(self, positions: list[int]) -> list[LogRow]:
        rows: list[LogRow] = []
        for chunk in chunks(positions):
            rows += self._rows(
                f"SELECT {self._columns} FROM {self.events_table_name} "
                f"WHERE rowid IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        return rows

    def rows_for(self, originator_ids: list[UUID], upto: int) -> list[LogRow]:
        rows: list[LogRow] = []
        for chunk in chunks([oid.hex for oid in originator_ids]):
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
                (*account_keys, *kinds, micros_or_none(end), upto, micros_or_none(start), upto),
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
    ) -> list[tuple[UUID, str, datetime | None, datetime | None, int]]:
        found: list[tuple[UUID, str, datetime | None, datetime | None, int]] = []
        with self.datastore.transaction(commit=False) as c:
            for chunk in chunks([oid.hex for oid in originator_ids]):
                c.execute(
                    "SELECT originator_id, account_key, valid_from, valid_to, position "
                    f"FROM {self.scopes_table} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))}) "
                    "AND position <= ?",
                    (*chunk, upto),
                )
                found += [
                    (UUID(row[0]), row[1], _instant(row[2]), _instant(row[3]), row[4])
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
            params.append(micros_or_none(valid_from))
        if valid_to is not None:
            conditions.append("e.valid_at < ?")
            params.append(micros_or_none(valid_to))
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
