"""Aggregates and their events: contracts, outages, maintenance windows and support tickets.

Each aggregate guards the rules that need only its own history (an outage cannot end before it
started; a ticket cannot be resumed unless paused). Rules that span aggregates (is the account
known? does its contract define this priority?) live in `ledger.application`.

Event fields are JSON primitives - instants are ISO 8601 strings exactly as the user wrote them,
terms are the expanded terms' JSON - so a stored event reads the same to any JSON reader. Each
event's topic is its import `type` (`outage.started`), a stable name independent of this module.
"""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import register_topic

from ledger.errors import RuleViolation
from ledger.terms import ContractTerms, in_force
from ledger.timevalues import format_instant

__all__ = [
    "TICKET_STEP_ORDER",
    "Contract",
    "Maintenance",
    "Outage",
    "TermsVersion",
    "Ticket",
    "TicketStep",
    "contract_id",
    "maintenance_id",
    "outage_id",
    "ticket_id",
]

_NAMESPACE = UUID("6f1c2f3e-5c57-4b8e-9a39-2f0d6c1e8a10")


@lru_cache(maxsize=65536)
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


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class TermsVersion:
    """One version of an account's terms and the event that set it."""

    effective_from: datetime
    terms: ContractTerms
    event_id: str


class Contract(Aggregate):
    """An account's subscription: its terms over time, its end, and its renewals."""

    class Signed(Aggregate.Created):
        TOPIC = "contract.signed"
        account_id: str
        effective_from: str
        terms: dict[str, Any]
        event_id: str

    class Amended(Aggregate.Event):
        TOPIC = "contract.amended"
        account_id: str
        effective_from: str
        terms: dict[str, Any]
        event_id: str

        def apply(self, aggregate: Contract) -> None:
            aggregate.add_version(self.effective_from, self.terms, self.event_id)

    class Terminated(Aggregate.Event):
        TOPIC = "contract.terminated"
        account_id: str
        at: str
        event_id: str

        def apply(self, aggregate: Contract) -> None:
            aggregate.terminated_at = _instant(self.at)

    class RenewalCompleted(Aggregate.Event):
        TOPIC = "renewal.completed"
        account_id: str
        at: str
        term: int
        credit_applied: dict[str, str]
        event_id: str

        def apply(self, aggregate: Contract) -> None:
            aggregate.renewed_terms[self.term] = self.event_id

    @event(Signed)
    def __init__(
        self, account_id: str, effective_from: str, terms: dict[str, Any], event_id: str
    ) -> None:
        self.account_id = account_id
        self.versions: list[TermsVersion] = []
        self.terminated_at: datetime | None = None
        self.renewed_terms: dict[int, str] = {}
        self.add_version(effective_from, terms, event_id)

    @classmethod
    def sign(
        cls, account_id: str, effective_from: datetime, terms: ContractTerms, event_id: str
    ) -> Contract:
        return cls(
            account_id=account_id,
            effective_from=effective_from.isoformat(),
            terms=terms.stored_form(),
            event_id=event_id,
        )

    @staticmethod
    def create_id(account_id: str) -> UUID:
        return contract_id(account_id)

    def add_version(self, effective_from: str, terms: dict[str, Any], event_id: str) -> None:
        version = TermsVersion(
            _instant(effective_from), ContractTerms.model_validate(terms), event_id
        )
        self.versions = sorted([*self.versions, version], key=lambda v: v.effective_from)

    @property
    def starts_at(self) -> datetime:
        return self.versions[0].effective_from

    @property
    def timezone(self) -> str:
        return self.versions[0].terms.timezone

    def terms_at(self, instant: datetime) -> TermsVersion | None:
        """The version in force at `instant` (the latest one effective at or before it)."""
        return in_force(self.versions, instant, lambda version: version.effective_from)

    def is_subscribed_at(self, instant: datetime) -> bool:
        ended = self.terminated_at is not None and instant >= self.terminated_at
        return self.starts_at <= instant and not ended

    def amend(self, effective_from: datetime, terms: ContractTerms, event_id: str) -> None:
        if effective_from < self.starts_at:
            raise RuleViolation(
                "effective_from",
                f"the contract of {self.account_id} starts at {format_instant(self.starts_at)}; "
                "an amendment cannot take effect before it",
            )
        if self.terminated_at is not None and effective_from >= self.terminated_at:
            raise RuleViolation(
                "effective_from", f"the contract ended at {format_instant(self.terminated_at)}"
            )
        if terms.timezone != self.timezone:
            raise RuleViolation(
                "terms.timezone",
                f"the contract measures months in {self.timezone}; the time zone cannot change "
                "by amendment (sign a new account instead)",
            )
        self.trigger_event(
            self.Amended,
            account_id=self.account_id,
            effective_from=effective_from.isoformat(),
            terms=terms.stored_form(),
            event_id=event_id,
        )

    def terminate(self, at: datetime, event_id: str) -> None:
        if self.terminated_at is not None:
            raise RuleViolation("at", f"already terminated at {format_instant(self.terminated_at)}")
        if at <= self.starts_at:
            raise RuleViolation("at", "a contract cannot end before it takes effect")
        later = [v for v in self.versions if v.effective_from >= at]
        if later:
            raise RuleViolation("at", "an amendment takes effect at or after this end")
        self.trigger_event(
            self.Terminated, account_id=self.account_id, at=at.isoformat(), event_id=event_id
        )

    def complete_renewal(
        self, at: datetime, term: int, credit_applied: dict[str, str], event_id: str
    ) -> None:
        if term in self.renewed_terms:
            raise RuleViolation(
                "term", f"term {term} was already renewed (event {self.renewed_terms[term]})"
            )
        self.trigger_event(
            self.RenewalCompleted,
            account_id=self.account_id,
            at=at.isoformat(),
            term=term,
            credit_applied=credit_applied,
            event_id=event_id,
        )


class Outage(Aggregate):
    """A period in which users could not log in and start calls."""

    class Started(Aggregate.Created):
        TOPIC = "outage.started"
        outage_id: str
        at: str
        accounts: list[str] | None
        source: str | None
        event_id: str

    class Ended(Aggregate.Event):
        TOPIC = "outage.ended"
        outage_id: str
        at: str
        event_id: str

        def apply(self, aggregate: Outage) -> None:
            aggregate.ended_at = _instant(self.at)

    class Corrected(Aggregate.Event):
        TOPIC = "outage.corrected"
        outage_id: str
        started_at: str
        ended_at: str | None
        reason: str | None
        event_id: str

        def apply(self, aggregate: Outage) -> None:
            aggregate.started_at = _instant(self.started_at)
            aggregate.ended_at = None if self.ended_at is None else _instant(self.ended_at)

    class Retracted(Aggregate.Event):
        TOPIC = "outage.retracted"
        outage_id: str
        reason: str
        at: str | None
        event_id: str

        def apply(self, aggregate: Outage) -> None:
            aggregate.retracted = True

    @event(Started)
    def __init__(
        self, outage_id: str, at: str, accounts: list[str] | None, source: str | None, event_id: str
    ) -> None:
        self.outage_id = outage_id
        self.started_at = _instant(at)
        self.ended_at: datetime | None = None
        self.accounts = None if accounts is None else tuple(accounts)
        self.retracted = False

    @staticmethod
    def create_id(outage_id: str) -> UUID:
        return _entity_id("outage", outage_id)

    def _check_not_retracted(self) -> None:
        if self.retracted:
            raise RuleViolation("outage_id", f"outage {self.outage_id} was retracted")

    def end(self, at: datetime, event_id: str) -> None:
        self._check_not_retracted()
        if self.ended_at is not None:
            raise RuleViolation(
                "at",
                f"outage {self.outage_id} already ended at {format_instant(self.ended_at)}; "
                "send outage.corrected to change its times",
            )
        if at <= self.started_at:
            raise RuleViolation(
                "at",
                f"the end {format_instant(at)} is not after the start "
                f"{format_instant(self.started_at)} of outage {self.outage_id}",
            )
        self.trigger_event(
            self.Ended, outage_id=self.outage_id, at=at.isoformat(), event_id=event_id
        )

    def correct(
        self, started_at: datetime, ended_at: datetime | None, reason: str | None, event_id: str
    ) -> None:
        self._check_not_retracted()
        self.trigger_event(
            self.Corrected,
            outage_id=self.outage_id,
            started_at=started_at.isoformat(),
            ended_at=None if ended_at is None else ended_at.isoformat(),
            reason=reason,
            event_id=event_id,
        )

    def retract(self, reason: str, at: datetime | None, event_id: str) -> None:
        self._check_not_retracted()
        self.trigger_event(
            self.Retracted,
            outage_id=self.outage_id,
            reason=reason,
            at=None if at is None else at.isoformat(),
            event_id=event_id,
        )


class Maintenance(Aggregate):
    """A maintenance window, its kind, and who declared it when."""

    class Scheduled(Aggregate.Created):
        TOPIC = "maintenance.scheduled"
        maintenance_id: str
        kind: str
        start: str
        end: str
        accounts: list[str] | None
        declared_at: str
        declared_by: str | None
        event_id: str

    class Cancelled(Aggregate.Event):
        TOPIC = "maintenance.cancelled"
        maintenance_id: str
        at: str | None
        reason: str | None
        event_id: str

        def apply(self, aggregate: Maintenance) -> None:
            aggregate.cancelled = True

    @event(Scheduled)
    def __init__(
        self,
        maintenance_id: str,
        kind: str,
        start: str,
        end: str,
        accounts: list[str] | None,
        declared_at: str,
        declared_by: str | None,
        event_id: str,
    ) -> None:
        self.maintenance_id = maintenance_id
        self.kind = kind
        self.start = _instant(start)
        self.end = _instant(end)
        self.accounts = None if accounts is None else tuple(accounts)
        self.cancelled = False

    @staticmethod
    def create_id(maintenance_id: str) -> UUID:
        return _entity_id("maintenance", maintenance_id)

    def cancel(self, at: datetime | None, reason: str | None, event_id: str) -> None:
        if self.cancelled:
            raise RuleViolation(
                "maintenance_id", f"maintenance {self.maintenance_id} was already cancelled"
            )
        self.trigger_event(
            self.Cancelled,
            maintenance_id=self.maintenance_id,
            at=None if at is None else at.isoformat(),
            reason=reason,
            event_id=event_id,
        )


# Rule `same_instant_order`: events of one ticket that share a timestamp are applied in this
# order, whatever order they were recorded in; the clock then never depends on import order.
TICKET_STEP_ORDER: dict[str, int] = {
    "ticket.opened": 0,
    "ticket.priority_changed": 1,
    "ticket.resumed": 2,
    "ticket.paused": 3,
    "ticket.responded": 4,
    "ticket.resolved": 5,
    "ticket.reopened": 6,
}


@dataclass(frozen=True)
class TicketStep:
    """One ticket event, reduced to what the state machine needs."""

    at: datetime
    type: str
    priority: str | None = None

    @property
    def sort_key(self) -> tuple[datetime, int]:
        return self.at, TICKET_STEP_ORDER[self.type]


class Ticket(Aggregate):
    """A support ticket: its priority over time, pauses, responses, resolutions and reopenings.

    Events may arrive late; the ticket's steps are kept in valid-time order and the whole sequence
    is checked again whenever a step is added.
    """

    class Opened(Aggregate.Created):
        TOPIC = "ticket.opened"
        ticket_id: str
        account_id: str
        priority: str
        at: str
        event_id: str

    class Stepped(Aggregate.Event):
        """Base of every later ticket event: one step at `at`."""

        TOPIC = "ticket.step"
        ticket_id: str
        at: str
        event_id: str
        STEP: ClassVar[str] = ""

        def apply(self, aggregate: Ticket) -> None:
            aggregate.add_step(TicketStep(_instant(self.at), self.STEP, self.priority_after()))

        def priority_after(self) -> str | None:
            return None

    class PriorityChanged(Stepped):
        TOPIC = "ticket.priority_changed"
        STEP = "ticket.priority_changed"
        priority: str

        def priority_after(self) -> str | None:
            return self.priority

    class Paused(Stepped):
        TOPIC = "ticket.paused"
        STEP = "ticket.paused"
        reason: str | None

    class Resumed(Stepped):
        TOPIC = "ticket.resumed"
        STEP = "ticket.resumed"

    class Responded(Stepped):
        TOPIC = "ticket.responded"
        STEP = "ticket.responded"

    class Resolved(Stepped):
        TOPIC = "ticket.resolved"
        STEP = "ticket.resolved"

    class Reopened(Stepped):
        TOPIC = "ticket.reopened"
        STEP = "ticket.reopened"

    @event(Opened)
    def __init__(
        self, ticket_id: str, account_id: str, priority: str, at: str, event_id: str
    ) -> None:
        self.ticket_id = ticket_id
        self.account_id = account_id
        self.opened_at = _instant(at)
        self.steps: list[TicketStep] = [TicketStep(self.opened_at, "ticket.opened", priority)]

    @staticmethod
    def create_id(ticket_id: str) -> UUID:
        return _entity_id("ticket", ticket_id)

    def add_step(self, step: TicketStep) -> None:
        bisect.insort(self.steps, step, key=_step_key)

    def priority_at_open(self) -> str:
        return self.steps[0].priority or ""

    def record_step(self, step_type: str, at: datetime, event_id: str, **fields: Any) -> None:
        """Check that the ticket's history stays valid with this step, then record it."""
        if at < self.opened_at:
            raise RuleViolation(
                "at",
                f"ticket {self.ticket_id} opened at {format_instant(self.opened_at)}; "
                "an event cannot come before it",
            )
        steps = list(self.steps)
        bisect.insort(steps, TicketStep(at, step_type, fields.get("priority")), key=_step_key)
        check_ticket_steps(self.ticket_id, steps)
        event_class = _TICKET_EVENTS[step_type]
        self.trigger_event(
            event_class, ticket_id=self.ticket_id, at=at.isoformat(), event_id=event_id, **fields
        )


def _step_key(step: TicketStep) -> tuple[datetime, int]:
    return step.sort_key


_TICKET_EVENTS: dict[str, type[Ticket.Stepped]] = {
    cls.STEP: cls
    for cls in (
        Ticket.PriorityChanged,
        Ticket.Paused,
        Ticket.Resumed,
        Ticket.Responded,
        Ticket.Resolved,
        Ticket.Reopened,
    )
}


def check_ticket_steps(ticket: str, steps: list[TicketStep]) -> None:
    """Walk a ticket's steps in valid-time order and refuse an impossible sequence."""
    priority = steps[0].priority
    paused = resolved = False
    for step in steps[1:]:
        when = format_instant(step.at)
        if step.type == "ticket.priority_changed":
            if step.priority == priority:
                raise RuleViolation("priority", f"ticket {ticket} is already {priority} at {when}")
            priority = step.priority
        elif step.type == "ticket.paused":
            if paused or resolved:
                state = "paused" if paused else "resolved"
                raise RuleViolation("type", f"ticket {ticket} is already {state} at {when}")
            paused = True
        elif step.type == "ticket.resumed":
            if not paused:
                raise RuleViolation("type", f"ticket {ticket} is not paused at {when}")
            paused = False
        elif step.type == "ticket.resolved":
            if resolved:
                raise RuleViolation("type", f"ticket {ticket} is already resolved at {when}")
            resolved, paused = True, False
        elif step.type == "ticket.reopened":
            if not resolved:
                raise RuleViolation("type", f"ticket {ticket} is not resolved at {when}")
            resolved = False


EVENT_CLASSES: tuple[type[Any], ...] = (
    Contract.Signed,
    Contract.Amended,
    Contract.Terminated,
    Contract.RenewalCompleted,
    Outage.Started,
    Outage.Ended,
    Outage.Corrected,
    Outage.Retracted,
    Maintenance.Scheduled,
    Maintenance.Cancelled,
    Ticket.Opened,
    *_TICKET_EVENTS.values(),
)

# Readers in a fresh process resolve stored topics before any event was written: register them.
for _event_class in EVENT_CLASSES:
    register_topic(_event_class.TOPIC, _event_class)
