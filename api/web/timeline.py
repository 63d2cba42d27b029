"""The month's timeline picture, as plain numbers for the SVG template: one mark per counted,
ignored and excluded period and per open outage, placed on the month in the contract's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from api.text import duration, local
from ledger.timevalues import contract_zone
from projections.availability import AvailabilityReport
from projections.tickets import TicketReport

__all__ = ["MIN_WIDTH", "WIDTH", "Mark", "month_marks", "month_ticks", "place", "ticket_marks"]

WIDTH = 720  # the picture's width in SVG units
MIN_WIDTH = 3  # a one-minute blip is still visible


@dataclass(frozen=True)
class Mark:
    kind: str  # counted | ignored | excluded | open
    x: float
    width: float
    title: str


def place(start: datetime, end: datetime, first: datetime, last: datetime) -> tuple[float, float]:
    """(x, width) of the span start..end on a picture of first..last, WIDTH units wide; a span
    too short to see is drawn MIN_WIDTH wide, kept inside the picture's right edge."""
    span = (last - first).total_seconds()
    left = max(0.0, (start - first).total_seconds()) / span * WIDTH
    right = min(span, (end - first).total_seconds()) / span * WIDTH
    width = max(MIN_WIDTH, right - left)
    return round(min(left, WIDTH - width), 2), round(width, 2)


def month_marks(report: AvailabilityReport) -> list[Mark]:
    """Every period of the month as a mark, in the order counted, ignored, excluded, open."""
    first, last, zone = report.month_start, report.month_end, report.timezone
    marks: list[Mark] = []

    def add(kind: str, start: datetime, end: datetime, what: str) -> None:
        x, width = place(start, end, first, last)
        title = f"{kind}: {local(start, zone)} to {local(end, zone)} ({duration(int((end - start).total_seconds()))}) {what}"  # noqa: E501
        marks.append(Mark(kind, x, width, title))

    for p in report.unavailable_periods:
        add("counted", p.start, p.end, ", ".join(p.outage_ids))
    for i in report.ignored_periods:
        add("ignored", i.start, i.end, i.reason)
    for e in report.excluded_periods:
        add(
            "excluded",
            e.start,
            e.end,
            ", ".join(f"{m.maintenance_id} ({m.kind})" for m in e.maintenance),
        )
    for o in report.open_outages:
        add("open", o.started_at, o.counted_until, o.outage_id)
    return marks


def month_ticks(report: AvailabilityReport) -> list[tuple[float, str]]:
    """A tick at local days 1, 8, 15, 22 and 29 of the month (on its wall clock), labelled."""
    first, last = report.month_start, report.month_end
    start = first.astimezone(contract_zone(report.timezone))
    ticks = []
    for day in (1, 8, 15, 22, 29):
        try:
            at = start.replace(day=day)
        except ValueError:  # a February has no 29th (most years)
            continue
        if at < last:
            ticks.append((place(at, at, first, last)[0], str(day)))
    return ticks


def ticket_marks(report: TicketReport) -> tuple[list[Mark], list[tuple[float, str]]]:
    """A ticket's timeline in wall-clock time: one mark per stretch (its kind: `counted` while
    the clock runs, else the reason it does not: closed, holiday, paused ...), and the due and
    breach instants as (x, label) lines."""
    if not report.timeline:
        return [], []
    zone = report.calendar_timezone
    first, last = report.timeline[0].start, report.timeline[-1].end
    if last <= first:
        return [], []
    marks = []
    for stretch in report.timeline:
        x, width = place(stretch.start, stretch.end, first, last)
        kind = "counted" if stretch.counted else stretch.reason
        title = (
            f"{kind}: {local(stretch.start, zone)} to {local(stretch.end, zone)} "
            f"({duration(stretch.seconds)})"
        )
        marks.append(Mark(kind, x, width, title))
    lines = [
        (place(at, at, first, last)[0], f"{label} {local(at, zone)}")
        for label, at in (("due", report.due_at), ("breached", report.breached_at))
        if at is not None and first <= at <= last
    ]
    return marks, lines
