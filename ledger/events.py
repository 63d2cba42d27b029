"""The ledger's vocabulary: every event it stores, its fields, and how to read one back.

This is the only module that names stored event types and their fields. Each class's `TOPIC` is
the stored topic and the import format's `type` (`outage.started`); its fields are the stored
JSON, in stored order, as JSON primitives: instants are ISO 8601 text exactly as the user wrote
them, terms are the expanded terms' JSON, `accounts` is a list or null (every account).

Events are the library's frozen `DomainEvent`s, so its mapper and transcoder store them; the
fields it adds are `originator_id`, `originator_version` (columns) and `timestamp` (when the
event object was made). A creating event also stores `originator_topic`, the aggregate type as
the library first wrote it (`ledger.domain:Contract`): kept as written so stored JSON never
changes.

The read side does not go through the mapper: `decode` turns a stored payload straight into its
event class (no validation, no copying: rebuilds decode millions of them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar, Protocol
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import register_topic

__all__ = [
    "CREATED_TOPICS",
    "EVENT_TYPES",
    "TICKET_STEP_TYPES",
    "ContractAmended",
    "ContractSigned",
    "ContractTerminated",
    "EventRef",
    "LedgerEvent",
    "MaintenanceCancelled",
    "MaintenanceScheduled",
    "OutageCorrected",
    "OutageEnded",
    "OutageRetracted",
    "OutageStarted",
    "RenewalCompleted",
    "StoredFact",
    "TicketOpened",
    "TicketPaused",
    "TicketPriorityChanged",
    "TicketReopened",
    "TicketResolved",
    "TicketResponded",
    "TicketResumed",
    "TicketStepped",
    "contract_id",
    "decode",
    "maintenance_id",
    "outage_id",
    "ticket_id",
]


class LedgerEvent(DomainEvent):
    """Base of every stored event. `ENTITY` names the kind of thing it happened to, `KEY` the
    field holding that thing's natural id."""

    TOPIC: ClassVar[str] = ""
    ENTITY: ClassVar[str] = ""
    KEY: ClassVar[str] = ""


class CreatingEvent(LedgerEvent):
    """The first event of an entity."""

    originator_topic: str


# --- contracts (entity key: account_id) --------------------------------------------------------


class ContractSigned(CreatingEvent):
    TOPIC = "contract.signed"
    ENTITY = "contract"
    KEY = "account_id"
    account_id: str
    effective_from: str
    terms: dict[str, Any]
    event_id: str


class ContractAmended(LedgerEvent):
    TOPIC = "contract.amended"
    ENTITY = "contract"
    KEY = "account_id"
    account_id: str
    effective_from: str
    terms: dict[str, Any]
    event_id: str


class ContractTerminated(LedgerEvent):
    TOPIC = "contract.terminated"
    ENTITY = "contract"
    KEY = "account_id"
    account_id: str
    at: str
    event_id: str


class RenewalCompleted(LedgerEvent):
    TOPIC = "renewal.completed"
    ENTITY = "contract"
    KEY = "account_id"
    account_id: str
    at: str
    term: int
    credit_applied: dict[str, str]
    event_id: str


# --- outages (entity key: outage_id) -----------------------------------------------------------


class OutageStarted(CreatingEvent):
    TOPIC = "outage.started"
    ENTITY = "outage"
    KEY = "outage_id"
    outage_id: str
    at: str
    accounts: list[str] | None
    source: str | None
    event_id: str


class OutageEnded(LedgerEvent):
    TOPIC = "outage.ended"
    ENTITY = "outage"
    KEY = "outage_id"
    outage_id: str
    at: str
    event_id: str


class OutageCorrected(LedgerEvent):
    TOPIC = "outage.corrected"
    ENTITY = "outage"
    KEY = "outage_id"
    outage_id: str
    started_at: str
    ended_at: str | None
    reason: str | None
    event_id: str


class OutageRetracted(LedgerEvent):
    TOPIC = "outage.retracted"
    ENTITY = "outage"
    KEY = "outage_id"
    outage_id: str
    reason: str
    at: str | None
    event_id: str


# --- maintenance windows (entity key: maintenance_id) ------------------------------------------


class MaintenanceScheduled(CreatingEvent):
    TOPIC = "maintenance.scheduled"
    ENTITY = "maintenance"
    KEY = "maintenance_id"
    maintenance_id: str
    kind: str
    start: str
    end: str
    accounts: list[str] | None
    declared_at: str
    declared_by: str | None
    event_id: str


class MaintenanceCancelled(LedgerEvent):
    TOPIC = "maintenance.cancelled"
    ENTITY = "maintenance"
    KEY = "maintenance_id"
    maintenance_id: str
    at: str | None
    reason: str | None
    event_id: str


# --- support tickets (entity key: ticket_id) ---------------------------------------------------


class TicketOpened(CreatingEvent):
    TOPIC = "ticket.opened"
    ENTITY = "ticket"
    KEY = "ticket_id"
    ticket_id: str
    account_id: str
    priority: str
    at: str
    event_id: str


class TicketStepped(LedgerEvent):
    """Base of every later ticket event: one step at `at` (never stored itself)."""

    ENTITY = "ticket"
    KEY = "ticket_id"
    ticket_id: str
    at: str
    event_id: str


class TicketPriorityChanged(TicketStepped):
    TOPIC = "ticket.priority_changed"
    priority: str


class TicketPaused(TicketStepped):
    TOPIC = "ticket.paused"
    reason: str | None


class TicketResumed(TicketStepped):
    TOPIC = "ticket.resumed"


class TicketResponded(TicketStepped):
    TOPIC = "ticket.responded"


class TicketResolved(TicketStepped):
    TOPIC = "ticket.resolved"


class TicketReopened(TicketStepped):
    TOPIC = "ticket.reopened"


_STEPS: tuple[type[TicketStepped], ...] = (
    TicketPriorityChanged,
    TicketPaused,
    TicketResumed,
    TicketResponded,
    TicketResolved,
    TicketReopened,
)
TICKET_STEP_TYPES: dict[str, type[TicketStepped]] = {cls.TOPIC: cls for cls in _STEPS}

_STORED: tuple[type[LedgerEvent], ...] = (
    ContractSigned,
    ContractAmended,
    ContractTerminated,
    RenewalCompleted,
    OutageStarted,
    OutageEnded,
    OutageCorrected,
    OutageRetracted,
    MaintenanceScheduled,
    MaintenanceCancelled,
    TicketOpened,
    *TICKET_STEP_TYPES.values(),
)
EVENT_TYPES: dict[str, type[LedgerEvent]] = {cls.TOPIC: cls for cls in _STORED}
"""Every stored event type by its topic."""

CREATED_TOPICS: dict[str, str] = {
    "contract": "ledger.domain:Contract",
    "outage": "ledger.domain:Outage",
    "maintenance": "ledger.domain:Maintenance",
    "ticket": "ledger.domain:Ticket",
}
"""The `originator_topic` a creating event stores, per entity kind."""

# Readers in a fresh process resolve stored topics before any event was written: register them.
for _topic, _event_class in EVENT_TYPES.items():
    register_topic(_topic, _event_class)


def decode(event_type: str, data: dict[str, Any]) -> LedgerEvent:
    """The event of `event_type` whose stored payload is `data` (taken over, not copied).

    Like the library's mapper, without validation: stored events were valid when appended and
    are never changed. `timestamp` stays its stored form; the folds never read it.
    """
    event = object.__new__(EVENT_TYPES[event_type])
    object.__setattr__(event, "__dict__", data)
    return event


# --- entity ids ---------------------------------------------------------------------------------

_NAMESPACE = UUID("6f1c2f3e-5c57-4b8e-9a39-2f0d6c1e8a10")


# Bounded small: a long-running server meets ever new ids, and a batch repeats only a few.
@lru_cache(maxsize=8192)
def _entity_id(kind: str, natural_id: str) -> UUID:
    return uuid.uuid5(_NAMESPACE, f"{kind}/{natural_id}")


def contract_id(account_id: str) -> UUID:
    return _entity_id("contract", account_id)


def outage_id(outage: str) -> UUID:
    return _entity_id("outage", outage)


def maintenance_id(maintenance: str) -> UUID:
    return _entity_id("maintenance", maintenance)


def ticket_id(ticket: str) -> UUID:
    return _entity_id("ticket", ticket)


# --- stored events as the read side sees them --------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventRef:
    """Evidence: one stored event a figure depends on - its id, type, and both its times."""

    event_id: str
    type: str
    position: int
    recorded_at: datetime
    valid_at: datetime | None = None
    actor: str | None = None  # who recorded it (None: before actors were kept)
    reason: str | None = None  # a correction's or retraction's stated reason


class StoredFact(Protocol):
    """A stored event read back: where and when it was recorded, and its payload."""

    @property
    def position(self) -> int: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def event_id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def valid_at(self) -> datetime | None: ...
    @property
    def actor(self) -> str | None: ...
    def data(self) -> dict[str, Any]: ...
