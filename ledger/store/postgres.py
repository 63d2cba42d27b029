"""The production store: the library's PostgreSQL application recorder, extended for the ledger.

The events table keeps the library's columns and adds `event_id` (unique), `valid_at`,
`recorded_at` and `content_hash`. Positions are the library's `notification_id`, but assigned
here - the previous position plus one - while holding the library's `EXCLUSIVE` table lock, so they
have no gaps (a sequence would leave gaps behind rolled-back inserts). The same lock makes
`recorded_at` non-decreasing in position order, so "as of time T" is always a prefix of the log.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

from ledger.records import EventIndex, KnownEvent, LogRow, ScannedEvent, WriteReceipt

__all__ = ["LedgerPostgresRecorder"]

_IMMUTABLE = "ledger events are immutable: % on % refused; corrections are new events"
_COLUMNS = (
    "notification_id AS position, recorded_at, event_id, topic, originator_id, "
    "originator_version, valid_at, state"
)

# Everything one write needs, in one statement: in autocommit mode that is one transaction and
# one round trip. It takes the same EXCLUSIVE lock as the library, so each position is the previous
# one plus one and commit order equals position order.
_APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.{append}(
    oids uuid[], versions bigint[], topics text[], states bytea[], ids text[],
    valid_ats timestamptz[], hashes text[], scope_ids text[], scope_accounts text[],
    scope_kinds text[], scope_from timestamptz[], scope_to timestamptz[], wait_for_lock text)
RETURNS TABLE(appended_position bigint, appended_at timestamptz) LANGUAGE plpgsql AS $$
DECLARE base bigint; at timestamptz; last_at timestamptz;
BEGIN
    PERFORM set_config('lock_timeout', wait_for_lock, true);
    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;
    PERFORM pg_notify({channel_text}, '');
    SELECT t.notification_id, t.recorded_at INTO base, last_at
        FROM {schema}.{table} t ORDER BY t.notification_id DESC LIMIT 1;
    base := COALESCE(base, 0);
    at := GREATEST(clock_timestamp(), COALESCE(last_at, '-infinity'::timestamptz));
    INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state,
        notification_id, event_id, valid_at, recorded_at, content_hash)
    SELECT u.oid, u.version, u.topic, u.state, base + u.ord, u.event_id, u.valid_at, at, u.hash
    FROM unnest(oids, versions, topics, states, ids, valid_ats, hashes)
        WITH ORDINALITY AS u(oid, version, topic, state, event_id, valid_at, hash, ord);
    INSERT INTO {schema}.{scopes}
    SELECT base + e.ord, s.account_key, s.kind, oids[e.ord], s.valid_from, s.valid_to
    FROM unnest(scope_ids, scope_accounts, scope_kinds, scope_from, scope_to)
        AS s(event_id, account_key, kind, valid_from, valid_to)
    JOIN unnest(ids) WITH ORDINALITY AS e(event_id, ord) ON e.event_id = s.event_id;
    RETURN QUERY SELECT base + g, at FROM generate_series(1, cardinality(oids)) g;
END $$
"""

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

# Before a write: which event ids are taken, and the stored events of the entities involved.
_LOAD_FOR_WRITE = """
SELECT 'known' AS part, event_id, content_hash, notification_id, recorded_at, topic,
       NULL::uuid AS originator_id, NULL::bigint AS originator_version, NULL::bytea AS state
FROM {schema}.{table} WHERE event_id = ANY(%s)
UNION ALL
SELECT 'entity', NULL, NULL, NULL, NULL, topic, originator_id, originator_version, state
FROM {schema}.{table} WHERE originator_id = ANY(%s)
ORDER BY part, originator_id, originator_version
"""


_ANALYZE_AFTER = 10_000  # events in one write


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _utc_known(value: datetime) -> datetime:
    return value.astimezone(UTC)


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    """PostgreSQL recorder that records the ledger's index columns in the same transaction."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.scopes_table_name = f"{events_table_name.removesuffix('_events')}_event_scopes"
        self.check_identifier_length(self.scopes_table_name + "_by_interval")
        self.sql_create_statements = self._create_statements()
        self._names = {
            "schema": Identifier(self.datastore.schema),
            "table": Identifier(self.events_table_name),
            "scopes": Identifier(self.scopes_table_name),
            "channel": Identifier(self.channel_name),
            "append": Identifier(f"{self.events_table_name}_append"),
        }
        self._rendered: dict[str, str] = {}
        self._append = self._sql(
            "SELECT appended_position, appended_at FROM {schema}.{append}("
            "%s::uuid[], %s::bigint[], %s::text[], %s::bytea[], %s::text[], %s::timestamptz[], "
            "%s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[], "
            "%s::timestamptz[], %s::text)"
        )
        self._load_statement = self._sql(_LOAD_FOR_WRITE)

    def _create_statements(self) -> list[Composed]:
        names = {
            "schema": Identifier(self.datastore.schema),
            "table": Identifier(self.events_table_name),
            "scopes": Identifier(self.scopes_table_name),
            "refuse": Identifier(f"{self.events_table_name}_refuse_change"),
        }

        def named(suffix: str, base: str) -> Identifier:
            return Identifier(f"{base}_{suffix}")

        statements = [
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text, "
                "state bytea, notification_id bigint NOT NULL, event_id text NOT NULL, "
                "valid_at timestamptz, recorded_at timestamptz NOT NULL, "
                "content_hash text NOT NULL, "
                "PRIMARY KEY (originator_id, originator_version))"
            ).format(**names),
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {schema}.{table} (notification_id)"
            ).format(index=Identifier(self.notification_id_index_name), **names),
            SQL("CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {schema}.{table} (event_id)").format(
                index=named("event_id", self.events_table_name), **names
            ),
            SQL(
                "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{table} "
                "(recorded_at, notification_id)"
            ).format(index=named("recorded_at", self.events_table_name), **names),
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{scopes} ("
                "position bigint NOT NULL, account_key text NOT NULL, kind text NOT NULL, "
                "originator_id uuid NOT NULL, valid_from timestamptz, valid_to timestamptz)"
            ).format(**names),
            SQL(
                "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{scopes} "
                "(account_key, kind, valid_from) INCLUDE (valid_to, position, originator_id)"
            ).format(index=named("by_interval", self.scopes_table_name), **names),
            SQL(
                "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{scopes} (account_key, position)"
            ).format(index=named("by_position", self.scopes_table_name), **names),
            SQL(
                "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{scopes} (originator_id, position)"
            ).format(index=named("by_entity", self.scopes_table_name), **names),
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{refuse}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION '" + _IMMUTABLE + "', TG_OP, TG_TABLE_NAME "
                "USING ERRCODE = 'restrict_violation'; END $$"
            ).format(**names),
        ]
        statements.append(
            SQL(_APPEND_FUNCTION).format(
                channel_text=Literal(self.channel_name),
                append=Identifier(f"{self.events_table_name}_append"),
                **names,
            )
        )
        for target in (self.events_table_name, self.scopes_table_name):
            for suffix, timing in (
                ("refuse_rows", "BEFORE UPDATE OR DELETE ON {schema}.{target} FOR EACH ROW"),
                ("refuse_truncate", "BEFORE TRUNCATE ON {schema}.{target} FOR EACH STATEMENT"),
            ):
                statements.append(
                    SQL(
                        "CREATE OR REPLACE TRIGGER {trigger} " + timing + " EXECUTE FUNCTION "
                        "{schema}.{refuse}()"
                    ).format(trigger=named(suffix, target), target=Identifier(target), **names)
                )
        return statements

    # --- writing -------------------------------------------------------------------------

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        index: Sequence[EventIndex] = kwargs["ledger_index"]
        receipt: WriteReceipt = kwargs.get("receipt") or WriteReceipt()
        if len(index) != len(stored_events):
            raise IntegrityError("every stored event needs its ledger index entry")
        if not stored_events:
            return []
        event_params = (
            [s.originator_id for s in stored_events],
            [s.originator_version for s in stored_events],
            [s.topic for s in stored_events],
            [s.state for s in stored_events],
            [entry.event_id for entry in index],
            [entry.valid_at for entry in index],
            [entry.content_hash for entry in index],
        )
        scopes = [(entry.event_id, scope) for entry in index for scope in entry.scopes]
        scope_params = (
            [event_id for event_id, _ in scopes],
            [scope.account_key for _, scope in scopes],
            [scope.kind for _, scope in scopes],
            [scope.valid_from for _, scope in scopes],
            [scope.valid_to for _, scope in scopes],
        )
        # One statement in autocommit mode is one transaction and one round trip.
        wait = f"{self.datastore.lock_timeout}s"
        try:
            rows = self._fetch(self._append, (*event_params, *scope_params, wait))
        except psycopg.errors.UniqueViolation as violation:
            raise IntegrityError(str(violation)) from violation
        if len(stored_events) >= _ANALYZE_AFTER:
            self._analyze()
        positions = [row["appended_position"] for row in rows]
        receipt.positions = positions
        receipt.recorded_at = _utc(rows[-1]["appended_at"])
        return positions

    def _analyze(self) -> None:
        """Refresh the planner's statistics after a bulk import.

        Lookups are prepared statements; with no statistics (a table just filled) PostgreSQL's
        generic plan for them estimates a large result and starts parallel workers, costing
        milliseconds per query. Autovacuum would analyze later; a bulk import should not wait.
        """
        with self.datastore.get_connection() as conn:
            conn.execute(self._sql("ANALYZE {schema}.{table}"))
            conn.execute(self._sql("ANALYZE {schema}.{scopes}"))

    # --- reading -------------------------------------------------------------------------

    def _fetch(self, statement: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return list(curs.fetchall())

    def _log_rows(self, statement: str, params: Sequence[Any]) -> list[LogRow]:
        return [
            LogRow(
                row["position"],
                _utc_known(row["recorded_at"]),
                row["event_id"],
                row["topic"],
                row["originator_id"],
                row["originator_version"],
                _utc(row["valid_at"]),
                bytes(row["state"]),
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
        return (0, None) if not rows else (rows[0]["notification_id"], _utc(rows[0]["recorded_at"]))

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
        return _utc(rows[0]["recorded_at"]) if rows else None

    def read_log(self, after: int, limit: int, upto: int | None = None) -> list[LogRow]:
        return self._log_rows(
            self._sql(
                f"SELECT {_COLUMNS} FROM {{schema}}.{{table}} "
                "WHERE notification_id > %s AND notification_id <= %s "
                "ORDER BY notification_id LIMIT %s"
            ),
            (after, upto if upto is not None else 2**62, limit),
        )

    def scan_log(self, upto: int) -> Iterator[ScannedEvent]:
        statement = self._sql(
            "SELECT notification_id, recorded_at, event_id, topic, valid_at, state "
            "FROM {schema}.{table} WHERE notification_id <= %s ORDER BY notification_id"
        )
        recorded: dict[datetime, datetime] = {}
        with self.datastore.get_connection() as conn, conn.transaction():
            # A server-side, binary cursor: rows stream in pages instead of one big fetch.
            cursor = conn.cursor(name="sla_ledger_scan", binary=True, row_factory=tuple_row)
            cursor.itersize = 10_000
            cursor.execute(statement, (upto,))
            for position, at, event_id, topic, valid_at, state in cursor:
                utc = recorded.get(at)
                if utc is None:
                    utc = recorded[at] = at.astimezone(UTC)
                valid = None if valid_at is None else valid_at.astimezone(UTC)
                yield ScannedEvent(position, utc, event_id, topic, valid, bytes(state))
            cursor.close()

    def rows_at(self, positions: list[int]) -> list[LogRow]:
        if not positions:
            return []
        return self._log_rows(
            self._sql(
                f"SELECT {_COLUMNS} FROM {{schema}}.{{table}} WHERE notification_id = ANY(%s)"
            ),
            (positions,),
        )

    def rows_for(self, originator_ids: list[UUID], upto: int) -> list[LogRow]:
        if not originator_ids:
            return []
        return self._log_rows(
            self._sql(
                f"SELECT {_COLUMNS} FROM {{schema}}.{{table}} "
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
    ) -> list[tuple[UUID, str, datetime | None, datetime | None]]:
        rows = self._fetch(
            self._sql(
                "SELECT originator_id, account_key, valid_from, valid_to FROM {schema}.{scopes} "
                "WHERE originator_id = ANY(%s) AND position <= %s"
            ),
            (originator_ids, upto),
        )
        return [
            (
                row["originator_id"],
                row["account_key"],
                _utc(row["valid_from"]),
                _utc(row["valid_to"]),
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
        columns = ", ".join(f"e.{column.strip()}" for column in _COLUMNS.split(","))
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

    def load_for_write(
        self, event_ids: list[str], originator_ids: list[UUID]
    ) -> tuple[dict[str, KnownEvent], list[StoredEvent]]:
        known: dict[str, KnownEvent] = {}
        events: list[StoredEvent] = []
        for row in self._fetch(self._load_statement, (event_ids, originator_ids)):
            if row["part"] == "known":
                known[row["event_id"]] = KnownEvent(
                    row["event_id"],
                    row["content_hash"],
                    row["notification_id"],
                    _utc_known(row["recorded_at"]),
                    row["topic"],
                )
            else:
                events.append(
                    StoredEvent(
                        row["originator_id"],
                        row["originator_version"],
                        row["topic"],
                        bytes(row["state"]),
                    )
                )
        return known, events
