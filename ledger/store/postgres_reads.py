"""The PostgreSQL store's queries: the `LedgerReader` port over the events and scopes tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from ledger.store.ports import LogRow, ScannedEvent

__all__ = ["COLUMNS", "PostgresReads", "utc", "utc_known"]

COLUMNS = (
    "notification_id AS position, recorded_at, event_id, topic, originator_id, "
    "originator_version, valid_at, state, actor"
)


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def utc_known(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Entities whose known interval may touch [start, end] as of a position. An open interval counts
# only while no later event of the same entity is known (the later one then says where it ends).
_SCOPED_ENTITIES = """
SELECT DISTINCT s.originator_id FROM {schema}.{scopes} s
WHERE s.account_key = ANY(%s) AND s.kind = ANY(%s) AND s.valid_from <= %s AND s.position <= %s
  AND (s.valid_to >= %s OR (s.valid_to IS NULL AND NOT EXISTS (
      SELECT 1 FROM {schema}.{scopes} later
      WHERE later.originator_id = s.originator_id AND later.position > s.position
        AND later.position <= %s)))
"""


class PostgresReads:
    """The read queries of the PostgreSQL recorder (a mixin: the recorder has the tables)."""

    datastore: PostgresDatastore
    _names: dict[str, Identifier]
    _rendered: dict[str, str]

    def _fetch(self, statement: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return list(curs.fetchall())

    def _log_rows(self, statement: str, params: Sequence[Any]) -> list[LogRow]:
        return [
            LogRow(
                row["position"],
                utc_known(row["recorded_at"]),
                row["event_id"],
                row["topic"],
                row["originator_id"],
                row["originator_version"],
                utc(row["valid_at"]),
                bytes(row["state"]),
                row["actor"],
            )
            for row in self._fetch(statement, params)
        ]

    def _sql(self, text: str) -> str:
        """Render a statement once: composing SQL on every execute costs more than running it."""
        rendered = self._rendered.get(text)
        if rendered is None:
            rendered = self._rendered[text] = SQL(text).format(**self._names).as_string()
        return rendered

    def head(self) -> tuple[int, datetime | None]:
        rows = self._fetch(
            self._sql(
                "SELECT notification_id, recorded_at FROM {schema}.{table} "
                "ORDER BY notification_id DESC LIMIT 1"
            ),
            (),
        )
        return (0, None) if not rows else (rows[0]["notification_id"], utc(rows[0]["recorded_at"]))

    def position_at(self, instant: datetime) -> int:
        rows = self._fetch(
            self._sql(
                "SELECT notification_id FROM {schema}.{table} WHERE recorded_at <= %s "
                "ORDER BY recorded_at DESC, notification_id DESC LIMIT 1"
            ),
            (instant,),
        )
        return int(rows[0]["notification_id"]) if rows else 0

    def recorded_at_of(self, position: int) -> datetime | None:
        rows = self._fetch(
            self._sql("SELECT recorded_at FROM {schema}.{table} WHERE notification_id = %s"),
            (position,),
        )
        return utc(rows[0]["recorded_at"]) if rows else None

    def read_log(self, after: int, limit: int, upto: int | None = None) -> list[LogRow]:
        return self._log_rows(
            self._sql(
                f"SELECT {COLUMNS} FROM {{schema}}.{{table}} "
                "WHERE notification_id > %s AND notification_id <= %s "
                "ORDER BY notification_id LIMIT %s"
            ),
            (after, upto if upto is not None else 2**62, limit),
        )

    def scan_log(self, upto: int) -> Iterator[ScannedEvent]:
        statement = self._sql(
            "SELECT notification_id, recorded_at, event_id, topic, valid_at, state, actor "
            "FROM {schema}.{table} WHERE notification_id <= %s ORDER BY notification_id"
        )
        recorded: dict[datetime, datetime] = {}
        with self.datastore.get_connection() as conn, conn.transaction():
            # A server-side, binary cursor: rows stream in pages instead of one big fetch.
            cursor = conn.cursor(name="sla_ledger_scan", binary=True, row_factory=tuple_row)
            cursor.itersize = 10_000
            cursor.execute(statement, (upto,))
            for position, at, event_id, topic, valid_at, state, actor in cursor:
                utc = recorded.get(at)
                if utc is None:
                    utc = recorded[at] = at.astimezone(UTC)
                valid = None if valid_at is None else valid_at.astimezone(UTC)
                yield ScannedEvent(position, utc, event_id, topic, valid, bytes(state), actor)
            cursor.close()

    def rows_at(self, positions: list[int]) -> list[LogRow]:
        if not positions:
            return []
        return self._log_rows(
            self._sql(
                f"SELECT {COLUMNS} FROM {{schema}}.{{table}} WHERE notification_id = ANY(%s)"
            ),
            (positions,),
        )

    def rows_for(self, originator_ids: list[UUID], upto: int) -> list[LogRow]:
        if not originator_ids:
            return []
        return self._log_rows(
            self._sql(
                f"SELECT {COLUMNS} FROM {{schema}}.{{table}} "
                # "+ 0": the position bound filters the entity's few rows; as an index condition
                # it would make the planner scan every position up to it.
                "WHERE originator_id = ANY(%s) AND notification_id + 0 <= %s "
                "ORDER BY notification_id"
            ),
            (originator_ids, upto),
        )

    def scoped_entities(
        self, account_keys: list[str], kinds: list[str], start: datetime, end: datetime, upto: int
    ) -> list[UUID]:
        rows = self._fetch(
            self._sql(_SCOPED_ENTITIES),
            (account_keys, kinds, end, upto, start, upto),
        )
        return [row["originator_id"] for row in rows]

    def open_outage_accounts(self, upto: int) -> list[str]:
        rows = self._fetch(
            self._sql(
                "SELECT DISTINCT s.account_key FROM {schema}.{scopes} s "
                "WHERE s.kind = 'outage' AND s.valid_from IS NOT NULL AND s.valid_to IS NULL "
                "AND s.position <= %s "
                "AND NOT EXISTS (SELECT 1 FROM {schema}.{scopes} later "
                "WHERE later.originator_id = s.originator_id AND later.position > s.position "
                "AND later.position <= %s)"
            ),
            (upto, upto),
        )
        return [row["account_key"] for row in rows]

    def entity_intervals(
        self, originator_ids: list[UUID], upto: int
    ) -> list[tuple[UUID, str, datetime | None, datetime | None, int]]:
        rows = self._fetch(
            self._sql(
                "SELECT originator_id, account_key, valid_from, valid_to, position "
                "FROM {schema}.{scopes} WHERE originator_id = ANY(%s) AND position <= %s"
            ),
            (originator_ids, upto),
        )
        return [
            (
                row["originator_id"],
                row["account_key"],
                utc(row["valid_from"]),
                utc(row["valid_to"]),
                row["position"],
            )
            for row in rows
        ]

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
        conditions = ["e.notification_id > %s", "e.notification_id <= %s"]
        params: list[Any] = [after, upto]
        source = "{schema}.{table} e"
        if account is not None:
            source += (
                " JOIN (SELECT DISTINCT position FROM {schema}.{scopes} "
                "WHERE account_key = ANY(%s) AND position > %s AND position <= %s) s "
                "ON s.position = e.notification_id"
            )
            params = [[account, "*"], after, upto, *params]
        if valid_from is not None:
            conditions.append("e.valid_at >= %s")
            params.append(valid_from)
        if valid_to is not None:
            conditions.append("e.valid_at < %s")
            params.append(valid_to)
        columns = ", ".join(f"e.{column.strip()}" for column in COLUMNS.split(","))
        return self._log_rows(
            self._sql(
                f"SELECT {columns} FROM {source} WHERE {' AND '.join(conditions)} "
                "ORDER BY e.notification_id LIMIT %s"
            ),
            (*params, limit),
        )

    def account_ids(self, upto: int) -> list[str]:
        rows = self._fetch(
            self._sql(
                "SELECT DISTINCT account_key FROM {schema}.{scopes} "
                "WHERE kind = 'contract' AND position <= %s ORDER BY account_key"
            ),
            (upto,),
        )
        return [row["account_key"] for row in rows]

    def renewal_accounts(self, upto: int) -> list[str]:
        rows = self._fetch(
            self._sql(
                "SELECT DISTINCT account_key FROM {schema}.{scopes} "
                "WHERE kind = 'renewal' AND position <= %s ORDER BY account_key"
            ),
            (upto,),
        )
        return [row["account_key"] for row in rows]

    def type_counts(self, upto: int) -> dict[str, int]:
        rows = self._fetch(
            self._sql(
                "SELECT topic, COUNT(*) AS n FROM {schema}.{table} WHERE notification_id <= %s "
                "GROUP BY topic ORDER BY topic"
            ),
            (upto,),
        )
        return {row["topic"]: row["n"] for row in rows}
