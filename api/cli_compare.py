"""The comparison commands: what-if `replay` under proposed terms, and `diff` of one
account-month as known at two recorded times. Both append nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api import show, show_terms
from api.cli_common import (
    AsOfOption,
    JsonOption,
    app,
    err,
    instant_option,
    month_option,
    out,
    read_json_object,
)
from api.cli_output import FormatOption, OutputOption, emit
from api.cli_progress import staged
from api.cli_reports import instant_text, reports, wants_receipt, with_receipt

__all__ = ["diff", "replay"]


@app.command("replay")
def replay(
    terms: Annotated[Path, typer.Option("--terms", help="JSON file of the proposed terms.")],
    first: Annotated[str, typer.Option("--from", help="First month, YYYY-MM.")],
    last: Annotated[str, typer.Option("--to", help="Last month, YYYY-MM.")],
    account: Annotated[str | None, typer.Option("--account", help="The account.")] = None,
    all_accounts: Annotated[bool, typer.Option("--all-accounts", help="Every account.")] = False,
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    output_format: FormatOption = "text",
    output: OutputOption = None,
) -> None:
    """What-if: the period under proposed terms beside the actual ones (appends nothing)."""
    known_by = instant_option(as_of, "--as-of")
    proposed = read_json_object(terms, "the terms must be")
    with reports(known_by) as services, staged(out, err, quiet=not all_accounts) as progress:
        found = services.reports.replay(
            proposed,
            month_option(first),
            month_option(last),
            account,
            all_accounts=all_accounts,
            as_of=known_by,
            on_progress=progress,
        )
        query = {
            "terms": proposed,
            "from_month": first,
            "to_month": last,
            "account_id": account,
            "all_accounts": all_accounts,
            "as_of": instant_text(known_by),
        }
        found = with_receipt(
            services, found, "replay", query, wants_receipt(json_output, output_format)
        )
    as_json = json_output or output_format == "json"
    if not as_json and output_format == "text" and output is None:
        for account_id, changes in found.terms_changes.items():
            out.print(f"{account_id}: current terms -> proposed terms", markup=False)
            show_terms.terms_changes(out, changes)
    for warning in found.warnings:
        err.print(
            f"warning: {warning.account_id}: {warning.field}: {warning.message}", markup=False
        )
    emit(found, output_format, json_output, show.replay, output)


@app.command("diff")
def diff(
    account: Annotated[str, typer.Option("--account", help="The account.")],
    month: Annotated[str, typer.Option("--month", help="Calendar month, YYYY-MM.")],
    as_of: Annotated[str, typer.Option("--as-of", help="The earlier recorded time.")],
    vs: Annotated[str, typer.Option("--vs", help="The later recorded time.")],
    json_output: JsonOption = False,
    output_format: FormatOption = "text",
    output: OutputOption = None,
) -> None:
    """An account-month as known at two recorded times, and the events that changed it."""
    earlier, later = instant_option(as_of, "--as-of"), instant_option(vs, "--vs")
    assert earlier is not None and later is not None
    with reports() as services:
        found = services.reports.diff(account, month_option(month), earlier, later)
        query = {
            "account_id": account,
            "month": month,
            "as_of": instant_text(earlier),
            "vs": instant_text(later),
        }
        found = with_receipt(
            services, found, "diff", query, wants_receipt(json_output, output_format)
        )
    emit(found, output_format, json_output, show.diff, output)
