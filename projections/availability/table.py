"""The availability read model's table: its rows, its SQL on both back ends, and its codec.

A row keeps the figures listings filter and sort on beside the whole `MonthAvailability` in a
compact JSON form (short keys, instants of periods as Unix seconds, evidence as positions):
`stored_form` writes it, `month_from_stored` reads it back. Only this module knows the keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from ledger.events import EventRef
from ledger.timevalues import Month, format_instant
from projections.availability.month import MaintenanceUsed, MonthAvailability, UnendedOutage
from projections.availability.rules import Piece
from projections.dialect import Dialect, updates

__all__ = ["AvailabilityRow", "AvailabilityTable", "month_from_stored", "row_of", "stored_form"]

COLUMNS = (
    "account_id, month, met, availability_percent, unavailable_seconds, period_seconds, "
    "has_open, position, report"
)


@dataclass(frozen=True)
class AvailabilityRow:
    account_id: str
    month: str
    met: bool
    availability_percent: str
    unavailable_seconds: int
    period_seconds: int
    has_open: bool
    position: int
    report: str


def row_of(month: MonthAvailability, position: int) -> AvailabilityRow:
    """The row of a measured month, written at `position`."""
    return AvailabilityRow(
        account_id=month.account_id,
        month=str(month.month),
        met=month.met,
        availability_percent=month.availability_percent,
        unavailable_seconds=month.unavailable_seconds,
        period_seconds=month.period_seconds,
        has_open=bool(month.open_outages),
        position=position,
        report=stored_form(month),
    )


class AvailabilityTable:
    """The table's statements in one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        name = self.name = dialect.table("rm_availability", "slaledger_rm_availability")
        if dialect.sqlite:
            self.create = [
                f"CREATE TABLE IF NOT EXISTS {name} (account_id TEXT NOT NULL, "
                "month TEXT NOT NULL, met INTEGER NOT NULL, availability_percent TEXT NOT NULL, "
                "unavailable_seconds INTEGER NOT NULL, period_seconds INTEGER NOT NULL, "
                "has_open INTEGER NOT NULL, position INTEGER NOT NULL, report TEXT NOT NULL, "
                "PRIMARY KEY (account_id, month))",
                f"CREATE INDEX IF NOT EXISTS rm_availability_by_month ON {name} (month, met)",
            ]
        else:
            self.create = [
                f"CREATE TABLE IF NOT EXISTS {name} (account_id text NOT NULL, "
                "month text NOT NULL, met boolean NOT NULL, availability_percent text NOT NULL, "
                "unavailable_seconds bigint NOT NULL, period_seconds bigint NOT NULL, "
                "has_open boolean NOT NULL, position bigint NOT NULL, report text NOT NULL, "
                "PRIMARY KEY (account_id, month))",
                "CREATE INDEX IF NOT EXISTS slaledger_rm_availability_by_month "
                f"ON {name} (month, met)",
            ]
        m = dialect.marker
        self.drop = f"DROP TABLE IF EXISTS {name}"
        self.upsert = (
            f"INSERT INTO {name} ({COLUMNS}) VALUES ({dialect.markers(9)}) "
            "ON CONFLICT (account_id, month) DO UPDATE SET " + updates(COLUMNS, 2)
        )
        self.copy = f"COPY {name} ({COLUMNS}) FROM STDIN"
        self.delete = f"DELETE FROM {name} WHERE account_id = {m} AND month = {m}"
        self.select_one = f"SELECT {COLUMNS} FROM {name} WHERE account_id = {m} AND month = {m}"
        self.select_month = f"SELECT {COLUMNS} FROM {name} WHERE month = {m} ORDER BY account_id"
        self.select_months = f"SELECT month FROM {name} WHERE account_id = {m} ORDER BY month"

    @staticmethod
    def params(row: AvailabilityRow) -> tuple[Any, ...]:
        return (
            row.account_id,
            row.month,
            row.met,
            row.availability_percent,
            row.unavailable_seconds,
            row.period_seconds,
            row.has_open,
            row.position,
            row.report,
        )

    @staticmethod
    def row(values: tuple[Any, ...]) -> AvailabilityRow:
        return AvailabilityRow(
            values[0],
            values[1],
            bool(values[2]),
            values[3],
            values[4],
            values[5],
            bool(values[6]),
            values[7],
            values[8],
        )


# --- the compact form ----------------------------------------------------------------------------


def stored_form(month: MonthAvailability) -> str:
    """The JSON kept in the row: the month in short keys, its evidence as positions only."""
    t = format_instant
    return orjson.dumps(
        {
            "a": month.account_id,
            "m": str(month.month),
            "z": month.timezone,
            "mb": [t(month.month_start), t(month.month_end)],
            "pb": [t(month.period_start), t(month.period_end), month.period_seconds],
            "f": [month.unavailable_seconds, month.excluded_seconds, month.ignored_seconds],
            "p": month.availability_percent,
            "t": month.target_percent,
            "ok": month.met,
            "r": [
                month.threshold,
                month.min_outage_seconds,
                list(month.excluded_maintenance_kinds),
                month.maintenance_excluded_from,
            ],
            "tv": [t(month.terms_effective_from), month.terms_event_id],
            "u": [[p.start, p.end, list(p.outage_ids), *p.continuous] for p in month.counted],
            "i": [[p.start, p.end, list(p.outage_ids), p.reason] for p in month.ignored],
            "x": [
                [p.start, p.end, list(p.outage_ids), list(p.maintenance_ids)]
                for p in month.excluded
            ],
            "mw": [
                {
                    "maintenance_id": m.maintenance_id,
                    "kind": m.kind,
                    "start": t(m.start),
                    "end": t(m.end),
                    "declared_at": t(m.declared_at),
                    "declared_by": m.declared_by,
                }
                for m in month.maintenance
            ],
            "o": [[o.outage_id, t(o.started_at)] for o in month.open_outages],
            "rt": list(month.retracted_outages),
            "q": t(month.query_time),
            "ao": None,
            "ap": None,
            "e": [ref.position for ref in month.evidence],
        }
    ).decode()


def month_from_stored(
    text: str, refs: Callable[[list[int]], dict[int, EventRef]] | None
) -> MonthAvailability:
    """The month kept in a row. `refs` looks the evidence positions up in the log; without it
    the evidence is left empty (for listings that show none). The row keeps the continuous
    period of counted pieces only; ignored and excluded ones come back with their own span."""
    c: dict[str, Any] = orjson.loads(text)
    threshold, minimum, kinds, *later = c["r"]
    excluded_from = later[0] if later else "window_start"  # rows stored before the option
    windows = {m["maintenance_id"]: m for m in c["mw"]}
    found = refs(c["e"]) if refs is not None else {}
    return MonthAvailability(
        account_id=c["a"],
        month=Month.parse(c["m"]),
        timezone=c["z"],
        month_start=_at(c["mb"][0]),
        month_end=_at(c["mb"][1]),
        period_start=_at(c["pb"][0]),
        period_end=_at(c["pb"][1]),
        period_seconds=c["pb"][2],
        unavailable_seconds=c["f"][0],
        excluded_seconds=c["f"][1],
        ignored_seconds=c["f"][2],
        availability_percent=c["p"],
        met=c["ok"],
        target_percent=c["t"],
        threshold=threshold,
        min_outage_seconds=minimum,
        excluded_maintenance_kinds=tuple(kinds),
        maintenance_excluded_from=excluded_from,
        terms_effective_from=_at(c["tv"][0]),
        terms_event_id=c["tv"][1],
        counted=tuple(Piece(s, e, tuple(ids), (cs, ce)) for s, e, ids, cs, ce in c["u"]),
        ignored=tuple(Piece(s, e, tuple(ids), (s, e), reason=why) for s, e, ids, why in c["i"]),
        excluded=tuple(Piece(s, e, tuple(ids), (s, e), tuple(w)) for s, e, ids, w in c["x"]),
        maintenance=tuple(
            MaintenanceUsed(
                m["maintenance_id"],
                m["kind"],
                _at(m["start"]),
                _at(m["end"]),
                _at(m["declared_at"]),
                m["declared_by"],
            )
            for m in windows.values()
        ),
        open_outages=tuple(UnendedOutage(outage, _at(at)) for outage, at in c["o"]),
        retracted_outages=tuple(c["rt"]),
        query_time=_at(c["q"]),
        as_of=None,
        as_of_position=None,
        evidence=tuple(found[position] for position in c["e"]) if refs is not None else (),
    )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)
