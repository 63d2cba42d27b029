"""`sla-ledger`: the command line. It parses arguments and prints; every rule lives elsewhere.

Exit status: 0 success; 1 facts rejected or in conflict; 2 bad arguments; 3 the store cannot be
reached; 4 the account, outage, ticket or term does not exist.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from api import show
from api.keys import KeyStore
from ledger.application import RecordOutcome, SlaLedger
from ledger.errors import (
    ConflictingFacts,
    InvalidQuery,
    LedgerError,
    NotFound,
    RejectedFacts,
    StoreUnavailable,
)
from ledger.facts import parse_lines
from ledger.store import open_ledger
from ledger.timevalues import Month, format_instant, parse_duration, parse_instant
from projections.log import iter_events, log_summary
from projections.reports import Reports
from projections.runner import ReadModelRunner

app = typer.Typer(
    name="sla-ledger",
    help="An event-sourced ledger of service-level agreements.",
    no_args_is_help=True,
    add_completion=False,
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


def main() -> None:
    """Entry point of the `sla-ledger` console script."""
    try:
        app()
    except StoreUnavailable as error:
        _fail(3, f"store unavailable: {error}")
    except NotFound as error:
        _fail(4, str(error))
    except InvalidQuery as error:
        _fail(2, str(error))
    except LedgerError as error:
        _fail(1, str(error))


def _fail(code: int, message: str) -> NoReturn:
    err.print(f"error: {message}", markup=False)
    raise SystemExit(code)


def instant_option(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError as error:
        _fail(2, f"{name}: {error}")


def print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        sys.stdout.write(value.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


@contextmanager
def opened() -> Iterator[SlaLedger]:
    ledger = open_ledger()
    try:
        yield ledger
    finally:
        ledger.close()


# --- import ---------------------------------------------------------------------------------


@app.command("import")
def import_facts(
    file: Annotated[Path, typer.Argument(help="NDJSON file of facts, one per line ('-' = stdin).")],
    json_output: JsonOption = False,
) -> None:
    """Validate a whole file of facts, then append all of them atomically (or none)."""
    text = sys.stdin.read() if str(file) == "-" else _read(file)
    lines = text.splitlines()
    started = time.perf_counter()
    with opened() as ledger, _progress(len(lines), quiet=json_output) as advance:
        facts, errors = parse_lines(lines)
        advance(len(lines) // 2)
        try:
            outcome = ledger.record(
                facts,
                earlier_errors=errors,
                on_progress=lambda n: advance(len(lines) // 2 + n // 2),
            )
        except (RejectedFacts, ConflictingFacts) as error:
            _report_rejection(error, json_output)
        advance(len(lines))
    _report_import(outcome, time.perf_counter() - started, json_output)


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except OSError as error:
        _fail(2, f"cannot read {file}: {error.strerror}")
    except UnicodeDecodeError:
        _fail(2, f"{file} is not UTF-8 text")


@contextmanager
def _progress(total: int, *, quiet: bool) -> Iterator[Any]:
    if quiet or not sys.stdout.isatty():
        yield lambda done: None
        return
    columns = (
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} lines"),
        TextColumn("{task.fields[rate]} events/s"),
        TimeElapsedColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=out, transient=True) as progress:
        task = progress.add_task("import", total=total, rate="-")

        def advance(done: int) -> None:
            elapsed = max(time.perf_counter() - started, 1e-6)
            progress.update(task, completed=done, rate=f"{done / elapsed:,.0f}")

        yield advance


def _report_rejection(error: RejectedFacts | ConflictingFacts, json_output: bool) -> NoReturn:
    kind = "conflict" if isinstance(error, ConflictingFacts) else "rejected"
    if json_output:
        print_json(
            {
                "ok": False,
                "error": kind,
                "appended": 0,
                "errors": [
                    {"line": e.line, "field": e.field, "reason": e.reason} for e in error.errors
                ],
            }
        )
        raise SystemExit(1)
    for problem in error.errors:
        err.print(f"line {problem.line}: {problem.field}: {problem.reason}", markup=False)
    noun = "conflicting event id(s)" if kind == "conflict" else "invalid line(s)"
    _fail(1, f"{len(error.errors)} {noun}; nothing was appended")


def _report_import(outcome: RecordOutcome, seconds: float, json_output: bool) -> None:
    recorded = [fact for fact in outcome.facts if fact.status == "recorded"]
    if json_output:
        print_json(
            {
                "ok": True,
                "recorded": outcome.recorded,
                "duplicates": outcome.duplicates,
                "seconds": round(seconds, 3),
                "events": [
                    {
                        "line": fact.line,
                        "event_id": fact.event_id,
                        "type": fact.type,
                        "status": fact.status,
                        "position": fact.position,
                        "recorded_at": format_instant(fact.recorded_at),
                    }
                    for fact in outcome.facts
                ],
            }
        )
        return
    rate = len(outcome.facts) / seconds if seconds > 0 else 0.0
    out.print(f"read {len(outcome.facts)} facts in {seconds:.2f} s ({rate:,.0f} events/s)")
    if recorded:
        out.print(
            f"recorded {len(recorded)} events at positions {recorded[0].position}-"
            f"{recorded[-1].position}, recorded at {format_instant(recorded[0].recorded_at)}"
        )
    if outcome.duplicates:
        out.print(
            f"{outcome.duplicates} facts were already recorded (same event_id and content): "
            "not appended again"
        )
    if not recorded and not outcome.duplicates:
        out.print("nothing to import")


# --- events ---------------------------------------------------------------------------------


@app.command("events")
def list_events(
    account: Annotated[
        str | None, typer.Option("--account", help="Only this account's events.")
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option("--from", help="Valid time at or after.")
    ] = None,
    valid_to: Annotated[str | None, typer.Option("--to", help="Valid time before.")] = None,
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
) -> None:
    """List stored events with position, recorded-at, valid time and payload."""
    start = instant_option(valid_from, "--from")
    end = instant_option(valid_to, "--to")
    known_by = instant_option(as_of, "--as-of")
    with opened() as ledger:
        reader = ledger.reader
        upto = reader.position_at(known_by) if known_by is not None else None
        events = iter_events(reader, account=account, valid_from=start, valid_to=end, upto=upto)
        if json_output:
            print_json([event.model_dump(mode="json") for event in events])
            return
        count = 0
        for event in events:
            count += 1
            valid = format_instant(event.valid_at) if event.valid_at else "-"
            out.print(
                f"{event.position:>7}  recorded {format_instant(event.recorded_at)}  "
                f"valid {valid:<20}  {event.type:<24} {event.event_id}",
                markup=False,
            )
            out.print(f"         {json.dumps(event.payload, sort_keys=True)}", markup=False)
        out.print(f"{count} event(s)")


@app.command("stats")
def stats(as_of: AsOfOption = None, json_output: JsonOption = False) -> None:
    """Summarise the store: events by type, accounts, last position."""
    known_by = instant_option(as_of, "--as-of")
    with opened() as ledger:
        upto = ledger.reader.position_at(known_by) if known_by is not None else None
        summary = log_summary(ledger.reader, upto)
    if json_output:
        print_json(summary)
        return
    recorded = format_instant(summary.last_recorded_at) if summary.last_recorded_at else "-"
    out.print(
        f"{summary.events} events, last position {summary.last_position}, recorded {recorded}",
        markup=False,
    )
    for event_type, count in summary.by_type.items():
        out.print(f"  {event_type:<24} {count:>7}", markup=False)
    out.print(f"{len(summary.accounts)} accounts: {', '.join(summary.accounts)}", markup=False)


# --- availability ---------------------------------------------------------------------------


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as error:
        _fail(2, f"--month: {error}")


@contextmanager
def reports() -> Iterator[Reports]:
    with opened() as ledger:
        yield Reports(ledger)


@app.command("availability")
def availability(
    account: Annotated[str, typer.Option("--account", help="The account.")],
    month: Annotated[str, typer.Option("--month", help="Calendar month, YYYY-MM.")],
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
) -> None:
    """Monthly availability of one account, with the periods and events behind it."""
    when, known_by = _month(month), instant_option(as_of, "--as-of")
    with reports() as service:
        report = service.availability(account, when, known_by)
    if json_output:
        print_json(report)
        return
    show.availability(out, report)


@app.command("breaches")
def breaches(
    month: Annotated[str, typer.Option("--month", help="Calendar month, YYYY-MM.")],
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
) -> None:
    """Every account whose month missed its availability target, worst first."""
    when, known_by = _month(month), instant_option(as_of, "--as-of")
    with reports() as service:
        found = service.breaches(when, known_by)
    if json_output:
        print_json(found)
        return
    show.breaches(out, found)


# --- support tickets ------------------------------------------------------------------------


@app.command("ticket")
def ticket(
    ticket_id: Annotated[str, typer.Argument(help="The ticket id.")],
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
) -> None:
    """A ticket's SLA clock: target, time used, due time, state, and the timeline behind it."""
    known_by = instant_option(as_of, "--as-of")
    with reports() as service:
        report = service.ticket(ticket_id, known_by)
    if json_output:
        print_json(report)
        return
    show.ticket(out, report)


@app.command("tickets")
def tickets(
    account: Annotated[str, typer.Option("--account", help="The account.")],
    month: Annotated[str, typer.Option("--month", help="Month the tickets opened in, YYYY-MM.")],
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
) -> None:
    """An account's tickets opened in a month: counts per priority, met and breached."""
    when, known_by = _month(month), instant_option(as_of, "--as-of")
    with reports() as service:
        found = service.tickets(account, when, known_by)
    if json_output:
        print_json(found)
        return
    show.tickets(out, found)


@app.command("at-risk")
def at_risk(
    within: Annotated[str, typer.Option("--within", help="Window, e.g. 60m, 4h.")] = "60m",
    json_output: JsonOption = False,
) -> None:
    """Open tickets whose running target runs out within the window, soonest first."""
    try:
        seconds = parse_duration(within)
    except ValueError as error:
        _fail(2, f"--within: {error}")
    with reports() as service:
        found = service.at_risk(seconds)
    if json_output:
        print_json(found)
        return
    show.at_risk(out, found)


# --- credits, renewals and comparisons ------------------------------------------------------


@app.command("credits")
def credits(
    account: Annotated[str, typer.Option("--account", help="The account.")],
    term: Annotated[int | None, typer.Option("--term", help="Term number (1 = first).")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="The term containing this instant.")
    ] = None,
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
) -> None:
    """The credit statement of a term (the current one by default: "if we renewed today")."""
    if term is not None and at is not None:
        _fail(2, "give --term or --at, not both")
    when, known_by = instant_option(at, "--at"), instant_option(as_of, "--as-of")
    with reports() as service:
        statement = service.credits(account, term=term, at=when, as_of=known_by)
    if json_output:
        print_json(statement)
        return
    show.statement(out, statement)


@app.command("adjustments")
def adjustments(as_of: AsOfOption = None, json_output: JsonOption = False) -> None:
    """Renewed terms whose credit owed now differs from what the renewal applied, and why."""
    known_by = instant_option(as_of, "--as-of")
    with reports() as service:
        found = service.adjustments(known_by)
    if json_output:
        print_json(found)
        return
    show.adjustments(out, found)


@app.command("replay")
def replay(
    terms: Annotated[Path, typer.Option("--terms", help="JSON file of the proposed terms.")],
    first: Annotated[str, typer.Option("--from", help="First month, YYYY-MM.")],
    last: Annotated[str, typer.Option("--to", help="Last month, YYYY-MM.")],
    account: Annotated[str | None, typer.Option("--account", help="The account.")] = None,
    all_accounts: Annotated[bool, typer.Option("--all-accounts", help="Every account.")] = False,
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
) -> None:
    """What-if: the period under proposed terms beside the actual ones (appends nothing)."""
    known_by = instant_option(as_of, "--as-of")
    if (account is None) == (not all_accounts):
        _fail(2, "give --account A or --all-accounts")
    try:
        proposed = json.loads(_read(terms))
    except json.JSONDecodeError as error:
        _fail(2, f"{terms}: not valid JSON: {error}")
    if not isinstance(proposed, dict):
        _fail(2, f"{terms}: the terms must be one JSON object")
    with reports() as service:
        found = service.replay(proposed, _month(first), _month(last), account, as_of=known_by)
    if json_output:
        print_json(found)
        return
    show.replay(out, found)


@app.command("diff")
def diff(
    account: Annotated[str, typer.Option("--account", help="The account.")],
    month: Annotated[str, typer.Option("--month", help="Calendar month, YYYY-MM.")],
    as_of: Annotated[str, typer.Option("--as-of", help="The earlier recorded time.")],
    vs: Annotated[str, typer.Option("--vs", help="The later recorded time.")],
    json_output: JsonOption = False,
) -> None:
    """An account-month as known at two recorded times, and the events that changed it."""
    earlier, later = instant_option(as_of, "--as-of"), instant_option(vs, "--vs")
    assert earlier is not None and later is not None
    with reports() as service:
        found = service.diff(account, _month(month), earlier, later)
    if json_output:
        print_json(found)
        return
    show.diff(out, found)


# --- the HTTP API and its keys --------------------------------------------------------------

keys_app = typer.Typer(help="API keys: create, revoke, list.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def create_key(
    role: Annotated[str, typer.Option("--role", help="operator, auditor or customer.")],
    account: Annotated[str | None, typer.Option("--account", help="A customer's account.")] = None,
) -> None:
    """Create a key; it is shown once and only its hash is stored."""
    with opened() as ledger:
        key, secret = KeyStore(ledger).create(role, account)
    err.print(f"created key {key.key_id} ({key.role}{', ' + account if account else ''})")
    out.print(secret, markup=False)


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="The key's id (slk_<id>_...).")]) -> None:
    """Revoke a key: requests carrying it get 401 from then on."""
    with opened() as ledger:
        key = KeyStore(ledger).revoke(key_id)
    out.print(f"revoked key {key.key_id} at {format_instant(key.revoked_at or key.created_at)}")


@keys_app.command("list")
def list_keys() -> None:
    """The keys: id, role, account, created, revoked."""
    with opened() as ledger:
        for key in KeyStore(ledger).all():
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

    from api.app import ApiSettings, create_app

    uvicorn.run(create_app(ApiSettings(follow=follow)), host=host, port=port, log_level="info")


@app.command("rebuild")
def rebuild() -> None:
    """Drop the read models and rebuild them from position zero."""
    with opened() as ledger:
        result = ReadModelRunner(ledger).rebuild()
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
    with opened() as ledger:
        runner = ReadModelRunner(ledger)
        position = runner.catch_up()
        out.print(f"read models at position {position}")
        if once:
            return
        stop = threading.Event()
        try:
            runner.follow(stop, poll_seconds=poll)
        except KeyboardInterrupt:
            stop.set()


if __name__ == "__main__":  # pragma: no cover
    main()
