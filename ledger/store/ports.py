"""The store's ports: what the application and the read side ask of either back end.

`LedgerReader` is the queries both recorders answer; the records here are what they take and
give. Nothing here names SQLite or PostgreSQL, so the application and the read side's adapters
depend on these, never on a back end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from ledger.chain import ChainedRow
from ledger.idempotency import KnownEvent
from ledger.verification import Checkpoint

__all__ = [
    "ALL_ACCOUNTS",
    "Checkpoint",
    "EventIndex",
    "KnownEvent",
    "LedgerReader",
    "LogRow",
    "ScannedEvent",
    "ScopeRow",
    "WriteReceipt",
]

ALL_ACCOUNTS = "*"
"""The account key of service-wide outages and maintenance in the scope index."""


@dataclass(frozen=True)
class ScopeRow:
    """An index row: which account an event concerns, and the entity's interval after it.

    `valid_from`/`valid_to` are the entity's known interval once the event is applied (an open
    outage has no `valid_to`; a retracted one has neither). As-of queries use them to find the
    entities that may touch a month without reading the whole log.
    """

    account_key: str
    kind: str
    valid_from: datetime | None
    valid_to: datetime | None


@dataclass(frozen=True)
class EventIndex:
    """What the ledger records beside the library's stored event."""

    event_id: str
    valid_at: datetime | None
    content_hash: str
    scopes: tuple[ScopeRow, ...]
    actor: str = ""  # who recorded it: an API key (`key:<id>:<role>`) or `cli:<user>`


@dataclass
class WriteReceipt:
    """Filled in by the recorder inside the write transaction."""

    positions: list[int] = field(default_factory=list)
    recorded_at: datetime | None = None
    chain_hash: str | None = None  # the chain hash at the last position written
    checkpointed: bool = False  # the new head was signed in the same transaction


class LogRow(NamedTuple):
    """One stored event as the read side sees it."""

    position: int
    recorded_at: datetime
    event_id: str
    type: str
    originator_id: UUID
    originator_version: int
    valid_at: datetime | None
    state: bytes
    actor: str | None = None

    def data(self) -> dict[str, Any]:
        decoded: dict[str, Any] = orjson.loads(self.state)
        return decoded


class ScannedEvent(NamedTuple):
    """A stored event read by a full scan: everything a fold needs, nothing more."""

    position: int
    recorded_at: datetime
    event_id: str
    type: str
    valid_at: datetime | None
    state: bytes
    actor: str | None = None

    def data(self) -> dict[str, Any]:
        decoded: dict[str, Any] = orjson.loads(self.state)
        return decoded


class LedgerReader(Protocol):
    """Queries both store adapters answer (SQLite and PostgreSQL)."""

    def head(self) -> tuple[int, datetime | None]:
        """The last position and its recorded time (0 and None for an empty store)."""

    def position_at(self, instant: datetime) -> int:
        """The last position recorded at or before `instant` (0 if none)."""

    def recorded_at_of(self, position: int) -> datetime | None: ...

    def read_log(self, after: int, limit: int, upto: int | None = None) -> list[LogRow]: ...

    def scan_log(self, upto: int) -> Iterator[ScannedEvent]:
        """Every event up to `upto`, in position order, streamed (for full rebuilds)."""

    def rows_at(self, positions: list[int]) -> list[LogRow]:
        """The events at these positions."""

    def rows_for(self, originator_ids: list[UUID], upto: int) -> list[LogRow]:
        """Every event of these entities up to `upto`, in position order."""

    def scoped_entities(
        self,
        account_keys: list[str],
        kinds: list[str],
        start: datetime,
        end: datetime,
        upto: int,
    ) -> list[UUID]:
        """Entities of `kinds` for these accounts whose known interval touched [start, end]."""

    def entity_intervals(
        self, originator_ids: list[UUID], upto: int
    ) -> list[tuple[UUID, str, datetime | None, datetime | None, int]]:
        """Every interval these entities have had, per account key: (entity, account, from, to,
        the position of the event that gave it)."""

    def open_outage_accounts(self, upto: int) -> list[str]:
        """Account keys of outages still open at `upto` (`*` for a service-wide one)."""

    def list_events(
        self,
        *,
        account: str | None,
        valid_from: datetime | None,
        valid_to: datetime | None,
        upto: int,
        after: int,
        limit: int,
    ) -> list[LogRow]: ...

    def account_ids(self, upto: int) -> list[str]: ...

    def renewal_accounts(self, upto: int) -> list[str]:
        """Accounts with a `renewal.completed` recorded by `upto`."""

    def type_counts(self, upto: int) -> dict[str, int]:
        """How many events of each type are stored up to `upto`."""

    def load_for_write(
        self, event_ids: list[str], originator_ids: list[UUID]
    ) -> tuple[dict[str, KnownEvent], list[StoredEvent]]:
        """In one read: which event ids are already stored, and the entities' stored events."""

    # --- the hash chain (schema version 2) ---

    def chain_rows(self, upto: int | None = None) -> Iterator[ChainedRow]:
        """Every stored event with its stored chain hash, in position order (streamed)."""

    def chain_extent(self) -> tuple[int, int]:
        """The last position of the events, and of the chain entries."""

    def chain_hashes(self, positions: list[int]) -> dict[int, str]:
        """The stored chain hashes at these positions."""

    def write_checkpoint(self, checkpoint: Checkpoint) -> None: ...

    def checkpoints(self) -> list[Checkpoint]: ...

    def ledger_id(self) -> str:
        """This ledger's id (made when its store was created)."""
