"""Which process keeps the read models current: the holder of a PostgreSQL advisory lock.

Several server processes may share one PostgreSQL store; each runs a follower thread, but only
the one holding the session-level advisory lock applies pages. The lock lives on a connection of
its own: when its process dies the server ends the session and releases the lock, and the next
follower to try takes it. SQLite has no such lock: every process follows, and SQLite's write lock
with the tracking position lets at most one apply a given page (the others skip it).
"""

from __future__ import annotations

import contextlib
import hashlib

import psycopg

from ledger.store.location import StoreLocation

__all__ = ["FollowerLock"]


class FollowerLock:
    """`held()` says (and, if it can, makes it so) that this process is the one that follows."""

    def __init__(self, url: str) -> None:
        self.location = StoreLocation.parse(url)
        self._key = int.from_bytes(
            hashlib.sha256(f"sla-ledger follower {self.location.schema}".encode()).digest()[:8],
            "big",
            signed=True,
        )
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._held = False

    @property
    def exclusive(self) -> bool:
        return self.location.backend == "postgresql"

    def held(self) -> bool:
        """Whether this process follows now: it holds the lock, or has just taken it."""
        if not self.exclusive:
            return True
        try:
            if self._connection is None or self._connection.closed:
                self._held = False
                self._connection = psycopg.connect(
                    self.location.connection_string(), autocommit=True, connect_timeout=5
                )
            if self._held:
                self._connection.execute("SELECT 1")  # still connected: still the holder
            else:
                row = self._connection.execute(
                    "SELECT pg_try_advisory_lock(%s)", (self._key,)
                ).fetchone()
                self._held = bool(row and row[0])
        except psycopg.Error:
            self.release()
        return self._held

    def release(self) -> None:
        self._held = False
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                self._connection.close()
            self._connection = None

    @property
    def is_held(self) -> bool:
        """Whether this process held the lock at its last check (no round trip)."""
        return self._held or not self.exclusive
