"""The PostgreSQL store's schema: its tables, indexes, append function and triggers."""

from __future__ import annotations

from psycopg.sql import SQL, Composed, Identifier, Literal

__all__ = ["create_statements"]

_IMMUTABLE = "ledger events are immutable: % on % refused; corrections are new events"

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


def create_statements(
    schema: str, table: str, scopes: str, position_index: str, channel: str
) -> list[Composed]:
    """The tables, indexes, append function and immutability triggers of the store."""
    names = {
        "schema": Identifier(schema),
        "table": Identifier(table),
        "scopes": Identifier(scopes),
        "refuse": Identifier(f"{table}_refuse_change"),
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
        ).format(index=Identifier(position_index), **names),
        SQL("CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {schema}.{table} (event_id)").format(
            index=named("event_id", table), **names
        ),
        SQL(
            "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{table} (recorded_at, notification_id)"
        ).format(index=named("recorded_at", table), **names),
        SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{scopes} ("
            "position bigint NOT NULL, account_key text NOT NULL, kind text NOT NULL, "
            "originator_id uuid NOT NULL, valid_from timestamptz, valid_to timestamptz)"
        ).format(**names),
        SQL(
            "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{scopes} "
            "(account_key, kind, valid_from) INCLUDE (valid_to, position, originator_id)"
        ).format(index=named("by_interval", scopes), **names),
        SQL(
            "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{scopes} (account_key, position)"
        ).format(index=named("by_position", scopes), **names),
        SQL(
            "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{scopes} (originator_id, position)"
        ).format(index=named("by_entity", scopes), **names),
        SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{refuse}() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION '" + _IMMUTABLE + "', TG_OP, TG_TABLE_NAME "
            "USING ERRCODE = 'restrict_violation'; END $$"
        ).format(**names),
    ]
    statements.append(
        SQL(_APPEND_FUNCTION).format(
            channel_text=Literal(channel),
            append=Identifier(f"{table}_append"),
            **names,
        )
    )
    for target in (table, scopes):
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
