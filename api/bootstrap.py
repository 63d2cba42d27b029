"""The composition root: settings in, the ledger's services out.

`open_services` builds, once, everything the CLI, the HTTP API, the scripts and the tests use:
the store, the read models beside it, the runner that keeps them current, the report service and
the key store. Every constructor below takes its collaborators; none builds its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from api.keys import KeyStore
from api.settings import Settings
from ledger.application import SlaLedger
from ledger.store.keyfile import KeyFileError, load_signer
from ledger.store.opening import open_ledger
from ledger.timevalues import utc_now
from projections.reports import Reports
from projections.runner import ReadModelRunner
from projections.tracking import ReadModels, open_read_models

__all__ = ["Services", "open_services", "wire"]


@dataclass(frozen=True)
class Services:
    ledger: SlaLedger
    read_models: ReadModels
    runner: ReadModelRunner
    reports: Reports
    keys: KeyStore

    def close(self) -> None:
        self.ledger.close()


def open_services(
    settings: Settings,
    *,
    catch_up: bool = True,
    clock: Callable[[], datetime] = utc_now,
) -> Services:
    """Open the store named by `settings` and wire its services.

    Args:
        catch_up: reports first apply the events not yet in the read models (read-your-writes);
            off when another process or thread keeps them current and staleness is acceptable.
        clock: the reports' "now".

    Raises:
        StoreUnavailable: the store cannot be opened.
    """
    ledger = open_ledger(settings.database_url, connect_timeout=settings.connect_timeout)
    try:
        ledger.signer = load_signer(settings.key_file())
    except KeyFileError:
        ledger.close()
        raise
    return wire(ledger, page_size=settings.page_size, catch_up=catch_up, clock=clock)


def wire(
    ledger: SlaLedger,
    *,
    page_size: int = 500,
    catch_up: bool = True,
    clock: Callable[[], datetime] = utc_now,
) -> Services:
    """The services of an open ledger (see `open_services`)."""
    read_models = open_read_models(ledger.datastore)
    runner = ReadModelRunner(ledger, read_models, page_size)
    reports = Reports(ledger, runner, catch_up=catch_up, clock=clock)
    return Services(ledger, read_models, runner, reports, KeyStore(ledger.datastore))
