"""The production store: the library's PostgreSQL application recorder, extended for the ledger.

The events table keeps the library's columns and adds `event_id` (unique), `valid_at`,
`recorded_at` and `content_hash`. Positions are the library's `notification_id`, but assigned
here - the previous position plus one - while holding the library's `EXCLUSIVE` table lock, so they
have no gaps (a sequence would leave gaps behind rolled-back inserts). The same lock makes
`recorded_at` non-decreasing in position order, so "as of time T" is always a prefix of the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.sql import Identifier

from ledger.idempotency import KnownEvent
from ledger.store.ports import EventIndex, WriteReceipt
from ledger.store.postgres_chain import PostgresChain, chain_names, chain_statements
from ledger.store.postgres_reads import PostgresReads, utc, utc_known
from ledger.store.postgres_schema import create_statements

__all__ = ["LedgerPostgresRecorder"]

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


class LedgerPostgresRecorder(PostgresChain, PostgresReads, PostgresApplicationRecorder):
    """PostgreSQL recorder that records the ledger's index columns in the same transaction; its
    schema is `postgres_schema`'s, its queries `PostgresReads`'."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.scopes_table_name = f"{events_table_name.removesuffix('_events')}_event_scopes"
        self.check_identifier_length(self.scopes_table_name + "_by_interval")
        self.sql_create_statements = create_statements(
            self.datastore.schema, self.events_table_name, self.scopes_table_name,
            self.notification_id_index_name, self.channel_name,
        )  # fmt: skip
        names = chain_names(self.datastore.schema, self.events_table_name)
        self._names = {key: Identifier(value) for key, value in names.items()}
        self._names["channel"] = Identifier(self.channel_name)
        self.chain_upgrade = chain_statements(
            self.datastore.schema, self.events_table_name, self.channel_name
        )
        self._rendered: dict[str, str] = {}
        self._append = self._sql(
            "SELECT appended_position, appended_at, appended_hash FROM {schema}.{append}("
            "%s::uuid[], %s::bigint[], %s::text[], %s::bytea[], %s::text[], %s::timestamptz[], "
            "%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[], "
            "%s::timestamptz[], %s::text)"
        )
        self._load_statement = self._sql(_LOAD_FOR_WRITE)

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
            [entry.actor for entry in index],
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
            rows = self._append_signed((*event_params, *scope_params, wait), receipt)
        except psycopg.errors.UniqueViolation as violation:
            raise IntegrityError(str(violation)) from violation
        if len(stored_events) >= _ANALYZE_AFTER:
            self._analyze()
        return [row["appended_position"] for row in rows]

    def _append_signed(self, params: Sequence[Any], receipt: WriteReceipt) -> list[dict[str, Any]]:
        """Append, and sign the new head in the same transaction when the ledger has its key
        (one commit); without a key the append is one statement in autocommit mode."""
        if self.head_signer is None:
            rows = self._fetch(self._append, params)
        else:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(self._append, params, prepare=True)
                rows = list(curs.fetchall())
                head = rows[-1]
                checkpoint = self.head_signer(
                    head["appended_position"], utc_known(head["appended_at"]), head["appended_hash"]
                )
                self._insert_checkpoint(curs, checkpoint)
                receipt.checkpointed = True
        receipt.positions = [row["appended_position"] for row in rows]
        receipt.recorded_at = utc(rows[-1]["appended_at"])
        receipt.chain_hash = rows[-1]["appended_hash"]
        return rows

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
                    utc_known(row["recorded_at"]),
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
