"""The timeline that explains a ticket's counted seconds (rule `timeline`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from projections.tickets.clock import ClockStretch, HoursFor
from projections.tickets.rules import Reading

__all__ = ["Piece", "ticket_timeline"]

Reason = Literal["open", "closed", "holiday", "paused", "stopped", "no_target"]


@dataclass(frozen=True, slots=True)
class Piece:
    """A piece of the ticket's life, whether it counted against the target, and why."""

    start: int
    end: int
    reason: Reason
    priority: str
    calendar: str | None

    @property
    def counted(self) -> bool:
        return self.reason == "open"


def ticket_timeline(reading: Reading, hours: HoursFor) -> list[Piece]:
    """The governing metric's stretches from the opening to its final stop (or the query time).

    Running time is cut at the calendar's openings: open pieces count, closed ones and holidays
    do not. Each piece names the priority in force then and the calendar it was counted on (under
    `retroactive`, the current priority's calendar throughout). Paused time, time while stopped
    (resolved, until reopened) and, under `from_change`, time under a priority without a target
    for the metric count nothing. Adjacent pieces alike are merged.
    """
    pieces: list[tuple[int, int, Reason, str, str | None]] = []
    for stretch in _without_final_stop(reading.stretches):
        target = reading.target_for(stretch.priority)
        if stretch.status != "running":
            pieces.append((stretch.start, stretch.end, stretch.status, stretch.priority, None))
        elif target is None:
            pieces.append((stretch.start, stretch.end, "no_target", stretch.priority, None))
        else:
            calendar = hours(target.calendar)
            for start, end, kind in calendar.partition(stretch.start, stretch.end):
                pieces.append((start, end, kind, stretch.priority, target.calendar))
    return [Piece(*piece) for piece in _merged(pieces)]


def _without_final_stop(stretches: list[ClockStretch]) -> list[ClockStretch]:
    kept = [s for s in stretches if s.end > s.start]
    while kept and kept[-1].status == "stopped":
        kept.pop()
    return kept


def _merged(
    pieces: list[tuple[int, int, Reason, str, str | None]],
) -> list[tuple[int, int, Reason, str, str | None]]:
    merged: list[tuple[int, int, Reason, str, str | None]] = []
    for piece in pieces:
        if merged and merged[-1][1] == piece[0] and merged[-1][2:] == piece[2:]:
            merged[-1] = (merged[-1][0], *piece[1:])
        else:
            merged.append(piece)
    return merged
