"""Store failures after start-up, in one place: which exceptions mean "the store cannot be reached".

psycopg, psycopg_pool, eventsourcing and sqlite3 each raise their own; the HTTP API answers every
one of them 503 with `Retry-After`, the CLI exits 3. Nothing else decides this.
"""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg_pool
from eventsourcing import persistence

from ledger.errors import StoreUnavailable

__all__ = ["STORE_FAILURES", "store_unavailable"]

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
