"""Terminal rendering of contract terms and their changes (`sla-ledger terms`, `replay`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from ledger.timevalues import format_instant
from projections.credits.terms_view import ContractTermsView, FieldChange, VersionView

__all__ = ["contract_terms", "terms_changes"]


def _value(value: Any) -> str:
    return "(absent)" if value is None else json.dumps(value, separators=(", ", ": "))


def terms_changes(console: Console, changes: Sequence[FieldChange], indent: str = "  ") -> None:
    """One line per changed field: `field: old -> new`."""
    if not changes:
        console.print(f"{indent}(no change)", markup=False)
    for change in changes:
        console.print(
            f"{indent}{change.field}: {_value(change.old)} -> {_value(change.new)}", markup=False
        )


def _heading(number: int, version: VersionView) -> str:
    recorded = (
        f"recorded {format_instant(version.recorded_at)} at position {version.position}"
        if version.recorded_at is not None
        else "recorded"
    )
    return (
        f"version {number}  effective {format_instant(version.effective_from)}  {recorded}  "
        f"{version.type or ''} {version.event_id}"
    )


def contract_terms(console: Console, found: ContractTermsView, history: bool) -> None:
    """The terms in force (in full), or with `history` every version and its changes."""
    known = f"as of {format_instant(found.as_of)}" if found.as_of else "current"
    console.print(
        f"[dim]{known}: events up to position {found.as_of_position}, evaluated at "
        f"{format_instant(found.query_time)}[/]"
    )
    if found.terminated_at is not None:
        console.print(f"terminated at {format_instant(found.terminated_at)}", markup=False)
    if history:
        for number, version in enumerate(found.versions, start=1):
            console.print(_heading(number, version), markup=False)
            if number == 1:
                console.print("  (the first version)", markup=False)
            else:
                terms_changes(console, version.changes, "  ")
        return
    if found.in_force is None:
        console.print(
            f"{found.account_id}: no terms in force at {format_instant(found.at)} (the contract "
            f"starts at {format_instant(found.versions[0].effective_from)})",
            markup=False,
        )
        return
    number = found.versions.index(found.in_force) + 1
    console.print(f"{found.account_id}: terms in force at {format_instant(found.at)}", markup=False)
    console.print(_heading(number, found.in_force), markup=False)
    console.print(json.dumps(found.in_force.terms, indent=2), markup=False)
