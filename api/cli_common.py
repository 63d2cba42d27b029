"""What every `sla-ledger` command shares: the typer app, output, errors and the services.

Exit status: 0 success; 1 facts rejected or in conflict; 2 bad arguments; 3 the store cannot be
reached (or there is no store at the path); 4 the account, outage, ticket or term does not exist.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console

from api.bootstrap import Services, open_services
from api.observe import configure_logging
from api.settings import Settings, SettingsError, load_settings
from api.version import VERSION
from ledger.store.location import StoreLocation
from ledger.timevalues import Month, parse_instant

__all__ = [
    "AsOfOption",
    "JsonOption",
    "app",
    "err",
    "fail",
    "instant_option",
    "month_option",
    "opened",
    "out",
    "print_json",
    "read_json_object",
    "read_text",
    "settings",
]

app = typer.Typer(
    name="sla-ledger",
    help="An event-sourced ledger of service-level agreements.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
# Piped output keeps whole lines: tables are not squeezed to a default 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 220)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Use only events recorded at or before this instant (ISO 8601 with offset).",
    ),
]


def fail(code: int, message: str) -> NoReturn:
    err.print(f"error: {message}", markup=False)
    raise SystemExit(code)


def instant_option(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError as error:
        fail(2, f"{name}: {error}")


def month_option(text: str, name: str = "--month") -> Month:
    try:
        return Month.parse(text)
    except ValueError as error:
        fail(2, f"{name}: {error}")


def print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        sys.stdout.write(value.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def read_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except OSError as error:
        fail(2, f"cannot read {file}: {error.strerror}")
    except UnicodeDecodeError:
        fail(2, f"{file} is not UTF-8 text")


def read_json_object(file: Path, what: str) -> dict[str, Any]:
    """The one JSON object in `file`; a usage error (exit 2) naming the file otherwise."""
    try:
        found = json.loads(read_text(file))
    except json.JSONDecodeError as error:
        fail(2, f"{file}: not valid JSON: {error}")
    if not isinstance(found, dict):
        fail(2, f"{file}: {what} one JSON object")
    return found


_given: dict[str, Any] = {}


def _print_version(value: bool) -> None:
    if value:
        out.print(f"sla-ledger {VERSION}", markup=False)
        raise typer.Exit()


@app.callback()
def configure(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="The store (overrides SLA_LEDGER_DATABASE_URL).",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="A TOML settings file (else SLA_LEDGER_CONFIG).", show_default=False
        ),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(
            "--log-level",
            help="DEBUG, INFO, WARNING or ERROR (JSON lines on stderr).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """An event-sourced ledger of service-level agreements."""
    _given.clear()
    _given.update(
        config_file=config,
        database_url=database_url,
        log_level=log_level.upper() if log_level else None,
    )
    configure_logging(settings().log_level)  # a bad setting is reported before any command runs


def settings(**values: Any) -> Settings:
    """The settings of this invocation: its options over the environment over the TOML file."""
    try:
        return load_settings(**{**_given, **{k: v for k, v in values.items() if v is not None}})
    except SettingsError as error:
        fail(2, str(error))


@contextmanager
def opened(*, create: bool = False) -> Iterator[Services]:
    """The services of the configured store, closed afterwards.

    Only `import`, `serve`, `keys` and `rebuild` create a store (`create`); every other command on
    a SQLite path that does not exist says "no store at ..." (exit 3) and creates nothing.
    """
    config = settings()
    location = StoreLocation.parse(config.database_url)
    if not create and location.backend == "sqlite" and not Path(location.path).is_file():
        fail(3, f"no store at {location.path} (import facts first, or check the path)")
    services = open_services(config)
    try:
        yield services
    finally:
        services.close()
