"""Terminal rendering of the ticket reports: a ticket's clock, a month's tickets, at-risk."""

from __future__ import annotations

from functools import partial

from rich.console import Console
from rich.table import Table

from api.show_base import as_of, evidence
from api.text import duration, local
from projections.tickets import AtRiskList, TicketMonth, TicketReport

__all__ = ["at_risk", "ticket", "tickets"]


def ticket(console: Console, report: TicketReport) -> None:
    zone = report.calendar_timezone
    t = partial(local, zone=zone)
    colour = {"breached": "bold red", "met": "green", "open": "yellow"}.get(report.state, "")
    state = f"[{colour}]{report.state}[/]" if colour else report.state
    console.print(
        f"[bold]{report.ticket_id}[/] ({report.account_id}), opened {t(report.opened_at)}, "
        f"priority {report.priority}: {state} (ticket is {report.lifecycle})"
    )
    history = ", ".join(f"{p.priority} from {t(p.from_at)}" for p in report.priority_history)
    console.print(f"priority history: {history}", markup=False)
    if report.contract_version is not None:
        console.print(
            f"terms in force at opening: from {t(report.contract_version.effective_from)}; "
            f"priority change rule {report.priority_change_rule}"
        )
    for clock in report.targets:
        console.print(
            f"  {clock.metric}: {clock.state}; target {duration(clock.target_seconds)} on "
            f"{clock.calendar or '-'} ({clock.calendar_timezone or '-'}), used "
            f"{duration(clock.business_seconds_used)} ({clock.used_fraction}), remaining "
            f"{duration(clock.remaining_seconds)}, due {t(clock.due_at)}, breached "
            f"{t(clock.breached_at)}, met {t(clock.met_at)}",
            markup=False,
        )
        if clock.breach_note:
            console.print(f"    {clock.breach_note}", markup=False)
    if not report.targets:
        console.print("  no target applies to this ticket")
    console.print("timeline (counted or not, and why):")
    for stretch in report.timeline:
        mark = "counted" if stretch.counted else "not counted"
        console.print(
            f"  {t(stretch.start)} to {t(stretch.end)} {duration(stretch.seconds):>14}  "
            f"{mark:<11} {stretch.reason:<9} {stretch.priority} {stretch.calendar or ''}",
            markup=False,
        )
    evidence(console, report.evidence, zone)
    as_of(console, report.as_of, report.as_of_position, report.query_time, zone)


def tickets(console: Console, month: TicketMonth) -> None:
    zone = month.timezone
    console.print(f"[bold]{month.account_id}[/] tickets opened in {month.month} ({zone})")
    table = Table(box=None)
    for column in ("priority", "opened", "met", "breached", "open", "paused", "no target"):
        table.add_column(column)
    for count in month.by_priority:
        table.add_row(
            count.priority,
            *(
                str(n)
                for n in (
                    count.opened,
                    count.met,
                    count.breached,
                    count.open,
                    count.paused,
                    count.no_target,
                )
            ),
        )
    console.print(table)
    for line in month.tickets:
        console.print(
            f"  {line.ticket_id:<16} {line.priority:<8} {line.state:<9} opened "
            f"{local(line.opened_at, zone)}  used {duration(line.business_seconds_used)} of "
            f"{duration(line.target_seconds)}  due {local(line.due_at, zone)}  breached "
            f"{local(line.breached_at, zone)}",
            markup=False,
        )
    as_of(console, month.as_of, month.as_of_position, month.query_time, zone)


def _left(business_seconds: int | None) -> str:
    return "" if business_seconds is None else f"{duration(business_seconds)} business time, "


def at_risk(console: Console, found: AtRiskList) -> None:
    console.print(
        f"open tickets due within {duration(found.within_seconds)} of "
        f"{local(found.query_time, None)}:"
    )
    for item in found.tickets:
        console.print(
            f"  {item.ticket_id:<16} {item.account_id:<18} {item.priority:<8} due "
            f"{local(item.due_at, item.timezone)} ({_left(item.business_seconds_left)}"
            f"{duration(item.seconds_left)} real time left)",
            markup=False,
        )
    if not found.tickets:
        console.print("  none")
    if found.overdue:
        console.print(f"already past their target and still open: {', '.join(found.overdue)}")
