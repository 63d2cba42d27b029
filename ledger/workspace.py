"""The entities one batch of facts touches, loaded once, then changed in memory fact by fact.

The application fills one from the store (`SlaLedger`); `Workspace.of` builds one from events in
hand (the unit tests' "given these events"). Either way each entity is its events folded by
`ledger.state`, so a batch is checked against exactly what the store would replay.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar
from uuid import UUID

from ledger import events as ev
from ledger import importing as f
from ledger.aggregates import Aggregate, Contract, Maintenance, Outage
from ledger.errors import UnknownReference
from ledger.events import LedgerEvent
from ledger.idempotency import KnownEvent
from ledger.tickets import Ticket

__all__ = ["Workspace", "referenced_entities"]

_KINDS: dict[str, type[Aggregate[Any]]] = {
    "contract": Contract,
    "outage": Outage,
    "maintenance": Maintenance,
    "ticket": Ticket,
}
Kind = TypeVar("Kind", bound=Aggregate[Any])


class Workspace:
    """Aggregates by entity id, each entity's latest event, and the event ids already stored."""

    def __init__(self, known: dict[str, KnownEvent] | None = None) -> None:
        self.aggregates: dict[UUID, Aggregate[Any]] = {}
        self.last_events: dict[UUID, LedgerEvent] = {}  # stored or pending
        self.known = known or {}

    @classmethod
    def of(cls, events: Iterable[LedgerEvent]) -> Workspace:
        """A workspace holding the entities these events (in recorded order) make."""
        workspace = cls()
        workspace.fold(events)
        return workspace

    def fold(self, events: Iterable[LedgerEvent]) -> None:
        """Apply events (each entity's in recorded order) to their entities."""
        for event in events:
            entity = event.originator_id
            aggregate = self.aggregates.get(entity)
            if aggregate is None:
                aggregate = self.aggregates[entity] = _KINDS[event.ENTITY](entity)
            aggregate.apply(event)
            self.last_events[entity] = event

    def get(self, kind: type[Kind], entity: UUID) -> Kind | None:
        aggregate = self.aggregates.get(entity)
        return aggregate if isinstance(aggregate, kind) else None

    def contract(self, account_id: str) -> Contract | None:
        return self.get(Contract, ev.contract_id(account_id))

    def require_contract(self, account_id: str, field: str = "account_id") -> Contract:
        contract = self.contract(account_id)
        if contract is None:
            raise UnknownReference(
                field, f"unknown account {account_id!r}: no contract.signed for it yet"
            )
        return contract

    def require(self, kind: type[Kind], entity: UUID, name: str, field: str) -> Kind:
        aggregate = self.get(kind, entity)
        if aggregate is None:
            noun = kind.__name__.lower()
            raise UnknownReference(field, f"unknown {noun} {name!r}: no {noun} with this id yet")
        return aggregate

    def add(self, aggregate: Aggregate[Any]) -> None:
        self.aggregates[aggregate.id] = aggregate

    def recorded(self, aggregate: Aggregate[Any]) -> LedgerEvent:
        """The one event a handler just made `aggregate` record (now its latest)."""
        (event,) = aggregate.collect_events()
        self.last_events[aggregate.id] = event
        return event


def referenced_entities(fact: f.AnyFact) -> set[UUID]:
    """The entities a fact names: its outage, window or ticket, and the accounts' contracts."""
    ids: set[UUID] = set()
    if isinstance(fact, f.OutageStarted | f.OutageEnded | f.OutageCorrected | f.OutageRetracted):
        ids.add(ev.outage_id(fact.outage_id))
    if isinstance(fact, f.MaintenanceScheduled | f.MaintenanceCancelled):
        ids.add(ev.maintenance_id(fact.maintenance_id))
    if isinstance(fact, f.TicketFact):
        ids.add(ev.ticket_id(fact.ticket_id))
    fields = vars(fact)  # plain dict access: pydantic's attribute fallback is slow
    account = fields.get("account_id")
    if account is not None:
        ids.add(ev.contract_id(account))
    for named in fields.get("accounts") or ():
        ids.add(ev.contract_id(named))
    return ids
