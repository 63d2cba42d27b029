"""Build histories for the pure tests of the folds: stored events, folded as the store's are.

Each builder step makes one event of `ledger.events` (as the aggregates would record it), gives
it a position and recorded time, and `build()` folds them with `projections.history` - so the
unit tier covers the fold too, without a database.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from ledger import events as ev
from ledger.events import EventRef, LedgerEvent
from ledger.state import TermsVersion
from ledger.templates import expand_terms
from ledger.ticket_state import TicketState
from ledger.timevalues import Month
from projections.availability import AvailabilityReport, availability_report, measure_month
from projections.history import AccountHistory, History, fold_history

_positions = itertools.count(1)
RECORDED = datetime(2026, 11, 1, tzinfo=UTC)
_NULL_ID = UUID(int=0)


def at(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, "give test instants an offset"
    return value


@dataclass(frozen=True)
class StoredRow:
    """A stored event as a store reads it back (`ledger.events.StoredFact`)."""

    position: int
    recorded_at: datetime
    event_id: str
    type: str
    valid_at: datetime | None
    state: dict[str, Any]
    actor: str | None = None

    def data(self) -> dict[str, Any]:
        return dict(self.state)


def stored(
    event_class: type[LedgerEvent],
    valid_at: datetime | None = None,
    *,
    recorded_at: datetime = RECORDED,
    position: int | None = None,
    **fields: Any,
) -> StoredRow:
    """One event of `event_class` with these fields, as if appended at the next position."""
    number = next(_positions) if position is None else position
    fields.setdefault("event_id", f"e-{number}")
    if issubclass(event_class, ev.CreatingEvent):
        fields["originator_topic"] = ev.CREATED_TOPICS[event_class.ENTITY]
    event = event_class(originator_id=_NULL_ID, originator_version=1, timestamp=RECORDED, **fields)
    state = {k: v for k, v in vars(event).items() if not k.startswith("originator_")}
    return StoredRow(number, recorded_at, fields["event_id"], event_class.TOPIC, valid_at, state)


def ref(event_type: str, valid_at: datetime | None = None) -> EventRef:
    position = next(_positions)
    return EventRef(f"e-{position}", event_type, position, RECORDED, valid_at)


def version(effective_from: datetime, terms: dict[str, Any], event_id: str) -> TermsVersion:
    """A contract version as the fold makes it (its evidence at a new position)."""
    return TermsVersion(
        effective_from,
        expand_terms(terms, effective_from),
        event_id,
        EventRef(event_id, "contract.signed", next(_positions), RECORDED, effective_from),
    )


_STEP_CLASSES: dict[str, type[LedgerEvent]] = {
    "opened": ev.TicketOpened,
    **{topic.removeprefix("ticket."): cls for topic, cls in ev.TICKET_STEP_TYPES.items()},
}


def ticket_row(
    ticket_id: str,
    account_id: str,
    instant: datetime,
    kind: str,
    priority: str | None = None,
    **placed: Any,
) -> StoredRow:
    """One ticket step (`kind` without the `ticket.` prefix) as a stored event; `placed` may
    give its position, event_id and recorded_at."""
    fields: dict[str, Any] = {"ticket_id": ticket_id, "at": instant.isoformat()}
    if kind == "opened":
        fields.update(account_id=account_id, priority=priority)
    elif kind == "priority_changed":
        fields["priority"] = priority
    elif kind == "paused":
        fields["reason"] = None
    return stored(_STEP_CLASSES[kind], instant, **placed, **fields)


def ticket_state(rows: list[StoredRow]) -> TicketState:
    """The ticket these rows (in recorded order) make, folded as the read side folds them."""
    (ticket,) = fold_history(rows).tickets.values()
    return ticket


class AccountBuilder:
    """A fluent builder: account(...).outage(...).maintenance(...).build()."""

    def __init__(self, account_id: str, effective_from: str, terms: dict[str, Any]) -> None:
        self.account_id = account_id
        start = at(effective_from)
        terms = expand_terms(terms, start).stored_form()
        self.rows = [
            stored(
                ev.ContractSigned,
                start,
                account_id=account_id,
                effective_from=start.isoformat(),
                terms=terms,
                event_id=f"signed-{account_id}",
            )
        ]
        self.extra_tickets: list[TicketState] = []

    def amend(self, effective_from: str, terms: dict[str, Any]) -> AccountBuilder:
        start = at(effective_from)
        self.rows.append(
            stored(
                ev.ContractAmended,
                start,
                account_id=self.account_id,
                effective_from=start.isoformat(),
                terms=expand_terms(terms, start).stored_form(),
                event_id=f"amended-{start.isoformat()}",
            )
        )
        return self

    def terminate(self, when: str) -> AccountBuilder:
        self.rows.append(
            stored(ev.ContractTerminated, at(when), account_id=self.account_id, at=when)
        )
        return self

    def outage(
        self,
        outage_id: str,
        start: str,
        end: str | None,
        accounts: tuple[str, ...] | None = None,
        retracted: bool = False,
    ) -> AccountBuilder:
        scope = None if accounts is None else list(accounts)
        self.rows.append(
            stored(
                ev.OutageStarted,
                at(start),
                outage_id=outage_id,
                at=start,
                accounts=scope,
                source=None,
            )
        )
        if end is not None:
            self.rows.append(stored(ev.OutageEnded, at(end), outage_id=outage_id, at=end))
        if retracted:
            self.rows.append(
                stored(ev.OutageRetracted, None, outage_id=outage_id, reason="test", at=None)
            )
        return self

    def maintenance(
        self,
        maintenance_id: str,
        start: str,
        end: str,
        kind: str = "scheduled",
        declared_at: str | None = None,
    ) -> AccountBuilder:
        self.rows.append(
            stored(
                ev.MaintenanceScheduled,
                at(start),
                maintenance_id=maintenance_id,
                kind=kind,
                start=start,
                end=end,
                accounts=None,
                declared_at=declared_at or start,
                declared_by="ops",
            )
        )
        return self

    def ticket(
        self, ticket_id: str, opened: str, resolved: str, priority: str = "high"
    ) -> AccountBuilder:
        self.rows += [
            stored(
                ev.TicketOpened,
                at(opened),
                ticket_id=ticket_id,
                account_id=self.account_id,
                priority=priority,
                at=opened,
            ),
            stored(ev.TicketResolved, at(resolved), ticket_id=ticket_id, at=resolved),
        ]
        return self

    def history(self) -> History:
        return fold_history(sorted(self.rows, key=lambda row: row.position))

    def build(self) -> AccountHistory:
        return self.history().for_account(self.account_id)


def account(
    account_id: str = "acme",
    effective_from: str = "2026-01-01T00:00:00Z",
    timezone: str = "UTC",
    **availability: Any,
) -> AccountBuilder:
    terms: dict[str, Any] = {"template": "lifesize-extreme", "timezone": timezone}
    if availability:
        terms["availability"] = availability
    return AccountBuilder(account_id, effective_from, terms)


def month_report(history: AccountHistory, month: Month, **known: Any) -> AvailabilityReport:
    """The availability report of one month of `history` (`measure_month`, then the report)."""
    return availability_report(measure_month(history, month, **known))
