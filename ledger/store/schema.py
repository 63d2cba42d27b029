"""The store's schema, created or upgraded once and then left alone.

Each part of the database (the events, the read models, the API keys) is a `Component` with a
version. Opening a store reads the versions recorded in its schema-versions table; when every
component is current it runs no DDL and takes no lock. Otherwise it takes the schema lock (a
PostgreSQL advisory lock; SQLite's own write lock serialises its DDL), reads the versions again,
and creates or upgrades only what is still behind - so two processes opening one store together
neither deadlock nor wait behind a writer's table lock.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

__all__ = ["Component", "ensure_schema", "schema_versions"]

Datastore = SQLiteDatastore | PostgresDatastore


@dataclass(frozen=True)
class Component:
    """A part of the schema: its current version, how to create version 1 (idempotent DDL), and
    the steps that bring an older version up to date (`upgrades[v]` takes version v to v + 1)."""

    name: str
    version: int
    create: Callable[[], None]
    upgrades: dict[int, Callable[[], None]] = field(default_factory=dict)


def _table(datastore: Datastore) -> str:
    if isinstance(datastore, SQLiteDatastore):
        return "schema_versions"
    schema = datastore.schema.replace('"', '""')
    return f'"{schema}".slaledger_schema_versions'


def schema_versions(datastore: Datastore) -> dict[str, int]:
    """The recorded version of each component ({} for a store not created yet)."""
    with datastore.transaction(commit=False) as cursor:
        if isinstance(datastore, SQLiteDatastore):
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                (_table(datastore),),
            )
        else:
            cursor.execute("SELECT to_regclass(%s) AS name", (_table(datastore),))
        exists = cursor.fetchone()
        if exists is None or _value(exists, "name", 0) is None:
            return {}
        cursor.execute(f"SELECT component, version FROM {_table(datastore)}")
        rows = cursor.fetchall()
    return {_value(row, "component", 0): _value(row, "version", 1) for row in rows}


def _value(row: object, name: str, index: int) -> Any:
    """A column of a row from either back end (PostgreSQL rows are dicts)."""
    return row[name] if isinstance(row, dict) else row[index]  # type: ignore[index]


def ensure_schema(datastore: Datastore, components: list[Component]) -> None:
    """Create or upgrade the components that are behind; with all current, do nothing."""
    if _all_current(schema_versions(datastore), components):
        return
    with _schema_lock(datastore):
        _create_versions_table(datastore)
        found = schema_versions(datastore)  # again: another process may have done it meanwhile
        for component in components:
            version = found.get(component.name, 0)
            if version >= component.version:
                continue
            if version == 0:
                component.create()  # makes version 1
                version = 1
            for step in range(version, component.version):
                component.upgrades[step]()
            _record(datastore, component.name, component.version)


def _all_current(found: dict[str, int], components: list[Component]) -> bool:
    return all(found.get(c.name, 0) >= c.version for c in components)


@contextlib.contextmanager
def _schema_lock(datastore: Datastore) -> Iterator[None]:
    if isinstance(datastore, SQLiteDatastore):
        yield
        return
    key = int.from_bytes(
        hashlib.sha256(f"sla-ledger schema {datastore.schema}".encode()).digest()[:8],
        "big",
        signed=True,
    )
    with datastore.get_connection() as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (key,))


def _create_versions_table(datastore: Datastore) -> None:
    with datastore.transaction(commit=True) as cursor:
        if isinstance(datastore, PostgresDatastore):
            schema = datastore.schema.replace('"', '""')
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {_table(datastore)} (component TEXT PRIMARY KEY, "
            "version INTEGER NOT NULL, upgraded_at TEXT NOT NULL)"
        )


def _record(datastore: Datastore, component: str, version: int) -> None:
    marker = "?" if isinstance(datastore, SQLiteDatastore) else "%s"
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(
            f"INSERT INTO {_table(datastore)} VALUES ({marker}, {marker}, {marker}) "
            "ON CONFLICT (component) DO UPDATE SET version = excluded.version, "
            "upgraded_at = excluded.upgraded_at",
            (component, version, datetime.now(UTC).isoformat()),
        )
