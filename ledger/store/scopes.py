"""The scope index: which accounts an event concerns, and its entity's interval after it.

Computed once per appended event, from the event and its entity's state after it, and written
in the same transaction. As-of reports use the index to find the entities that can touch a
month without reading the whole log.
"""

from __future__ import annotations

from datetime import datetime

from ledger import events as ev
from ledger.events import LedgerEvent
from ledger.state import ContractState, MaintenanceState, OutageState
from ledger.store.ports import ALL_ACCOUNTS, ScopeRow
from ledger.ticket_state import TicketState

__all__ = ["scopes_of"]

EntityState = ContractState | OutageState | MaintenanceState | TicketState


def scopes_of(event: LedgerEvent, state: EntityState) -> tuple[ScopeRow, ...]:
    """The index rows of `event`, given its entity's state once the event is applied."""
    if isinstance(event, ev.ContractSigned | ev.ContractAmended):
        return (_point(state, "contract", event.effective_from),)
    if isinstance(event, ev.ContractTerminated):
        return (_point(state, "contract", event.at),)
    if isinstance(event, ev.RenewalCompleted):
        return (_point(state, "renewal", event.at),)
    if isinstance(state, OutageState):
        # A retracted outage keeps its last known interval in the index, so reports of the
        # months it touched can still say that it was retracted.
        end = state.ended_at or (state.started_at if state.retracted else None)
        return _interval_scopes("outage", state.accounts, state.started_at, end)
    if isinstance(state, MaintenanceState):
        return _interval_scopes("maintenance", state.accounts, state.start, state.end)
    assert isinstance(state, TicketState), type(event)
    # A point at the opening: tickets are grouped by the month they opened in.
    return (ScopeRow(state.account_id, "ticket", state.opened_at, state.opened_at),)


def _point(state: EntityState, kind: str, at: str) -> ScopeRow:
    assert isinstance(state, ContractState)
    return ScopeRow(state.account_id, kind, datetime.fromisoformat(at), None)


def _interval_scopes(
    kind: str, accounts: tuple[str, ...] | None, start: datetime, end: datetime | None
) -> tuple[ScopeRow, ...]:
    keys = accounts if accounts is not None else (ALL_ACCOUNTS,)
    return tuple(ScopeRow(key, kind, start, end) for key in keys)
