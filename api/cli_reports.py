"""The report commands: availability, terms, breaches, tickets, at-risk, credits, adjustments
(the comparisons, replay and diff: `api.cli_compare`).

Each parses its options, asks the report service (`projections.reports`) and prints a readable
view (`api.show`) or JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel

from api import show, show_terms
from api.bootstrap import Services
from api.cli_common import (
    AsOfOption,
    JsonOption,
    app,
    fail,
    instant_option,
    month_option,
    opened,
    out,
    print_json,
)
from api.cli_output import FormatOption, OutputOption, emit
from api.receipts import receipted
from ledger.errors import NotFound
from ledger.timevalues import format_instant, parse_duration

Model = TypeVar("Model", bound=BaseModel)

__all__ = [
    "availability",
    "breaches",
    "credits",
    "instant_text",
    "reports",
    "terms",
    "ticket",
    "tickets",
    "wants_receipt",
    "with_receipt",
]


@contextmanager
def reports(as_of: datetime | None = None) -> Iterator[Services]:
    """The services; an answer "unknown" as of a time before anything was recorded says so
    plainly (rather than suggesting the account never existed)."""
    with opened() as services:
        try:
            yield services
        except NotFound as error:
            if as_of is not None and services.reports.known_by(as_of).upto == 0:
                raise NotFound(
                    f"{error}: as of {format_instant(as_of)} nothing had been recorded yet"
                ) from None
            raise


def instant_text(instant: datetime | None) -> str | None:
    return None if instant is None else format_instant(instant)


def wants_receipt(json_output: bool, output_format: str) -> bool:
    """Whether the answer carries its receipt: JSON does, and so does a PDF (its digest printed)."""
    return json_output or output_format in ("json", "pdf")


def with_receipt(
    services: Services, report: Model, kind: str, query: dict[str, Any], as_json: bool
) -> Model:
    """The report with its receipt when it is written as JSON or PDF (rule `receipts`)."""
    return receipted(services, report, kind, query) if as_json else report


@app.command("availability")
def availability(
    account: Annotated[str, typer.Option("--account", help="The account.")],
    month: Annotated[str, typer.Option("--month", help="Calendar month, YYYY-MM.")],
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    output_format: FormatOption = "text",
    output: OutputOption = None,
) -> None:
    """Monthly availability of one account, with the periods and events behind it."""
    when, known_by = month_option(month), instant_option(as_of, "--as-of")
    with reports(known_by) as services:
        report = services.reports.availability(account, when, known_by)
        query = {"account_id": account, "month": str(when), "as_of": instant_text(known_by)}
        report = with_receipt(
            services, report, "availability", query, wants_receipt(json_output, output_format)
        )
    emit(report, output_format, json_output, show.availability, output)


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
    with reports(known_by) as services:
        found = services.reports.terms(account, when, known_by)
    if json_output:
        print_json(found)
        return
    show_terms.contract_terms(out, found, history)


@app.command("breaches")
def breaches(
    month: Annotated[str, typer.Option("--month", help="Calendar month, YYYY-MM.")],
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    output_format: FormatOption = "text",
    output: OutputOption = None,
) -> None:
    """Every account whose month missed its availability target, worst first."""
    when, known_by = month_option(month), instant_option(as_of, "--as-of")
    with reports(known_by) as services:
        found = services.reports.breaches(when, known_by)
        query = {"month": str(when), "as_of": instant_text(known_by)}
        found = with_receipt(
            services, found, "breaches", query, wants_receipt(json_output, output_format)
        )
    emit(found, output_format, json_output, show.breaches, output)


# --- support tickets ------------------------------------------------------------------------


@app.command("ticket")
def ticket(
    ticket_id: Annotated[str, typer.Argument(help="The ticket id.")],
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    output_format: FormatOption = "text",
    output: OutputOption = None,
) -> None:
    """A ticket's SLA clock: target, time used, due time, state, and the timeline behind it."""
    known_by = instant_option(as_of, "--as-of")
    with reports(known_by) as services:
        report = services.reports.ticket(ticket_id, known_by)
        query = {"ticket_id": ticket_id, "as_of": instant_text(known_by)}
        report = with_receipt(
            services, report, "ticket", query, wants_receipt(json_output, output_format)
        )
    emit(report, output_format, json_output, show.ticket, output)


@app.command("tickets")
def tickets(
    account: Annotated[str, typer.Option("--account", help="The account.")],
    month: Annotated[str, typer.Option("--month", help="Month the tickets opened in, YYYY-MM.")],
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    output_format: FormatOption = "text",
    output: OutputOption = None,
) -> None:
    """An account's tickets opened in a month: counts per priority, met and breached."""
    when, known_by = month_option(month), instant_option(as_of, "--as-of")
    with reports(known_by) as services:
        found = services.reports.tickets(account, when, known_by)
        query = {"account_id": account, "month": str(when), "as_of": instant_text(known_by)}
        found = with_receipt(
            services, found, "tickets", query, wants_receipt(json_output, output_format)
        )
    emit(found, output_format, json_output, show.tickets, output)


@app.command("at-risk")
def at_risk(
    within: Annotated[str, typer.Option("--within", help="Window, e.g. 60m, 4h.")] = "60m",
    json_output: JsonOption = False,
    output_format: FormatOption = "text",
    output: OutputOption = None,
) -> None:
    """Open tickets whose running target runs out within the window, soonest first."""
    try:
        seconds = parse_duration(within)
    except ValueError as error:
        fail(2, f"--within: {error}")
    with reports() as services:
        found = services.reports.at_risk(seconds)
    emit(found, output_format, json_output, show.at_risk, output)


# --- credits, renewals and comparisons ------------------------------------------------------


@app.command("credits")
def credits(
    account: Annotated[str, typer.Option("--account", help="The account.")],
    term: Annotated[
        int | None, typer.Option("--term", min=1, max=1000, help="Term number (1 = first).")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="The term containing this instant.")
    ] = None,
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    output_format: FormatOption = "text",
    output: OutputOption = None,
) -> None:
    """The credit statement of a term (the current one by default: "if we renewed today")."""
    when, known_by = instant_option(at, "--at"), instant_option(as_of, "--as-of")
    with reports(known_by) as services:
        statement = services.reports.credits(account, term=term, at=when, as_of=known_by)
        query = {
            "account_id": account,
            "term": term,
            "at": instant_text(when),
            "as_of": instant_text(known_by),
        }
        statement = with_receipt(
            services, statement, "credits", query, wants_receipt(json_output, output_format)
        )
    emit(statement, output_format, json_output, show.statement, output)


@app.command("adjustments")
def adjustments(
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    output_format: FormatOption = "text",
    output: OutputOption = None,
) -> None:
    """Renewed terms whose credit owed now differs from what the renewal applied, and why."""
    known_by = instant_option(as_of, "--as-of")
    with reports(known_by) as services:
        found = services.reports.adjustments(known_by)
        query = {"as_of": instant_text(known_by)}
        found = with_receipt(
            services, found, "adjustments", query, wants_receipt(json_output, output_format)
        )
    emit(found, output_format, json_output, show.adjustments, output)
