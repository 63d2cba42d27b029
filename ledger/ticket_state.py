"""A support ticket's state: its steps, and the ticket step machine.

`evolve_ticket` folds a ticket's events (for the aggregate and the read side alike, like the
folds of `ledger.state`). `TicketCondition.after` is the one ticket step machine: the write side
walks it to refuse an impossible sequence of steps, the read side to know when each clock runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from ledger import events as ev
from ledger.events import EventRef, LedgerEvent

__all__ = [
    "TICKET_STEP_ORDER",
    "ImpossibleStep",
    "TicketCondition",
    "TicketState",
    "TicketStep",
    "evolve_ticket",
    "ticket_conditions",
]


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
    """One ticket event: when it happened, what it was, the priority it set (if any)."""

    at: datetime
    type: str
    priority: str | None = None
    ref: EventRef | None = None

    @property
    def sort_key(self) -> tuple[datetime, int]:
        return self.at, TICKET_STEP_ORDER[self.type]


def _step_key(step: TicketStep) -> tuple[datetime, int]:
    return step.sort_key


@dataclass
class TicketState:
    """A support ticket: its steps in recorded order (late events arrive late)."""

    ticket_id: str
    account_id: str
    opened_at: datetime
    steps: list[TicketStep]

    def ordered_steps(self) -> list[TicketStep]:
        """The steps in clock order: valid time, then `same_instant_order`, then recorded
        order (a stable sort of the recorded list)."""
        return sorted(self.steps, key=_step_key)

    def with_step(self, step: TicketStep) -> list[TicketStep]:
        """The ordered steps as they would be with `step` recorded last."""
        return sorted([*self.steps, step], key=_step_key)

    @property
    def refs(self) -> list[EventRef]:
        return sorted(
            (step.ref for step in self.steps if step.ref is not None),
            key=lambda ref: ref.position,
        )


def evolve_ticket(
    state: TicketState | None, event: LedgerEvent, ref: EventRef | None = None
) -> TicketState:
    """The ticket after `event`: opened, then one step after another."""
    if isinstance(event, ev.TicketOpened):
        opened = datetime.fromisoformat(event.at)
        step = TicketStep(opened, event.TOPIC, event.priority, ref)
        return TicketState(event.ticket_id, event.account_id, opened, [step])
    assert state is not None and isinstance(event, ev.TicketStepped), event.TOPIC
    priority = event.priority if isinstance(event, ev.TicketPriorityChanged) else None
    state.steps.append(TicketStep(datetime.fromisoformat(event.at), event.TOPIC, priority, ref))
    return state


class ImpossibleStep(ValueError):
    """A ticket step that cannot follow the ones before it (`problem`: what the ticket is)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class TicketCondition(NamedTuple):
    """What is true of a ticket after a step: the ticket step machine."""

    priority: str
    paused: bool = False
    resolved: bool = False
    answered: bool = False

    def after(self, step_type: str, priority: str | None = None) -> TicketCondition:
        """The condition after one more step.

        Raises:
            ImpossibleStep: the step cannot follow (paused twice, resumed while not paused,
                resolved twice, reopened while not resolved, or a change to the same priority).
        """
        if step_type == "ticket.priority_changed" and priority is not None:
            if priority == self.priority:
                raise ImpossibleStep("priority", f"already {priority}")
            return self._replace(priority=priority)
        if step_type == "ticket.paused":
            if self.paused or self.resolved:
                raise ImpossibleStep(
                    "type", "already paused" if self.paused else "already resolved"
                )
            return self._replace(paused=True)
        if step_type == "ticket.resumed":
            if not self.paused:
                raise ImpossibleStep("type", "not paused")
            return self._replace(paused=False)
        if step_type == "ticket.responded":
            return self._replace(answered=True)
        if step_type == "ticket.resolved":  # resolving ends a pause
            if self.resolved:
                raise ImpossibleStep("type", "already resolved")
            return self._replace(paused=False, resolved=True, answered=True)
        if step_type == "ticket.reopened":
            if not self.resolved:
                raise ImpossibleStep("type", "not resolved")
            return self._replace(resolved=False)
        return self


class _Step(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def priority(self) -> str | None: ...


def ticket_conditions(steps: Sequence[_Step]) -> list[TicketCondition]:
    """What is true of the ticket after each of its steps (in clock order, opening first).

    Raises:
        ImpossibleStep: the steps are not a possible sequence.
    """
    condition = TicketCondition(steps[0].priority or "")
    conditions = []
    for step in steps:
        condition = condition.after(step.type, step.priority)
        conditions.append(condition)
    return conditions
