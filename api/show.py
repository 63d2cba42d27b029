"""Human-readable rendering of reports for the terminal. No rule lives here: only layout."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from rich.console import Console
from rich.table import Table

from api.show_base import as_of as _as_of
from api.show_base import evidence, provisional
from api.show_tickets import at_risk, ticket, tickets
from api.text import duration, local, money, plural, verdict

__all__ = [
    "adjustments",
    "at_risk",
    "availability",
    "breaches",
    "diff",
    "evidence",
    "replay",
    "statement",
    "ticket",
    "tickets",
]
from ledger.events import EventRef
from projections.availability import AvailabilityReport, BreachList
from projections.credits import AdjustmentList, CreditStatement, Diff, Replay
from projections.credits.comparisons import MonthOutcome


def availability(console: Console, report: AvailabilityReport) -> None:
    zone = report.timezone
    t = partial(local, zone=zone)
    shown = verdict(report.met) + (" so far" if report.provisional else "")
    style = "green" if report.met else "bold red"
    console.print(
        f"[bold]{report.account_id}[/] {report.month} ({zone}): availability "
        f"[bold]{report.availability_percent} %[/], target {report.target_percent} % - "
        f"[{style}]{shown}[/]"
    )
    provisional(console, report.provisional, "month")
    console.print(
        f"period {t(report.period_start)} to {t(report.period_end)}: "
        f"{duration(report.period_seconds)} subscribed; unavailable "
        f"{duration(report.unavailable_seconds)}, excluded by maintenance "
        f"{duration(report.excluded_seconds)}, under the threshold "
        f"{duration(report.ignored_seconds)}"
    )
    console.print(
        f"rules: {report.threshold.replace('_', ' ')}, at least "
        f"{duration(report.min_outage_seconds)} continuous; excluded kinds "
        f"{', '.join(report.excluded_maintenance_kinds)} (from the "
        f"{report.maintenance_excluded_from.replace('_', ' ')}); terms from "
        f"{t(report.terms.effective_from)}"
    )
    for p in report.unavailable_periods:
        console.print(
            f"  counted  {t(p.start)} to {t(p.end)}  {duration(p.seconds):>14}  "
            f"{', '.join(p.outage_ids)} (continuous {duration(p.continuous_seconds)})",
            markup=False,
        )
    for i in report.ignored_periods:
        console.print(
            f"  ignored  {t(i.start)} to {t(i.end)}  {duration(i.seconds):>14}  "
            f"{', '.join(i.outage_ids)}: {i.reason}",
            markup=False,
        )
    for x in report.excluded_periods:
        windows = ", ".join(
            f"{m.maintenance_id} ({m.kind}, declared {t(m.declared_at)} by "
            f"{m.declared_by or 'unknown'})"
            for m in x.maintenance
        )
        console.print(
            f"  excluded {t(x.start)} to {t(x.end)}  {duration(x.seconds):>14}  {windows}",
            markup=False,
        )
    for o in report.open_outages:
        console.print(
            f"  [yellow]open[/]     {o.outage_id} since {t(o.started_at)}, "
            f"counted until {t(o.counted_until)}"
        )
    if report.retracted_outages:
        console.print(f"  retracted: {', '.join(report.retracted_outages)}")
    evidence(console, report.evidence, zone)
    _as_of(console, report.as_of, report.as_of_position, report.query_time, zone)


def breaches(console: Console, found: BreachList) -> None:
    if found.as_of is not None and not found.as_of_position:
        _as_of(console, found.as_of, found.as_of_position, found.query_time)
        return
    table = Table(title=f"accounts that missed their target in {found.month}", box=None)
    for column in ("account", "availability %", "target %", "unavailable", "open outages"):
        table.add_column(column, overflow="fold")
    for b in found.breaches:
        table.add_row(
            b.account_id,
            b.availability_percent,
            b.target_percent,
            duration(b.unavailable_seconds),
            ", ".join(b.open_outages) or "-",
        )
    if found.breaches:
        console.print(table)
    missed = plural(len(found.breaches), "account")
    console.print(f"{missed} missed {'its' if len(found.breaches) == 1 else 'their'} target")
    _as_of(console, found.as_of, found.as_of_position, found.query_time)


def statement(console: Console, found: CreditStatement) -> None:
    zone, currency = found.timezone, found.currency
    console.print(
        f"[bold]{found.account_id}[/] term {found.term}: {local(found.term_start, zone)} to "
        f"{local(found.term_end, zone)} ({found.status}), credits in {currency}"
    )
    provisional(console, found.provisional, "term")
    table = Table(box=None, padding=(0, 1))
    for column in ("month", "part", "avail. %", "target", "tickets", "credit %", "credit"):
        numeric = column in ("avail. %", "credit %", "credit")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=numeric)
    for m in found.months:
        part = "whole" if m.seconds == m.month_seconds else f"{m.seconds / m.month_seconds:.0%}"
        table.add_row(
            m.month,
            part + (" so far" if m.in_progress else ""),
            m.availability_percent or "-",
            verdict(m.met),
            ", ".join(t.ticket_id for t in m.ticket_breaches) or "-",
            m.credit_percent.rstrip("0").rstrip("."),
            money(m.amount, currency),
        )
    console.print(table)
    capped = " (term cap applied)" if found.term_capped else ""
    console.print(
        f"months total {money(found.months_total, currency)}; term fee "
        f"{money(found.term_fee, currency)}; term cap {found.term_cap_percent} % = "
        f"{money(found.term_cap_amount, currency)}"
    )
    console.print(f"[bold]credit owed: {money(found.total, currency)}[/]{capped}")
    if found.renewal is not None:
        console.print(
            f"renewal recorded {local(found.renewal.recorded_at, zone)}: applied "
            f"{money(found.renewal.amount, found.renewal.currency)}; difference "
            f"{money(found.difference, currency)}"
        )
    _as_of(console, found.as_of, found.as_of_position, found.query_time, zone)


def _changed_by(console: Console, refs: Sequence[EventRef]) -> None:
    for ref in refs:
        said = f": {ref.reason}" if ref.reason else ""
        console.print(
            f"    changed by {ref.type} (position {ref.position}, recorded "
            f"{local(ref.recorded_at, None)}){said}",
            markup=False,
        )


def adjustments(console: Console, found: AdjustmentList) -> None:
    if found.as_of is not None and not found.as_of_position:
        _as_of(console, found.as_of, found.as_of_position, found.query_time)
        return
    if not found.adjustments:
        console.print("no adjustments: every renewed term owes what its renewal applied")
    for a in found.adjustments:
        console.print(
            f"[bold]{a.account_id}[/] term {a.term}: applied {money(a.applied, a.currency)}, "
            f"owed at renewal {money(a.owed_at_renewal, a.currency)}, owed now "
            f"{money(a.owed_now, a.currency)}: difference {money(a.difference, a.currency)}"
        )
        _changed_by(console, a.changed_by)
    _as_of(console, found.as_of, found.as_of_position, found.query_time)


def _outcome(o: MonthOutcome) -> str:
    return (
        f"{o.availability_percent or '-':>8} {verdict(o.met):<6} {o.ticket_breaches:>3} breached "
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
            f"  {t.account_id:<16} term {t.term:<2} total: {money(t.old_total, t.currency)} -> "
            f"{money(t.new_total, t.currency)} ({money(t.difference, t.currency)})",
            markup=False,
        )
    for currency, total in found.totals.items():
        console.print(
            f"[bold]total: {money(total['old'], currency)} -> {money(total['new'], currency)} "
            f"({money(total['difference'], currency)})[/]"
        )
    console.print(f"[dim]nothing was appended; log at position {found.as_of_position}[/]")


def diff(console: Console, found: Diff) -> None:
    console.print(
        f"[bold]{found.account_id}[/] {found.month}: as of {local(found.as_of, None)} (position "
        f"{found.as_of_position}) vs {local(found.vs, None)} (position {found.vs_position})"
    )
    then = _outcome(found.old) if found.old is not None else "(the account was not known yet)"
    console.print(f"  then  {then}", markup=False)
    console.print(f"  now   {_outcome(found.new)}", markup=False)
    console.print(f"changed: {', '.join(found.changed) or 'nothing'}")
    _changed_by(console, found.changed_by)
