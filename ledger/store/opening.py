"""Opening the store: a database URL to an open `SlaLedger`.

This is the only module that names the storage back ends; everything else talks to the
`SlaLedger` application, the `LedgerReader` queries its recorder answers, and the datastore the
read models and keys share (`SlaLedger.datastore`). It reads no environment: settings are the
caller's.
"""

from __future__ import annotations

import os

from ledger.application import SlaLedger
from ledger.errors import StoreUnavailable
from ledger.store.location import StoreLocation

__all__ = ["open_ledger"]


def open_ledger(url: str) -> SlaLedger:
    """Open (and on first use create) the store at `url`.

    Raises:
        StoreUnavailable: the URL is unusable or the database cannot be reached.
    """
    location = StoreLocation.parse(url)
    try:
        if location.backend == "postgresql":
            _ensure_schema(location)
        else:
            _ensure_directory(location.path)
        ledger = SlaLedger(env=location.application_env(), location=location.describe())
    except StoreUnavailable:
        raise
    except Exception as error:
        raise StoreUnavailable(f"cannot open {location.describe()}: {error}") from error
    return ledger


def _ensure_directory(path: str) -> None:
    directory = os.path.dirname(path)
    if directory and not path.startswith("file:"):
        os.makedirs(directory, exist_ok=True)


def _ensure_schema(location: StoreLocation) -> None:
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(
            location.connection_string(), autocommit=True, connect_timeout=10
        ) as c:
            if location.schema != "public":
                c.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                        sql.Identifier(location.schema)
                    )
                )
    except psycopg.OperationalError as error:
        raise StoreUnavailable(
            f"cannot reach PostgreSQL at {location.describe()}: {str(error).strip()}"
        ) from error
