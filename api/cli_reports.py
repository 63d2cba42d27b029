"""The report commands: availability, breaches, tickets, at-risk, credits and comparisons.

Each parses its options, asks the report service (`projections.reports`) and prints a readable
view (`api.show`) or JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from api import show, show_terms
from api.cli_common import (
    AsOfOption,
    JsonOption,
    app,
    err,
    fail,
    instant_option,
    month_option,
    opened,
    out,
    print_json,
    read_text,
)
from ledger.timevalues import parse_duration
from projections.reports import Reports

__all__ = [
    "availability",
    "breaches",
    "credits",
    "diff",
    "replay",
    "terms",
    "ticket",
    "tickets",
]


@contextmanager
def reports() -> Iterator[Reports]:
    with opened() as services:
        yield services.reports


@app.command("availability")
def availability(
    account: Annotated[str, typer.Option("--account", help="The account.")],
    month: Annotated[str, typer.Option("--month", help="Calendar month, YYYY-MM.")],
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
) -> None:
    """Monthly availability of one account, with the periods and events behind it."""
    when, known_by = month_option(month), instant_option(as_of, "--as-of")
    with reports() as service:
        report = service.availability(account, when, known_by)
    if json_output:
        print_json(report)
        return
    show.availability(out, report)


@app.command("terms")
def terms(
    account: Annotated[str, typer.Option("--account", help="The account.")],
    at: Annotated[str | None, typer.Option("--at", help="In force at this instant.")] = None,
    as_of: AsOfOption = None,
    history: Annotated[
        bool, typer.Option("--history", help="Every version and what it changed.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """The account's terms in force, or every version with its effective and recorded time."""
    when, known_by = instant_option(at, "--at"), instant_option(as_of, "--as-of")
    with reports() as service:
        found = service.terms(account, when, known_by)
    if json_output:
        print_json(found)
        return
    show_terms.contract_terms(out, found, history)


@app.command("breaches")
def breaches(
    month: Annotated[str, typer.Option("--month", help="Calendar month, YYYY-MM.")],
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
) -> None:
    """Every account whose month missed its availability target, worst first."""
    when, known_by = month_option(month), instant_option(as_of, "--as-of")
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
    when, known_by = month_option(month), instant_option(as_of, "--as-of")
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
        fail(2, f"--within: {error}")
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
    try:
        proposed = json.loads(read_text(terms))
    except json.JSONDecodeError as error:
        fail(2, f"{terms}: not valid JSON: {error}")
    if not isinstance(proposed, dict):
        fail(2, f"{terms}: the terms must be one JSON object")
    with reports() as service:
        found = service.replay(
            proposed,
            month_option(first),
            month_option(last),
            account,
            all_accounts=all_accounts,
            as_of=known_by,
        )
    if json_output:
        print_json(found)
        return
    for account_id, changes in found.terms_changes.items():
        out.print(f"{account_id}: current terms -> proposed terms", markup=False)
        show_terms.terms_changes(out, changes)
    for warning in found.warnings:
        err.print(
            f"warning: {warning.account_id}: {warning.field}: {warning.message}", markup=False
        )
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
        found = service.diff(account, month_option(month), earlier, later)
    if json_output:
        print_json(found)
        return
    show.diff(out, found)
