"""Where the ledger keeps its events: a database URL, parsed.

sqlite:///relative/path.db          (the default: sqlite:///sla-ledger.db)
sqlite:////absolute/path.db
postgresql://user[:password]@host[:port]/dbname[?schema=name]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from ledger.errors import StoreUnavailable

__all__ = ["DEFAULT_DATABASE_URL", "StoreLocation"]

DEFAULT_DATABASE_URL = "sqlite:///sla-ledger.db"
_SQLITE_RECORDER = "ledger.store.sqlite:LedgerSQLiteRecorder"
_POSTGRES_RECORDER = "ledger.store.postgres:LedgerPostgresRecorder"
_APPLICATION_NAME = "SlaLedger"  # the env prefix the library reads (SlaLedger.name)


@dataclass(frozen=True)
class StoreLocation:
    """A parsed database URL."""

    backend: Literal["sqlite", "postgresql"]
    path: str = ""
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    dbname: str = ""
    schema: str = "public"

    @classmethod
    def parse(cls, url: str) -> StoreLocation:
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            path = unquote(parts.path)
            path = path[1:] if path.startswith("/") else path
            if not path or parts.netloc:
                raise StoreUnavailable(
                    f"{url!r}: write SQLite URLs as sqlite:///relative.db or sqlite:////abs.db"
                )
            return cls("sqlite", path=path)
        if parts.scheme in ("postgresql", "postgres"):
            dbname = unquote(parts.path.lstrip("/"))
            if not parts.hostname or not dbname:
                raise StoreUnavailable(
                    f"{url!r}: write PostgreSQL URLs as postgresql://user@host:port/dbname"
                )
            schema = parse_qs(parts.query).get("schema", ["public"])[0]
            return cls(
                "postgresql",
                host=parts.hostname,
                port=parts.port or 5432,
                user=unquote(parts.username or "postgres"),
                password=unquote(parts.password or ""),
                dbname=dbname,
                schema=schema,
            )
        raise StoreUnavailable(
            f"{url!r} is not a supported database URL; use sqlite:///file.db or "
            "postgresql://user@host:port/dbname"
        )

    def describe(self) -> str:
        """The location without its password, for messages."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.path}"
        schema = "" if self.schema == "public" else f"?schema={self.schema}"
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}{schema}"

    def application_env(self, connect_timeout: float = 2.0) -> dict[str, str]:
        """The `eventsourcing` environment for this location (keys prefixed, so they win).

        `connect_timeout` (seconds; the library takes whole seconds, at least 1) is also the
        pool's checkout timeout; connections are checked before use (pre-ping), so after a
        PostgreSQL restart the pool replaces dead connections by itself.
        """
        prefix = _APPLICATION_NAME.upper() + "_"
        if self.backend == "sqlite":
            env = {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": self.path,
                "SQLITE_LOCK_TIMEOUT": "30",
                "APPLICATION_RECORDER_TOPIC": _SQLITE_RECORDER,
            }
        else:
            env = {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": self.dbname,
                "POSTGRES_HOST": self.host,
                "POSTGRES_PORT": str(self.port),
                "POSTGRES_USER": self.user,
                "POSTGRES_PASSWORD": self.password,
                "POSTGRES_SCHEMA": self.schema,
                "POSTGRES_LOCK_TIMEOUT": "30",
                "POSTGRES_CONNECT_TIMEOUT": str(max(1, math.ceil(connect_timeout))),
                "POSTGRES_PRE_PING": "y",
                "POSTGRES_POOL_SIZE": "4",
                "POSTGRES_MAX_OVERFLOW": "16",
                "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
                "APPLICATION_RECORDER_TOPIC": _POSTGRES_RECORDER,
            }
        env["CREATE_TABLE"] = "n"  # the schema is created once, under a lock: ledger.store.schema
        env["IS_SNAPSHOTTING_ENABLED"] = "n"
        return {prefix + key: value for key, value in env.items()}

    def connection_string(self) -> str:
        """A libpq connection string (PostgreSQL only)."""
        return f"host={self.host} port={self.port} user={self.user} dbname={self.dbname}" + (
            f" password={self.password}" if self.password else ""
        )
