"""Human-readable rendering of reports for the terminal. No rule lives here: only layout."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.table import Table

from ledger.timevalues import format_instant
from projections.availability import AvailabilityReport, BreachList
from projections.history import EventRef


def _t(value: datetime | None) -> str:
    return format_instant(value) if value is not None else "-"


def _as_of(
    console: Console, as_of: datetime | None, position: int | None, query_time: datetime
) -> None:
    known = f"as of {_t(as_of)}" if as_of else "current"
    console.print(
        f"[dim]{known}: events up to position {position}, evaluated at {_t(query_time)}[/]"
    )


def evidence(console: Console, refs: Sequence[EventRef]) -> None:
    console.print(f"evidence: {len(refs)} events (position, recorded at, valid at, type, event id)")
    for ref in refs:
        console.print(
            f"  {ref.position:>7}  {_t(ref.recorded_at)}  {_t(ref.valid_at):<20}  "
            f"{ref.type:<24} {ref.event_id}",
            markup=False,
        )


def availability(console: Console, report: AvailabilityReport) -> None:
    verdict = "[green]met[/]" if report.met else "[bold red]MISSED[/]"
    console.print(
        f"[bold]{report.account_id}[/] {report.month} ({report.timezone}): availability "
        f"[bold]{report.availability_percent} %[/], target {report.target_percent} % - {verdict}"
    )
    console.print(
        f"period {_t(report.period_start)} to {_t(report.period_end)}: "
        f"{report.period_seconds:,} s subscribed; unavailable {report.unavailable_seconds:,} s, "
        f"excluded by maintenance {report.excluded_seconds:,} s, "
        f"under the threshold {report.ignored_seconds:,} s"
    )
    console.print(
        f"rules: {report.threshold}, at least {report.min_outage_seconds} s continuous; excluded "
        f"kinds {', '.join(report.excluded_maintenance_kinds)}; terms from "
        f"{_t(report.terms.effective_from)} ({report.terms.event_id})"
    )
    for p in report.unavailable_periods:
        console.print(
            f"  counted  {_t(p.start)} to {_t(p.end)}  {p.seconds:>7,} s  {', '.join(p.outage_ids)}"
            f"  (continuous {p.continuous_seconds:,} s)"
        )
    for i in report.ignored_periods:
        console.print(f"  ignored  {_t(i.start)} to {_t(i.end)}  {i.seconds:>7,} s  {i.reason}")
    for x in report.excluded_periods:
        windows = ", ".join(
            f"{m.maintenance_id} ({m.kind}, declared {_t(m.declared_at)} by {m.declared_by or '?'})"
            for m in x.maintenance
        )
        console.print(f"  excluded {_t(x.start)} to {_t(x.end)}  {x.seconds:>7,} s  {windows}")
    for o in report.open_outages:
        console.print(
            f"  [yellow]open[/]     {o.outage_id} since {_t(o.started_at)}, "
            f"counted until {_t(o.counted_until)}"
        )
    if report.retracted_outages:
        console.print(f"  retracted: {', '.join(report.retracted_outages)}")
    evidence(console, report.evidence)
    _as_of(console, report.as_of, report.as_of_position, report.query_time)


def breaches(console: Console, found: BreachList) -> None:
    table = Table(title=f"accounts that missed their target in {found.month}", box=None)
    for column in ("account", "availability %", "target %", "unavailable s", "period s", "open"):
        table.add_column(column)
    for b in found.breaches:
        table.add_row(
            b.account_id,
            b.availability_percent,
            b.target_percent,
            f"{b.unavailable_seconds:,}",
            f"{b.period_seconds:,}",
            ", ".join(b.open_outages),
        )
    console.print(table)
    console.print(f"{len(found.breaches)} account(s)")
    _as_of(console, found.as_of, found.as_of_position, found.query_time)
