"""Administering a ledger: API keys, the HTTP server, and the read models' process."""

from __future__ import annotations

import copy
import os
import threading
from typing import Annotated

import typer

from api.cli_common import app, err, opened, out, settings
from api.cli_progress import staged
from api.version import VERSION
from ledger.store.location import StoreLocation
from ledger.timevalues import format_instant
from ledger.warnings import without_contract

__all__ = ["create_key", "list_keys", "project", "rebuild", "revoke_key", "serve"]

keys_app = typer.Typer(help="API keys: create, revoke, list.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def create_key(
    role: Annotated[str, typer.Option("--role", help="operator, auditor, customer or ingest.")],
    account: Annotated[str | None, typer.Option("--account", help="A customer's account.")] = None,
) -> None:
    """Create a key; it is shown once and only its hash is stored."""
    with opened(create=True) as services:
        key, secret = services.keys.create(role, account)
        unbound = account is not None and not services.ledger.has_contract(account)
    err.print(f"created key {key.key_id} ({key.role}{', ' + account if account else ''})")
    for name, message in without_contract(account) if account and unbound else []:
        err.print(f"warning: {name}: {message}", markup=False)
    out.print(secret, markup=False)


@keys_app.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key's id, or the whole key (slk_<id>_...).")],
) -> None:
    """Revoke a key: requests carrying it get 401 from then on."""
    if key_id.startswith("slk_"):  # the whole key: use its id, and never echo the secret
        key_id = key_id.split("_", 2)[1]
    with opened(create=True) as services:
        key = services.keys.revoke(key_id)
    out.print(f"revoked key {key.key_id} at {format_instant(key.revoked_at or key.created_at)}")


@keys_app.command("list")
def list_keys() -> None:
    """The keys: id, role, account, created, revoked."""
    with opened(create=True) as services:
        for key in services.keys.all():
            revoked = format_instant(key.revoked_at) if key.revoked_at else "active"
            out.print(
                f"{key.key_id}  {key.role:<9} {key.account_id or '-':<20} created "
                f"{format_instant(key.created_at)}  {revoked}",
                markup=False,
            )


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    follow: Annotated[
        bool | None,
        typer.Option(
            "--follow/--no-follow", help="Keep the read models current here.", show_default="follow"
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Server processes (uvicorn workers).")
    ] = 1,
) -> None:
    """Serve the HTTP API (the read models are kept current in the same process by default).

    With several workers every process answers reads and writes; on PostgreSQL exactly one keeps
    the read models current (an advisory lock, taken over when its process dies)."""
    import uvicorn

    from api.app import create_app

    config = settings(follow=follow)
    with opened(create=True):
        pass  # an unreachable store: one line and exit 3 (main), not the server's traceback
    store = StoreLocation.parse(config.database_url).describe()
    processes = f" with {workers} workers" if workers > 1 else ""
    err.print(
        f"sla-ledger {VERSION} serving http://{host}:{port} on {store}{processes}", markup=False
    )
    # One start-up line (above): uvicorn's own start-up lines are hidden, the access log stays.
    logs = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    logs["loggers"]["uvicorn.error"]["level"] = "WARNING"
    if workers == 1:
        uvicorn.run(create_app(config), host=host, port=port, log_config=logs)
    else:
        # Each worker process builds its app from the environment: hand it these settings.
        for name, value in config.model_dump().items():
            os.environ[f"SLA_LEDGER_{name.upper()}"] = str(value)
        uvicorn.run(
            "api.app:create_app", factory=True, workers=workers, host=host, port=port,
            log_config=logs,
        )  # fmt: skip
    err.print("sla-ledger stopped", markup=False)


@app.command("rebuild")
def rebuild() -> None:
    """Drop the read models and rebuild them from position zero."""
    with opened(create=True) as services, staged(out, err) as progress:
        result = services.runner.rebuild(progress)
    out.print(
        f"rebuilt the read models from {result.events} events in {result.seconds:.2f} s "
        f"({result.availability_rows} account-months with outages, {result.ticket_rows} tickets)"
    )


@app.command("project")
def project(
    once: Annotated[bool, typer.Option("--once", help="Catch up, then exit.")] = False,
    poll: Annotated[float, typer.Option("--poll", help="Seconds between polls.")] = 0.5,
) -> None:
    """Keep the read models current (run beside `serve` for PostgreSQL deployments)."""
    with opened() as services:
        runner = services.runner
        position = runner.catch_up()
        out.print(f"read models at position {position}")
        if once:
            return
        stop = threading.Event()
        try:
            runner.follow(stop, poll_seconds=poll)
        except KeyboardInterrupt:
            stop.set()
