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
from ledger.store.postgres import LedgerPostgresRecorder
from ledger.store.schema import Component, ensure_schema
from ledger.store.sqlite import LedgerSQLiteRecorder

__all__ = ["open_ledger"]


def open_ledger(url: str, *, connect_timeout: float = 2.0) -> SlaLedger:
    """Open the store at `url`, creating (or upgrading) its schema the first time.

    `connect_timeout` bounds the wait for a PostgreSQL connection, at opening and on every later
    checkout from the pool (a request then fails with StoreUnavailable instead of hanging).

    Raises:
        StoreUnavailable: the URL is unusable or the database cannot be reached.
    """
    location = StoreLocation.parse(url)
    try:
        if location.backend == "sqlite":
            _ensure_directory(location.path)
        env = location.application_env(connect_timeout=connect_timeout)
        ledger = SlaLedger(env=env, location=location.describe())
        recorder = ledger.recorder
        assert isinstance(recorder, LedgerSQLiteRecorder | LedgerPostgresRecorder)
        events = Component("events", 2, recorder.create_table, {1: recorder.upgrade_to_chain})
        ensure_schema(ledger.datastore, [events])
    except StoreUnavailable:
        raise
    except Exception as error:
        what = "reach PostgreSQL at" if location.backend == "postgresql" else "open"
        raise StoreUnavailable(f"cannot {what} {location.describe()}: {_reason(error)}") from error
    return ledger


def _reason(error: Exception) -> str:
    return str(error).strip() or type(error).__name__


def _ensure_directory(path: str) -> None:
    directory = os.path.dirname(path)
    if directory and not path.startswith("file:"):
        os.makedirs(directory, exist_ok=True)
