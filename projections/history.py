"""From stored events to histories: the input of every read model's fold.

`fold_history` decodes stored events (in any mix, in position order) and folds each into its
entity's state with the same functions the write side uses (`ledger.state`), passing the event's
`EventRef` so that every state keeps the evidence a report cites. It is pure: the same events
give the same history, whichever store they were read from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ledger.errors import NotFound
from ledger.events import StoredFact, decode
from ledger.state import (
    ContractState,
    MaintenanceState,
    OutageState,
    evolve_contract,
    evolve_maintenance,
    evolve_outage,
)
from ledger.ticket_state import TicketState, evolve_ticket
from projections.evidence import event_ref

__all__ = ["AccountHistory", "History", "fold_history"]


@dataclass
class History:
    """Everything known from the events read: contracts, outages, maintenance and tickets, each
    by its natural id."""

    contracts: dict[str, ContractState] = field(default_factory=dict)
    outages: dict[str, OutageState] = field(default_factory=dict)
    maintenance: dict[str, MaintenanceState] = field(default_factory=dict)
    tickets: dict[str, TicketState] = field(default_factory=dict)

    def apply(self, row: StoredFact) -> None:
        data = row.data()
        event = decode(row.type, data)
        key, kind, ref = data[event.KEY], event.ENTITY, event_ref(row, data)
        if kind == "outage":
            self.outages[key] = evolve_outage(self.outages.get(key), event, ref)
        elif kind == "maintenance":
            self.maintenance[key] = evolve_maintenance(self.maintenance.get(key), event, ref)
        elif kind == "ticket":
            self.tickets[key] = evolve_ticket(self.tickets.get(key), event, ref)
        else:
            self.contracts[key] = evolve_contract(self.contracts.get(key), event, ref)

    def by_account(self) -> dict[str, AccountHistory]:
        """Every contracted account's history, sharing the service-wide outages and windows."""
        outages: dict[str, list[OutageState]] = {a: [] for a in self.contracts}
        windows: dict[str, list[MaintenanceState]] = {a: [] for a in self.contracts}
        tickets: dict[str, list[TicketState]] = {a: [] for a in self.contracts}
        shared_outages = [o for o in self.outages.values() if o.accounts is None]
        shared_windows = [m for m in self.maintenance.values() if m.accounts is None]
        for outage in self.outages.values():
            for account in outage.accounts or ():
                outages.setdefault(account, []).append(outage)
        for window in self.maintenance.values():
            for account in window.accounts or ():
                windows.setdefault(account, []).append(window)
        for ticket in self.tickets.values():
            tickets.setdefault(ticket.account_id, []).append(ticket)
        return {
            account: AccountHistory(
                account,
                contract,
                outages[account] + shared_outages,
                windows[account] + shared_windows,
                tickets[account],
            )
            for account, contract in self.contracts.items()
        }

    def for_account(self, account_id: str) -> AccountHistory:
        return AccountHistory(
            account_id=account_id,
            contract=self.contracts.get(account_id),
            outages=[o for o in self.outages.values() if o.applies_to(account_id)],
            maintenance=[m for m in self.maintenance.values() if m.applies_to(account_id)],
            tickets=[t for t in self.tickets.values() if t.account_id == account_id],
        )


@dataclass
class AccountHistory:
    """What one account's reports are computed from."""

    account_id: str
    contract: ContractState | None
    outages: list[OutageState]
    maintenance: list[MaintenanceState]
    tickets: list[TicketState]

    def require_contract(self) -> ContractState:
        """The account's contract.

        Raises:
            NotFound: the account had none (as known to this history).
        """
        if self.contract is None:
            raise NotFound(f"unknown account {self.account_id!r}")
        return self.contract


def fold_history(rows: Iterable[StoredFact], history: History | None = None) -> History:
    """Fold stored events (in position order) into `history` (a new one by default)."""
    folded = history if history is not None else History()
    for row in rows:
        folded.apply(row)
    return folded
