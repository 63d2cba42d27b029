"""Store failures after start-up, in one place: which exceptions mean "the store cannot be reached".

psycopg, psycopg_pool, eventsourcing and sqlite3 each raise their own; the HTTP API answers every
one of them 503 with `Retry-After`, the CLI exits 3. Nothing else decides this.
"""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg_pool
from eventsourcing import persistence
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from ledger.errors import StoreUnavailable

__all__ = ["PING_SECONDS", "STORE_FAILURES", "ping", "store_unavailable"]

PING_SECONDS = 0.3  # how long a readiness check waits for a PostgreSQL connection

STORE_FAILURES: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg_pool.PoolTimeout,
    psycopg_pool.PoolClosed,
    persistence.OperationalError,
    persistence.InterfaceError,
    sqlite3.OperationalError,
)


def store_unavailable(error: Exception) -> StoreUnavailable:
    """The ledger's error for a store failure (the driver's text, first line only)."""
    lines = (str(error).strip() or type(error).__name__).splitlines()
    return StoreUnavailable(f"the store cannot be reached: {lines[0]}")


def ping(datastore: SQLiteDatastore | PostgresDatastore, timeout: float = PING_SECONDS) -> None:
    """Check, quickly, that the store answers: a readiness probe says 503 at once, not after the
    connect timeout. SQLite is a file the process has open: nothing to check.

    Raises:
        StoreUnavailable: no PostgreSQL connection within `timeout`, or it failed.
    """
    if not isinstance(datastore, PostgresDatastore):
        return
    try:
        with datastore.pool.connection(timeout=timeout) as connection:
            connection.execute("SELECT 1")
    except STORE_FAILURES as error:
        raise store_unavailable(error) from None
