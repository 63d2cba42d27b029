"""`sla-ledger import`, `events` and `stats`: appending facts and reading the log."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli_common import (
    AsOfOption,
    JsonOption,
    app,
    err,
    fail,
    instant_option,
    opened,
    out,
    print_json,
    read_text,
)
from api.observe import observe_refusal, observe_write
from ledger.application import RecordOutcome
from ledger.errors import ConflictingFacts, RejectedFacts
from ledger.importing import parse_lines
from ledger.jsontext import split_lines
from ledger.timevalues import format_instant
from projections.log import iter_events, log_summary

__all__ = ["import_facts", "list_events", "stats"]


@app.command("import")
def import_facts(
    file: Annotated[Path, typer.Argument(help="NDJSON file of facts, one per line ('-' = stdin).")],
    json_output: JsonOption = False,
) -> None:
    """Validate a whole file of facts, then append all of them atomically (or none)."""
    text = sys.stdin.read() if str(file) == "-" else read_text(file)
    lines = split_lines(text)
    started = time.perf_counter()
    with opened(create=True) as services, _progress(len(lines), quiet=json_output) as advance:
        facts, errors = parse_lines(lines)
        advance(len(lines) // 2)
        try:
            outcome = services.ledger.record(
                facts,
                earlier_errors=errors,
                on_progress=lambda n: advance(len(lines) // 2 + n // 2),
            )
        except (RejectedFacts, ConflictingFacts) as error:
            observe_refusal("cli", error)
            _report_rejection(error, json_output)
        observe_write("cli", outcome)
        advance(len(lines))
    _report_import(outcome, time.perf_counter() - started, json_output)


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
    fail(1, f"{len(error.errors)} {noun}; nothing was appended")


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
                "warnings": [
                    {"line": item.line, "field": item.field, "message": item.message}
                    for item in outcome.warnings
                ],
            }
        )
        return
    for item in outcome.warnings:
        err.print(f"warning: line {item.line}: {item.field}: {item.message}", markup=False)
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
    with opened() as services:
        reader = services.ledger.reader
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
                f"valid {valid:<20}  {event.type:<24} {event.event_id}  by {event.actor or '-'}",
                markup=False,
            )
            out.print(f"         {json.dumps(event.payload, sort_keys=True)}", markup=False)
        out.print(f"{count} event(s)")


@app.command("stats")
def stats(as_of: AsOfOption = None, json_output: JsonOption = False) -> None:
    """Summarise the store: events by type, accounts, last position."""
    known_by = instant_option(as_of, "--as-of")
    with opened() as services:
        reader = services.ledger.reader
        upto = reader.position_at(known_by) if known_by is not None else None
        summary = log_summary(reader, upto)
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
