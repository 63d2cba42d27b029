"""Settings: where the store is and how the server keeps its read models current.

`settings_from_environment` is the one place the environment is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ledger.store.location import DEFAULT_DATABASE_URL, StoreLocation

__all__ = ["Settings", "settings_from_environment"]


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    follow: bool = True  # keep the read models current from a background thread
    poll_seconds: float = 0.2
    page_size: int = 500  # events the read models apply per transaction
    signing_key_file: str | None = None  # None: beside an SQLite store, else in the cwd

    def key_file(self) -> Path:
        """The signing key's file: the setting, else `<sqlite file>.signing-key` beside an
        SQLite store, else `sla-ledger-signing.key` in the working directory."""
        if self.signing_key_file:
            return Path(self.signing_key_file)
        location = StoreLocation.parse(self.database_url)
        if location.backend == "sqlite" and not location.path.startswith(("file:", ":memory:")):
            return Path(f"{location.path}.signing-key")
        return Path("sla-ledger-signing.key")

    ui_secret: str | None = None  # signs web-view cookies; None: a new one per process


def settings_from_environment(*, follow: bool = True) -> Settings:
    """The store at `SLA_LEDGER_DATABASE_URL`, else the embedded default; the signing key at
    `SLA_LEDGER_SIGNING_KEY_FILE`, else the default of `Settings.key_file`."""
    url = os.environ.get("SLA_LEDGER_DATABASE_URL") or DEFAULT_DATABASE_URL
    key = os.environ.get("SLA_LEDGER_SIGNING_KEY_FILE") or None
    secret = os.environ.get("SLA_LEDGER_UI_SECRET") or None
    return Settings(database_url=url, follow=follow, signing_key_file=key, ui_secret=secret)
