"""Administering a ledger: API keys, the HTTP server, and the read models' process."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from api.cli_common import app, err, opened, out
from api.settings import settings_from_environment
from ledger.timevalues import format_instant
from ledger.warnings import without_contract

__all__ = ["create_key", "list_keys", "project", "rebuild", "revoke_key", "serve"]

keys_app = typer.Typer(help="API keys: create, revoke, list.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def create_key(
    role: Annotated[str, typer.Option("--role", help="operator, auditor or customer.")],
    account: Annotated[str | None, typer.Option("--account", help="A customer's account.")] = None,
) -> None:
    """Create a key; it is shown once and only its hash is stored."""
    with opened() as services:
        key, secret = services.keys.create(role, account)
        unbound = account is not None and not services.ledger.has_contract(account)
    err.print(f"created key {key.key_id} ({key.role}{', ' + account if account else ''})")
    for name, message in without_contract(account) if account and unbound else []:
        err.print(f"warning: {name}: {message}", markup=False)
    out.print(secret, markup=False)


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="The key's id (slk_<id>_...).")]) -> None:
    """Revoke a key: requests carrying it get 401 from then on."""
    with opened() as services:
        key = services.keys.revoke(key_id)
    out.print(f"revoked key {key.key_id} at {format_instant(key.revoked_at or key.created_at)}")


@keys_app.command("list")
def list_keys() -> None:
    """The keys: id, role, account, created, revoked."""
    with opened() as services:
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
        bool, typer.Option("--follow/--no-follow", help="Keep the read models current here.")
    ] = True,
) -> None:
    """Serve the HTTP API (the read models are kept current in the same process by default)."""
    import uvicorn

    from api.app import create_app

    settings = settings_from_environment(follow=follow)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command("rebuild")
def rebuild() -> None:
    """Drop the read models and rebuild them from position zero."""
    with opened() as services:
        result = services.runner.rebuild()
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
