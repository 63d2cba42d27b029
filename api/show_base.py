"""Lines every terminal report ends with: the evidence, what it is as of, provisional."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console

from api.text import local, plural
from ledger.events import EventRef

__all__ = ["as_of", "evidence", "provisional"]


def as_of(
    console: Console,
    as_of: datetime | None,
    position: int | None,
    query_time: datetime,
    zone: str | None = None,
) -> None:
    if as_of is not None and not position:
        console.print(
            f"[bold yellow]as of {local(as_of, zone)} nothing had been recorded yet[/]: these "
            "figures describe an empty ledger, not a clean record"
        )
        return
    known = f"as of {local(as_of, zone)}" if as_of else "current"
    console.print(
        f"[dim]{known}: events up to position {position}, evaluated at {local(query_time, zone)}[/]"
    )


def evidence(console: Console, refs: Sequence[EventRef], zone: str | None = None) -> None:
    console.print(
        f"evidence: {plural(len(refs), 'event')} (position, recorded at, valid at, type, by, "
        "reason)"
    )
    for ref in refs:
        said = ref.reason or ("" if ref.event_id.startswith("auto:") else ref.event_id)
        console.print(
            f"  {ref.position:>7}  {local(ref.recorded_at, zone)}  "
            f"{local(ref.valid_at, zone):<22}  {ref.type:<24} {ref.actor or '-'}  {said}".rstrip(),
            markup=False,
        )


def provisional(console: Console, provisional: bool, what: str) -> None:
    if provisional:
        console.print(
            f"[bold yellow]provisional[/]: the {what} is not over yet; these figures count up to "
            "now and may still change"
        )
