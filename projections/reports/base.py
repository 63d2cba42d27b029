"""What every report query shares: the moment it answers for, and the log windows it reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Self

from ledger.application import SlaLedger
from ledger.timevalues import Month, contract_zone
from projections.runner import ReadModelRunner

__all__ = ["KnownBy", "ReportBase", "in_any_zone", "whole_months"]

WIDEST_OFFSET = timedelta(hours=14)  # every IANA zone's month lies inside UTC's month +- 14 h


@dataclass(frozen=True)
class KnownBy:
    """The moment a question is answered for: a prefix of the log and the query's "now"."""

    upto: int
    query_time: datetime
    as_of: datetime | None


class ReportBase:
    """The collaborators of every query: the ledger's log, the read models and the clock."""

    def __init__(
        self,
        ledger: SlaLedger,
        runner: ReadModelRunner,
        *,
        catch_up: bool,
        clock: Callable[[], datetime],
        pinned: KnownBy | None = None,
    ) -> None:
        self.ledger = ledger
        self.reader = ledger.reader
        self.runner = runner
        self.catch_up_before_reading = catch_up
        self.clock = clock
        self.pinned = pinned

    def pinned_at(self, known: KnownBy) -> Self:
        """The same reports answering "now" as `known` said: a report recomputed from the log
        exactly as it was answered then (to check a receipt)."""
        return type(self)(self.ledger, self.runner, catch_up=False, clock=self.clock, pinned=known)

    def known_by(self, as_of: datetime | None) -> KnownBy:
        if as_of is None:
            if self.pinned is not None:
                return self.pinned
            return KnownBy(self.reader.head()[0], self.clock(), None)
        return KnownBy(self.reader.position_at(as_of), as_of, as_of)

    def from_tables(self, as_of: datetime | None) -> bool:
        """Whether a question is about now, so the read-model tables can answer it."""
        return as_of is None and self.pinned is None

    def current_tables(self) -> None:
        """Make sure the read models hold every event recorded so far (read-your-writes)."""
        if self.catch_up_before_reading and self.pinned is None:
            self.runner.catch_up_to(self.reader.head()[0])


def in_any_zone(first: Month, last: Month) -> tuple[datetime, datetime]:
    """A window holding the months `first` to `last` in every time zone, for reads made before
    the account's contract (and so its zone) is known."""
    utc = contract_zone("UTC")
    return first.bounds(utc)[0] - WIDEST_OFFSET, last.bounds(utc)[1] + WIDEST_OFFSET


def whole_months(start: datetime, end: datetime, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) widened to whole months: a month cut by a term boundary is measured whole."""
    zone = contract_zone(timezone)
    return (
        Month.containing(start, zone).bounds(zone)[0],
        Month.containing(end - timedelta(microseconds=1), zone).bounds(zone)[1],
    )
