"""API keys and idempotency records, kept beside the ledger in its own database.

A key reads `slk_<id>_<secret>`. Only a SHA-256 of the secret is stored: the secret is 32 random
bytes, so a fast hash is enough (there is nothing to guess), and a leaked table reveals no key.
Keys are configuration, not facts of an SLA, so they live in ordinary tables: revoking one marks
it revoked. Idempotency records remember the first answer to a write sent with an
`Idempotency-Key` header, so that a retried request gets the same answer and appends nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from ledger.errors import InvalidQuery, NotFound
from ledger.importing import ID_PATTERN
from ledger.store.schema import Component, ensure_schema

__all__ = ["ApiKey", "KeyStore", "Role", "StoredAnswer"]

Role = Literal["operator", "auditor", "customer", "ingest"]
# ingest: monitoring (Alertmanager) posting to the /integrations routes, and nothing else.
ROLES: tuple[Role, ...] = ("operator", "auditor", "customer", "ingest")
_CACHE_SECONDS = 2.0  # a revoked key stops working within this time in every process


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    role: Role
    account_id: str | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class StoredAnswer:
    request_hash: str
    status_code: int
    body: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    """Creates, checks and revokes API keys; remembers answers to idempotent writes."""

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self._sqlite = isinstance(datastore, SQLiteDatastore)
        self._datastore: SQLiteDatastore | PostgresDatastore = datastore
        schema = f'"{datastore.schema}".' if isinstance(datastore, PostgresDatastore) else ""
        self._keys = f"{schema}{'api_keys' if self._sqlite else 'slaledger_api_keys'}"
        self._answers = (
            f"{schema}{'api_idempotency' if self._sqlite else 'slaledger_api_idempotency'}"
        )
        self._cache: dict[str, tuple[float, ApiKey | None, str]] = {}
        self._lock = threading.Lock()
        ensure_schema(datastore, [Component("keys", 1, self._create_tables)])

    def _sql(self, text: str) -> str:
        return text.replace("?", "?" if self._sqlite else "%s").format(
            keys=self._keys, answers=self._answers
        )

    @contextmanager
    def _cursor(self, commit: bool) -> Iterator[Any]:
        with self._datastore.transaction(commit=commit) as cursor:
            yield cursor

    def _rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(sql), params)
            rows = cursor.fetchall()
        return [tuple(row.values()) if isinstance(row, dict) else tuple(row) for row in rows]

    def _execute(self, sql: str, params: Sequence[Any]) -> None:
        with self._cursor(commit=True) as cursor:
            cursor.execute(self._sql(sql), params)

    def _create_tables(self) -> None:
        with self._cursor(commit=True) as cursor:
            cursor.execute(
                self._sql(
                    "CREATE TABLE IF NOT EXISTS {keys} (key_id TEXT PRIMARY KEY, "
                    "secret_hash TEXT NOT NULL, role TEXT NOT NULL, account_id TEXT, "
                    "created_at TEXT NOT NULL, revoked_at TEXT)"
                )
            )
            cursor.execute(
                self._sql(
                    "CREATE TABLE IF NOT EXISTS {answers} (key_id TEXT NOT NULL, "
                    "idempotency_key TEXT NOT NULL, request_hash TEXT NOT NULL, "
                    "status_code INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL, "
                    "PRIMARY KEY (key_id, idempotency_key))"
                )
            )

    # --- keys ------------------------------------------------------------------------------

    def create(self, role: str, account_id: str | None = None) -> tuple[ApiKey, str]:
        """A new key; returns it with its secret text, which is shown once and never stored."""
        if role not in ROLES:
            raise InvalidQuery(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
        if (role == "customer") != (account_id is not None):
            raise InvalidQuery("a customer key needs --account; other roles take none")
        if account_id is not None and not re.fullmatch(ID_PATTERN, account_id):
            raise InvalidQuery(f"{account_id!r} is not an account id ({ID_PATTERN})")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        created = datetime.now(UTC)
        self._execute(
            "INSERT INTO {keys} VALUES (?, ?, ?, ?, ?, NULL)",
            (key_id, _digest(secret), role, account_id, created.isoformat()),
        )
        return ApiKey(key_id, role, account_id, created, None), f"slk_{key_id}_{secret}"

    def revoke(self, key_id: str) -> ApiKey:
        found = self.get(key_id)
        if found is None:
            raise NotFound(f"unknown key {key_id!r}")
        if found.revoked_at is None:
            self._execute(
                "UPDATE {keys} SET revoked_at = ? WHERE key_id = ?",
                (datetime.now(UTC).isoformat(), key_id),
            )
        with self._lock:
            self._cache.pop(key_id, None)
        revoked = self.get(key_id)
        assert revoked is not None
        return revoked

    def get(self, key_id: str) -> ApiKey | None:
        rows = self._rows(
            "SELECT key_id, role, account_id, created_at, revoked_at FROM {keys} WHERE key_id = ?",
            (key_id,),
        )
        return _key(rows[0]) if rows else None

    def all(self) -> list[ApiKey]:
        rows = self._rows(
            "SELECT key_id, role, account_id, created_at, revoked_at FROM {keys} "
            "ORDER BY created_at",
            (),
        )
        return [_key(row) for row in rows]

    def verify(self, presented: str) -> ApiKey | None:
        """The active key `presented` stands for, or None (unknown, malformed or revoked)."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != "slk":
            return None
        key_id, secret = parts[1], parts[2]
        key, stored_hash = self._lookup(key_id)
        if key is None or key.revoked_at is not None:
            return None
        return key if hmac.compare_digest(stored_hash, _digest(secret)) else None

    def _lookup(self, key_id: str) -> tuple[ApiKey | None, str]:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is not None and now - cached[0] < _CACHE_SECONDS:
            return cached[1], cached[2]
        rows = self._rows(
            "SELECT key_id, role, account_id, created_at, revoked_at, secret_hash FROM {keys} "
            "WHERE key_id = ?",
            (key_id,),
        )
        key, stored_hash = (_key(rows[0][:5]), rows[0][5]) if rows else (None, "")
        with self._lock:
            self._cache[key_id] = (now, key, stored_hash)
        return key, stored_hash

    # --- idempotency ------------------------------------------------------------------------

    def answer(self, key_id: str, idempotency_key: str) -> StoredAnswer | None:
        rows = self._rows(
            "SELECT request_hash, status_code, body FROM {answers} "
            "WHERE key_id = ? AND idempotency_key = ?",
            (key_id, idempotency_key),
        )
        return StoredAnswer(rows[0][0], rows[0][1], rows[0][2]) if rows else None  # 0: pending

    def reserve(
        self, key_id: str, idempotency_key: str, request_hash: str, stale_seconds: float
    ) -> bool:
        """Reserve `idempotency_key` for one request, atomically; True if this caller won it.

        The reservation is a row with status 0 (no answer yet), inserted with ON CONFLICT DO
        NOTHING, so of requests racing with the same key exactly one inserts it. A reservation
        older than `stale_seconds` (its process died before answering) is taken over.
        """
        now = datetime.now(UTC)
        won = self._returning(
            "INSERT INTO {answers} VALUES (?, ?, ?, 0, '', ?) "
            "ON CONFLICT (key_id, idempotency_key) DO NOTHING RETURNING key_id",
            (key_id, idempotency_key, request_hash, now.isoformat()),
        )
        if won:
            return True
        stale = (now - timedelta(seconds=stale_seconds)).isoformat()
        return self._returning(
            "UPDATE {answers} SET request_hash = ?, created_at = ? WHERE key_id = ? AND "
            "idempotency_key = ? AND status_code = 0 AND created_at < ? RETURNING key_id",
            (request_hash, now.isoformat(), key_id, idempotency_key, stale),
        )

    def remember(self, key_id: str, idempotency_key: str, answer: StoredAnswer) -> None:
        """Store the answer of the request that holds the reservation."""
        self._execute(
            "UPDATE {answers} SET status_code = ?, body = ? "
            "WHERE key_id = ? AND idempotency_key = ? AND status_code = 0",
            (answer.status_code, answer.body, key_id, idempotency_key),
        )

    def release(self, key_id: str, idempotency_key: str) -> None:
        """Give a reservation up unanswered (the request failed; a retry may try again)."""
        self._execute(
            "DELETE FROM {answers} WHERE key_id = ? AND idempotency_key = ? AND status_code = 0",
            (key_id, idempotency_key),
        )

    def _returning(self, sql: str, params: Sequence[Any]) -> bool:
        with self._cursor(commit=True) as cursor:
            cursor.execute(self._sql(sql), params)
            return bool(cursor.fetchall())


def _key(row: tuple[Any, ...]) -> ApiKey:
    revoked = None if row[4] is None else datetime.fromisoformat(row[4])
    return ApiKey(row[0], row[1], row[2], datetime.fromisoformat(row[3]), revoked)
