"""Human-readable rendering of reports for the terminal. No rule lives here: only layout."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.table import Table

from ledger.events import EventRef
from ledger.timevalues import duration_text, format_instant
from projections.availability import AvailabilityReport, BreachList
from projections.credits import AdjustmentList, CreditStatement, Diff, Replay
from projections.credits.comparisons import MonthOutcome
from projections.tickets import AtRiskList, TicketMonth, TicketReport


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
    console.print(
        f"evidence: {len(refs)} events (position, recorded at, valid at, type, event id, by)"
    )
    for ref in refs:
        console.print(
            f"  {ref.position:>7}  {_t(ref.recorded_at)}  {_t(ref.valid_at):<20}  "
            f"{ref.type:<24} {ref.event_id}  {ref.actor or '-'}",
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
        f"kinds {', '.join(report.excluded_maintenance_kinds)} (from the "
        f"{report.maintenance_excluded_from.replace('_', ' ')}); terms from "
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


def _duration(seconds: int | None) -> str:
    return "-" if seconds is None else duration_text(seconds)


def ticket(console: Console, report: TicketReport) -> None:
    colour = {"breached": "bold red", "met": "green", "open": "yellow"}.get(report.state, "")
    state = f"[{colour}]{report.state}[/]" if colour else report.state
    console.print(
        f"[bold]{report.ticket_id}[/] ({report.account_id}), opened {_t(report.opened_at)}, "
        f"priority {report.priority}: {state} (ticket is {report.lifecycle})"
    )
    history = ", ".join(f"{p.priority} from {_t(p.from_at)}" for p in report.priority_history)
    console.print(f"priority history: {history}", markup=False)
    if report.contract_version is not None:
        console.print(
            f"terms in force at opening: from {_t(report.contract_version.effective_from)} "
            f"({report.contract_version.event_id}); priority change rule "
            f"{report.priority_change_rule}"
        )
    for clock in report.targets:
        console.print(
            f"  {clock.metric}: {clock.state}; target {_duration(clock.target_seconds)} on "
            f"{clock.calendar or '-'} ({clock.calendar_timezone or '-'}), used "
            f"{_duration(clock.business_seconds_used)} ({clock.used_fraction}), remaining "
            f"{_duration(clock.remaining_seconds)}, due {_t(clock.due_at)}, breached "
            f"{_t(clock.breached_at)}, met {_t(clock.met_at)}",
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
            f"  {_t(stretch.start)} to {_t(stretch.end)} {_duration(stretch.seconds):>10}  "
            f"{mark:<11} {stretch.reason:<9} {stretch.priority} {stretch.calendar or ''}",
            markup=False,
        )
    evidence(console, report.evidence)
    _as_of(console, report.as_of, report.as_of_position, report.query_time)


def tickets(console: Console, month: TicketMonth) -> None:
    console.print(f"[bold]{month.account_id}[/] tickets opened in {month.month} ({month.timezone})")
    table = Table(box=None)
    for column in ("priority", "opened", "met", "breached", "open", "paused", "no target"):
        table.add_column(column)
    for count in month.by_priority:
        table.add_row(
            count.priority,
            str(count.opened),
            str(count.met),
            str(count.breached),
            str(count.open),
            str(count.paused),
            str(count.no_target),
        )
    console.print(table)
    for line in month.tickets:
        console.print(
            f"  {line.ticket_id:<16} {line.priority:<8} {line.state:<9} opened {_t(line.opened_at)}"
            f"  used {_duration(line.business_seconds_used)} of {_duration(line.target_seconds)}"
            f"  due {_t(line.due_at)}  breached {_t(line.breached_at)}",
            markup=False,
        )
    _as_of(console, month.as_of, month.as_of_position, month.query_time)


def at_risk(console: Console, found: AtRiskList) -> None:
    console.print(
        f"open tickets due within {_duration(found.within_seconds)} of {_t(found.query_time)}:"
    )
    for item in found.tickets:
        console.print(
            f"  {item.ticket_id:<16} {item.account_id:<18} {item.priority:<8} due {_t(item.due_at)}"
            f" ({_duration(item.seconds_left)} left)",
            markup=False,
        )
    if not found.tickets:
        console.print("  none")
    if found.overdue:
        console.print(f"already past their target and still open: {', '.join(found.overdue)}")


def statement(console: Console, found: CreditStatement) -> None:
    console.print(
        f"[bold]{found.account_id}[/] term {found.term}: {_t(found.term_start)} to "
        f"{_t(found.term_end)} ({found.status}), credits in {found.currency}"
    )
    table = Table(box=None)
    for column in (
        "month",
        "part",
        "availability %",
        "met",
        "tier %",
        "tickets",
        "ticket %",
        "cap %",
        "credit %",
        "fee",
        "credit",
    ):
        table.add_column(column)
    for m in found.months:
        part = "whole" if m.seconds == m.month_seconds else f"{m.seconds / m.month_seconds:.0%}"
        if m.in_progress:
            part += " (so far)"
        table.add_row(
            m.month,
            part,
            m.availability_percent or "-",
            "-" if m.met is None else str(m.met),
            m.tier_credit_percent,
            ", ".join(t.ticket_id for t in m.ticket_breaches) or "-",
            m.ticket_credit_percent,
            m.monthly_cap_percent,
            m.credit_percent,
            m.fee,
            m.amount,
        )
    console.print(table)
    capped = " (term cap applied)" if found.term_capped else ""
    console.print(
        f"months total {found.months_total}; term fee {found.term_fee}; term cap "
        f"{found.term_cap_percent} % = {found.term_cap_amount}"
    )
    console.print(f"[bold]credit owed: {found.total} {found.currency}[/]{capped}")
    if found.renewal is not None:
        console.print(
            f"renewal recorded {_t(found.renewal.recorded_at)} ({found.renewal.event_id}): applied "
            f"{found.renewal.amount} {found.renewal.currency}; difference {found.difference}"
        )
    _as_of(console, found.as_of, found.as_of_position, found.query_time)


def adjustments(console: Console, found: AdjustmentList) -> None:
    if not found.adjustments:
        console.print("no adjustments: every renewed term owes what its renewal applied")
    for a in found.adjustments:
        console.print(
            f"[bold]{a.account_id}[/] term {a.term}: applied {a.applied}, owed at renewal "
            f"{a.owed_at_renewal}, owed now {a.owed_now} {a.currency}: difference {a.difference}"
        )
        for ref in a.changed_by:
            console.print(
                f"    changed by {ref.type} {ref.event_id} (position {ref.position}, recorded "
                f"{_t(ref.recorded_at)})",
                markup=False,
            )
    _as_of(console, found.as_of, found.as_of_position, found.query_time)


def _outcome(o: MonthOutcome) -> str:
    met = "-" if o.met is None else ("met" if o.met else "MISSED")
    return (
        f"{o.availability_percent or '-':>8} {met:<6} {o.ticket_breaches:>3} breached "
        f"{o.credit_percent:>8} % {o.amount:>10}"
    )


def replay(console: Console, found: Replay) -> None:
    console.print(f"what-if {found.from_month} to {found.to_month}: actual terms | proposed terms")
    for m in found.months:
        console.print(
            f"  {m.account_id:<16} term {m.term:<2} {m.month}  {_outcome(m.old)}  |  "
            f"{_outcome(m.new)}",
            markup=False,
        )
    for t in found.terms:
        console.print(
            f"  {t.account_id:<16} term {t.term:<2} total: {t.old_total} -> {t.new_total} "
            f"{t.currency} ({t.difference})",
            markup=False,
        )
    for currency, total in found.totals.items():
        console.print(
            f"[bold]total {currency}: {total['old']} -> {total['new']} ({total['difference']})[/]"
        )
    console.print(f"[dim]nothing was appended; log at position {found.as_of_position}[/]")


def diff(console: Console, found: Diff) -> None:
    console.print(
        f"[bold]{found.account_id}[/] {found.month}: as of {_t(found.as_of)} (position "
        f"{found.as_of_position}) vs {_t(found.vs)} (position {found.vs_position})"
    )
    then = _outcome(found.old) if found.old is not None else "(the account was not known yet)"
    console.print(f"  then  {then}", markup=False)
    console.print(f"  now   {_outcome(found.new)}", markup=False)
    console.print(f"changed: {', '.join(found.changed) or 'nothing'}")
    for ref in found.changed_by:
        console.print(
            f"    {ref.type} {ref.event_id} (position {ref.position}, recorded "
            f"{_t(ref.recorded_at)})",
            markup=False,
        )
