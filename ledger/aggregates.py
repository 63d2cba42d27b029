"""The write side's entities: each guards the rules that need only its own history.

An aggregate's state is the fold of its events (`ledger.state`); a command checks its rules
against that state and, if they hold, records the next event (`ledger.events`). Rules that span
entities (is the account known? does its contract define this priority?) are in
`ledger.handlers`. The ticket aggregate is in `ledger.tickets`.

Why not the library's `Aggregate`: its metaclass re-defines the event classes nested in each
aggregate class, and keys the stored `originator_topic` to the class's module. One vocabulary
module needs the events outside the aggregates, and the stored JSON must not change with a
module's name; this base keeps what the ledger used of it (id, version, pending events). The
event store, mapper, transcoder and projections are the library's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar, Generic, Self, TypeVar
from uuid import UUID

from ledger import events as ev
from ledger.errors import RuleViolation
from ledger.events import LedgerEvent
from ledger.state import (
    ContractState,
    MaintenanceState,
    OutageState,
    evolve_contract,
    evolve_maintenance,
    evolve_outage,
)
from ledger.terms import ContractTerms
from ledger.timevalues import format_instant

__all__ = ["Aggregate", "Contract", "Maintenance", "Outage"]

State = TypeVar("State")


class Aggregate(Generic[State]):
    """An entity: its id, the version its last event gave it, its state and its new events."""

    ENTITY: ClassVar[str]
    evolve: ClassVar[Callable[..., Any]]  # the entity's fold (`ledger.state`)

    def __init__(self, entity_id: UUID) -> None:
        self.id = entity_id
        self.version = 0
        self._state: State | None = None
        self._pending: list[LedgerEvent] = []

    @classmethod
    def replayed(cls, entity_id: UUID, events: Iterable[LedgerEvent]) -> Self:
        aggregate = cls(entity_id)
        for event in events:
            aggregate.apply(event)
        return aggregate

    @property
    def state(self) -> State:
        assert self._state is not None, f"{type(self).__name__} {self.id} has no events yet"
        return self._state

    def apply(self, event: LedgerEvent) -> None:
        """Fold one stored or new event into the state."""
        self._state = type(self).evolve(self._state, event)
        self.version = event.originator_version

    def _record(self, event_class: type[LedgerEvent], **fields: Any) -> None:
        if self.version == 0:
            fields["originator_topic"] = ev.CREATED_TOPICS[self.ENTITY]
        event = event_class(
            originator_id=self.id,
            originator_version=self.version + 1,
            timestamp=event_class.create_timestamp(),
            **fields,
        )
        self.apply(event)
        self._pending.append(event)

    def collect_events(self) -> list[LedgerEvent]:
        """The events recorded since the last collection (to append to the store)."""
        pending, self._pending = self._pending, []
        return pending


class Contract(Aggregate[ContractState]):
    """An account's subscription: its terms over time, its end, and its renewals."""

    ENTITY = "contract"
    evolve = staticmethod(evolve_contract)

    @classmethod
    def sign(
        cls, account_id: str, effective_from: datetime, terms: ContractTerms, event_id: str
    ) -> Contract:
        contract = cls(ev.contract_id(account_id))
        contract._record(
            ev.ContractSigned,
            account_id=account_id,
            effective_from=effective_from.isoformat(),
            terms=terms.stored_form(),
            event_id=event_id,
        )
        return contract

    def amend(self, effective_from: datetime, terms: ContractTerms, event_id: str) -> None:
        state = self.state
        if effective_from < state.starts_at:
            raise RuleViolation(
                "effective_from",
                f"the contract of {state.account_id} starts at "
                f"{format_instant(state.starts_at)}; an amendment cannot take effect before it",
            )
        if state.terminated_at is not None and effective_from >= state.terminated_at:
            raise RuleViolation(
                "effective_from", f"the contract ended at {format_instant(state.terminated_at)}"
            )
        if terms.timezone != state.timezone:
            raise RuleViolation(
                "terms.timezone",
                f"the contract measures months in {state.timezone}; the time zone cannot change "
                "by amendment (sign a new account instead)",
            )
        self._record(
            ev.ContractAmended,
            account_id=state.account_id,
            effective_from=effective_from.isoformat(),
            terms=terms.stored_form(),
            event_id=event_id,
        )

    def terminate(self, at: datetime, event_id: str) -> None:
        state = self.state
        if state.terminated_at is not None:
            raise RuleViolation(
                "at", f"already terminated at {format_instant(state.terminated_at)}"
            )
        if at <= state.starts_at:
            raise RuleViolation("at", "a contract cannot end before it takes effect")
        if any(version.effective_from >= at for version in state.versions):
            raise RuleViolation("at", "an amendment takes effect at or after this end")
        self._record(
            ev.ContractTerminated, account_id=state.account_id, at=at.isoformat(), event_id=event_id
        )

    def complete_renewal(
        self, at: datetime, term: int, credit_applied: dict[str, str], event_id: str
    ) -> None:
        renewed = self.state.renewals.get(term)
        if renewed is not None:
            raise RuleViolation(
                "term", f"term {term} was already renewed (event {renewed.event_id})"
            )
        self._record(
            ev.RenewalCompleted,
            account_id=self.state.account_id,
            at=at.isoformat(),
            term=term,
            credit_applied=credit_applied,
            event_id=event_id,
        )


class Outage(Aggregate[OutageState]):
    """A period in which users could not log in and start calls."""

    ENTITY = "outage"
    evolve = staticmethod(evolve_outage)

    @classmethod
    def start(
        cls,
        outage_id: str,
        at: datetime,
        accounts: tuple[str, ...] | None,
        source: str | None,
        event_id: str,
    ) -> Outage:
        outage = cls(ev.outage_id(outage_id))
        outage._record(
            ev.OutageStarted,
            outage_id=outage_id,
            at=at.isoformat(),
            accounts=None if accounts is None else list(accounts),
            source=source,
            event_id=event_id,
        )
        return outage

    def _check_not_retracted(self) -> None:
        if self.state.retracted:
            raise RuleViolation("outage_id", f"outage {self.state.outage_id} was retracted")

    def end(self, at: datetime, event_id: str) -> None:
        self._check_not_retracted()
        state = self.state
        if state.ended_at is not None:
            raise RuleViolation(
                "at",
                f"outage {state.outage_id} already ended at {format_instant(state.ended_at)}; "
                "send outage.corrected to change its times",
            )
        if at <= state.started_at:
            raise RuleViolation(
                "at",
                f"the end {format_instant(at)} is not after the start "
                f"{format_instant(state.started_at)} of outage {state.outage_id}",
            )
        self._record(
            ev.OutageEnded, outage_id=state.outage_id, at=at.isoformat(), event_id=event_id
        )

    def correct(
        self, started_at: datetime, ended_at: datetime | None, reason: str | None, event_id: str
    ) -> None:
        self._check_not_retracted()
        self._record(
            ev.OutageCorrected,
            outage_id=self.state.outage_id,
            started_at=started_at.isoformat(),
            ended_at=None if ended_at is None else ended_at.isoformat(),
            reason=reason,
            event_id=event_id,
        )

    def retract(self, reason: str, at: datetime | None, event_id: str) -> None:
        self._check_not_retracted()
        self._record(
            ev.OutageRetracted,
            outage_id=self.state.outage_id,
            reason=reason,
            at=None if at is None else at.isoformat(),
            event_id=event_id,
        )


class Maintenance(Aggregate[MaintenanceState]):
    """A maintenance window, its kind, and who declared it when."""

    ENTITY = "maintenance"
    evolve = staticmethod(evolve_maintenance)

    @classmethod
    def schedule(
        cls,
        maintenance_id: str,
        kind: str,
        window: tuple[datetime, datetime],
        accounts: tuple[str, ...] | None,
        declared: tuple[datetime, str | None],
        event_id: str,
    ) -> Maintenance:
        window_aggregate = cls(ev.maintenance_id(maintenance_id))
        window_aggregate._record(
            ev.MaintenanceScheduled,
            maintenance_id=maintenance_id,
            kind=kind,
            start=window[0].isoformat(),
            end=window[1].isoformat(),
            accounts=None if accounts is None else list(accounts),
            declared_at=declared[0].isoformat(),
            declared_by=declared[1],
            event_id=event_id,
        )
        return window_aggregate

    def cancel(self, at: datetime | None, reason: str | None, event_id: str) -> None:
        state = self.state
        if state.cancelled:
            raise RuleViolation(
                "maintenance_id", f"maintenance {state.maintenance_id} was already cancelled"
            )
        self._record(
            ev.MaintenanceCancelled,
            maintenance_id=state.maintenance_id,
            at=None if at is None else at.isoformat(),
            reason=reason,
            event_id=event_id,
        )
