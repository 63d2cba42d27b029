"""`sla-ledger`: the command line. It parses arguments and prints; every rule lives elsewhere.

The commands are in `api.cli_facts` (import, events, stats), `api.cli_reports` (the reports),
`api.cli_compare` (replay, diff), `api.cli_proof` (verify, signing-key, checkpoint) and
`api.cli_admin` (keys, serve, project, rebuild); `api.cli_common` has what they share, including
the exit statuses.
"""

from __future__ import annotations

# The modules register their commands on import, in the order `--help` lists them.
from api import cli_facts

# isort: split
from api import cli_reports

# isort: split
from api import cli_compare

# isort: split
from api import cli_proof

# isort: split
from api import cli_admin

# isort: split
from api.cli_common import app, fail
from ledger.errors import InvalidQuery, LedgerError, NotFound, StoreUnavailable
from ledger.store.failures import STORE_FAILURES, store_unavailable
from ledger.store.keyfile import KeyFileError

__all__ = ["app", "cli_admin", "cli_compare", "cli_facts", "cli_proof", "cli_reports", "main"]


def main() -> None:
    """Entry point of the `sla-ledger` console script."""
    try:
        app()
    except StoreUnavailable as error:
        fail(3, f"store unavailable: {error}")
    except KeyFileError as error:
        fail(3, str(error))
    except STORE_FAILURES as error:
        fail(3, f"store unavailable: {store_unavailable(error)}")
    except NotFound as error:
        fail(4, str(error))
    except InvalidQuery as error:
        fail(2, str(error))
    except LedgerError as error:
        fail(1, str(error))


if __name__ == "__main__":  # pragma: no cover
    main()
