"""The write side's support ticket: its steps' commands, guarded by the ticket step machine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ledger import events as ev
from ledger.aggregates import Aggregate
from ledger.errors import RuleViolation
from ledger.ticket_state import (
    ImpossibleStep,
    TicketCondition,
    TicketState,
    TicketStep,
    evolve_ticket,
)
from ledger.timevalues import format_instant

__all__ = ["Ticket", "check_ticket_steps"]


class Ticket(Aggregate[TicketState]):
    """A support ticket. Steps may arrive late: the whole sequence, in valid-time order, is
    checked again whenever one is added."""

    ENTITY = "ticket"
    evolve = staticmethod(evolve_ticket)

    @classmethod
    def open(
        cls, ticket_id: str, account_id: str, priority: str, at: datetime, event_id: str
    ) -> Ticket:
        ticket = cls(ev.ticket_id(ticket_id))
        ticket._record(
            ev.TicketOpened,
            ticket_id=ticket_id,
            account_id=account_id,
            priority=priority,
            at=at.isoformat(),
            event_id=event_id,
        )
        return ticket

    def record_step(self, step_type: str, at: datetime, event_id: str, **fields: Any) -> None:
        """Check that the ticket's history stays possible with this step, then record it."""
        state = self.state
        if at < state.opened_at:
            raise RuleViolation(
                "at",
                f"ticket {state.ticket_id} opened at {format_instant(state.opened_at)}; "
                "an event cannot come before it",
            )
        check_ticket_steps(
            state.ticket_id, state.with_step(TicketStep(at, step_type, fields.get("priority")))
        )
        self._record(
            ev.TICKET_STEP_TYPES[step_type],
            ticket_id=state.ticket_id,
            at=at.isoformat(),
            event_id=event_id,
            **fields,
        )


def check_ticket_steps(ticket: str, steps: list[TicketStep]) -> None:
    """Walk the ticket step machine over `steps` (clock order); refuse an impossible one."""
    condition = TicketCondition(steps[0].priority or "")
    for step in steps[1:]:
        try:
            condition = condition.after(step.type, step.priority)
        except ImpossibleStep as impossible:
            raise RuleViolation(
                impossible.field,
                f"ticket {ticket} is {impossible.problem} at {format_instant(step.at)}",
            ) from None
