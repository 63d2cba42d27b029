"""The PostgreSQL store's hash chain, checkpoints and identity (schema version 2).

The append function links every new event onto the chain in the same statement, with SQL's own
`sha256` over the byte layout of `ledger.chain`; `chain_rows` reads events and chain back for
`verify`. Chain, checkpoints and identity refuse UPDATE, DELETE and TRUNCATE, like the events.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

from ledger.chain import GENESIS, ChainedRow, link
from ledger.verification import Checkpoint, HeadSigner

__all__ = ["APPEND_FUNCTION", "PostgresChain", "chain_names", "chain_statements"]

# Everything one write needs, in one statement: in autocommit mode that is one transaction and
# one round trip. It takes the same EXCLUSIVE lock as the library, so each position is the previous
# one plus one and commit order equals position order - and the chain is linked in that order.
APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.{append}(
    oids uuid[], versions bigint[], topics text[], states bytea[], ids text[],
    valid_ats timestamptz[], hashes text[], actors text[], scope_ids text[],
    scope_accounts text[], scope_kinds text[], scope_from timestamptz[], scope_to timestamptz[],
    wait_for_lock text)
RETURNS TABLE(appended_position bigint, appended_at timestamptz, appended_hash text)
LANGUAGE plpgsql AS $$
DECLARE base bigint; at timestamptz; last_at timestamptz; h bytea; at_us bigint; r record;
    links text[] := ARRAY[]::text[];
BEGIN
    PERFORM set_config('lock_timeout', wait_for_lock, true);
    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;
    PERFORM pg_notify({channel_text}, '');
    SELECT t.notification_id, t.recorded_at INTO base, last_at
        FROM {schema}.{table} t ORDER BY t.notification_id DESC LIMIT 1;
    base := COALESCE(base, 0);
    at := GREATEST(clock_timestamp(), COALESCE(last_at, '-infinity'::timestamptz));
    INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state,
        notification_id, event_id, valid_at, recorded_at, content_hash, actor)
    SELECT u.oid, u.version, u.topic, u.state, base + u.ord, u.event_id, u.valid_at, at, u.hash,
        u.actor
    FROM unnest(oids, versions, topics, states, ids, valid_ats, hashes, actors)
        WITH ORDINALITY AS u(oid, version, topic, state, event_id, valid_at, hash, actor, ord);
    INSERT INTO {schema}.{scopes}
    SELECT base + e.ord, s.account_key, s.kind, oids[e.ord], s.valid_from, s.valid_to
    FROM unnest(scope_ids, scope_accounts, scope_kinds, scope_from, scope_to)
        AS s(event_id, account_key, kind, valid_from, valid_to)
    JOIN unnest(ids) WITH ORDINALITY AS e(event_id, ord) ON e.event_id = s.event_id;
    SELECT decode(c.chain_hash, 'hex') INTO h FROM {schema}.{chain} c
        ORDER BY c.position DESC LIMIT 1;
    h := COALESCE(h, decode(repeat('00', 32), 'hex'));
    at_us := (extract(epoch FROM at) * 1000000)::bigint;
    FOR r IN SELECT * FROM unnest(oids, versions, topics, states, ids, valid_ats, hashes, actors)
            WITH ORDINALITY AS u(oid, version, topic, state, event_id, valid_at, hash, actor, ord)
            ORDER BY u.ord LOOP
        h := sha256(h || int8send(base + r.ord) || int8send(at_us)
            || {schema}.{lp}(convert_to(r.event_id, 'UTF8'))
            || {schema}.{lp}(convert_to(r.topic, 'UTF8'))
            || {schema}.{lp}(convert_to(COALESCE(r.actor, ''), 'UTF8'))
            || {schema}.{lp}(convert_to(replace(r.oid::text, '-', ''), 'UTF8'))
            || int8send(r.version)
            || int8send(COALESCE((extract(epoch FROM r.valid_at) * 1000000)::bigint,
                                 -9223372036854775808))
            || {schema}.{lp}(convert_to(r.hash, 'UTF8')) || {schema}.{lp}(r.state));
        links := array_append(links, encode(h, 'hex'));
    END LOOP;
    INSERT INTO {schema}.{chain}
    SELECT base + l.ord, l.link FROM unnest(links) WITH ORDINALITY AS l(link, ord);
    RETURN QUERY SELECT base + g, at, encode(h, 'hex')
        FROM generate_series(1, cardinality(oids)) g;
END $$
"""

_OLD_APPEND = (
    "DROP FUNCTION IF EXISTS {schema}.{append}(uuid[], bigint[], text[], bytea[], text[], "
    "timestamptz[], text[], text[], text[], text[], timestamptz[], timestamptz[], text)"
)

_ROW = (
    "e.notification_id, (extract(epoch FROM e.recorded_at) * 1000000)::bigint, e.event_id, "
    "e.topic, COALESCE(e.actor, ''), replace(e.originator_id::text, '-', ''), "
    "e.originator_version, (extract(epoch FROM e.valid_at) * 1000000)::bigint, e.content_hash, "
    "e.state"
)


def chain_names(schema: str, table: str) -> dict[str, str]:
    """The names of version 2's objects, beside the events table's."""
    prefix = table.removesuffix("_events")
    return {
        "schema": schema,
        "table": table,
        "chain": f"{prefix}_event_chain",
        "checkpoints": f"{prefix}_checkpoints",
        "meta": f"{prefix}_meta",
        "lp": f"{prefix}_lp",
        "append": f"{table}_append",
        "refuse": f"{table}_refuse_change",
        "scopes": f"{prefix}_event_scopes",
    }


def chain_statements(schema: str, table: str, channel: str) -> list[Composed]:
    """Version 1 -> 2: the actor column, the chain, checkpoints and identity tables, their
    triggers, and the append function that links the chain."""
    plain = chain_names(schema, table)
    names = {key: Identifier(value) for key, value in plain.items()}
    statements = [
        SQL("ALTER TABLE {schema}.{table} ADD COLUMN IF NOT EXISTS actor text").format(**names),
        SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{chain} (position bigint PRIMARY KEY, "
            "chain_hash text NOT NULL)"
        ).format(**names),
        SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{checkpoints} (position bigint PRIMARY KEY, "
            "recorded_at bigint NOT NULL, chain_hash text NOT NULL, key_id text NOT NULL, "
            "signature text NOT NULL, signed_at text NOT NULL)"
        ).format(**names),
        SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{meta} (name text PRIMARY KEY, "
            "value text NOT NULL)"
        ).format(**names),
        SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{lp}(bytea) RETURNS bytea LANGUAGE sql "
            "IMMUTABLE AS $$ SELECT int4send(octet_length($1)) || $1 $$"
        ).format(**names),
        SQL(_OLD_APPEND).format(**names),
        SQL(APPEND_FUNCTION).format(channel_text=Literal(channel), **names),
    ]
    for target in ("chain", "checkpoints", "meta"):
        for suffix, timing in (
            ("refuse_rows", "BEFORE UPDATE OR DELETE ON {schema}.{target} FOR EACH ROW"),
            ("refuse_truncate", "BEFORE TRUNCATE ON {schema}.{target} FOR EACH STATEMENT"),
        ):
            statements.append(
                SQL(
                    "CREATE OR REPLACE TRIGGER {trigger} " + timing + " EXECUTE FUNCTION "
                    "{schema}.{refuse}()"
                ).format(
                    trigger=Identifier(f"{plain[target]}_{suffix}"), target=names[target], **names
                )
            )
    return statements


class PostgresChain:
    """The chain, checkpoint and identity tables of the PostgreSQL recorder (a mixin)."""

    datastore: PostgresDatastore
    _names: dict[str, Identifier]
    head_signer: HeadSigner | None = None  # set by the ledger when it has its key
    _rendered: dict[str, str]
    chain_upgrade: list[Composed]

    if TYPE_CHECKING:

        def _sql(self, text: str) -> str: ...  # the recorder's: renders {schema}.{...} names

    def upgrade_to_chain(self) -> None:
        """Version 1 -> 2, and the chain computed once over every stored event (said so)."""
        with self.datastore.transaction(commit=True) as curs:
            for statement in self.chain_upgrade:
                curs.execute(statement)
            curs.execute(
                self._sql(
                    "INSERT INTO {schema}.{meta} VALUES ('ledger_id', %s) ON CONFLICT DO NOTHING"
                ),
                (str(uuid.uuid4()),),
            )
        if self.chain_extent()[1]:
            return
        previous, written, links = GENESIS, 0, []
        for row in self.chain_rows():
            previous = link(previous, row)
            links.append((row.position, previous.hex()))
        with self.datastore.transaction(commit=True) as curs:
            for start in range(0, len(links), 10_000):
                curs.executemany(
                    self._sql("INSERT INTO {schema}.{chain} VALUES (%s, %s)"),
                    links[start : start + 10_000],
                )
            written = len(links)
        if written:
            print(
                f"sla-ledger: computed the hash chain over {written} stored events "
                "(first open after the upgrade)",
                file=sys.stderr,
            )

    def chain_rows(self, upto: int | None = None) -> Iterator[ChainedRow]:
        """Every stored event with its stored chain hash, in position order (streamed)."""
        statement = self._sql(
            f"SELECT {_ROW}, ch.chain_hash FROM {{schema}}.{{table}} e "
            "LEFT JOIN {schema}.{chain} ch ON ch.position = e.notification_id "
            "WHERE e.notification_id <= %s ORDER BY e.notification_id"
        )
        with self.datastore.get_connection() as conn, conn.transaction():
            cursor = conn.cursor(name="sla_ledger_chain", binary=True, row_factory=tuple_row)
            cursor.itersize = 10_000
            cursor.execute(statement, (2**62 if upto is None else upto,))
            for row in cursor:
                yield _chained(row)
            cursor.close()

    def chain_extent(self) -> tuple[int, int]:
        rows = self._rows(
            "SELECT (SELECT COALESCE(MAX(notification_id), 0) FROM {schema}.{table}) AS events, "
            "(SELECT COALESCE(MAX(position), 0) FROM {schema}.{chain}) AS chain",
            (),
        )
        return int(rows[0]["events"]), int(rows[0]["chain"])

    def chain_hashes(self, positions: list[int]) -> dict[int, str]:
        rows = self._rows(
            "SELECT position, chain_hash FROM {schema}.{chain} WHERE position = ANY(%s)",
            (positions,),
        )
        return {row["position"]: row["chain_hash"] for row in rows}

    def write_checkpoint(self, checkpoint: Checkpoint) -> None:
        with self.datastore.transaction(commit=True) as curs:
            self._insert_checkpoint(curs, checkpoint)

    def _insert_checkpoint(self, curs: Any, checkpoint: Checkpoint) -> None:
        curs.execute(
            self._sql(
                "INSERT INTO {schema}.{checkpoints} VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING"
            ),
            (
                checkpoint.position,
                checkpoint.recorded_at,
                checkpoint.chain_hash,
                checkpoint.key_id,
                checkpoint.signature,
                checkpoint.signed_at,
            ),
        )

    def checkpoints(self) -> list[Checkpoint]:
        rows = self._rows("SELECT * FROM {schema}.{checkpoints} ORDER BY position", ())
        return [Checkpoint(*row.values()) for row in rows]

    def ledger_id(self) -> str:
        rows = self._rows("SELECT value FROM {schema}.{meta} WHERE name = 'ledger_id'", ())
        return str(rows[0]["value"]) if rows else ""

    def _rows(self, text: str, params: Any) -> list[dict[str, Any]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql(text), params)
            return list(curs.fetchall())


def _chained(row: Any) -> ChainedRow:
    return ChainedRow(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], bytes(row[9]),
        row[10],
    )  # fmt: skip
