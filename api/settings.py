"""Settings: where the store is and how the server keeps its read models current.

`settings_from_environment` is the one place the environment is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ledger.store.location import DEFAULT_DATABASE_URL

__all__ = ["Settings", "settings_from_environment"]


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    follow: bool = True  # keep the read models current from a background thread
    poll_seconds: float = 0.2
    page_size: int = 500  # events the read models apply per transaction
    connect_timeout: float = 2.0  # seconds to wait for a PostgreSQL connection (then 503 / exit 3)


def settings_from_environment(*, follow: bool = True) -> Settings:
    """The store at `SLA_LEDGER_DATABASE_URL`, else the embedded default."""
    url = os.environ.get("SLA_LEDGER_DATABASE_URL") or DEFAULT_DATABASE_URL
    timeout = float(os.environ.get("SLA_LEDGER_CONNECT_TIMEOUT") or 2.0)
    return Settings(database_url=url, follow=follow, connect_timeout=timeout)
