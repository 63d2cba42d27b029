"""From stored events to typed histories: the input of every read model's fold.

`fold_history` reads events (in any mix, in position order) and keeps, per entity, what the
events say so far plus a reference to each event - the evidence a report cites. It is pure: the
same rows give the same history, whichever store they were read from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.domain import TICKET_STEP_ORDER, TermsVersion
from ledger.records import StoredFact
from ledger.terms import ContractTerms, in_force
from ledger.timevalues import floor_to_second

__all__ = [
    "AccountHistory",
    "ContractHistory",
    "EventRef",
    "History",
    "MaintenanceRecord",
    "OutageRecord",
    "RenewalRecord",
    "TicketRecord",
    "TicketStepRecord",
    "fold_history",
]


@dataclass(frozen=True, slots=True)
class EventRef:
    """Evidence: one stored event a figure depends on."""

    event_id: str
    type: str
    position: int
    recorded_at: datetime
    valid_at: datetime | None = None


def event_ref(row: StoredFact) -> EventRef:
    return EventRef(
        event_id=row.event_id,
        type=row.type,
        position=row.position,
        recorded_at=row.recorded_at,
        valid_at=row.valid_at,
    )


@dataclass
class VersionRecord:
    """A contract version with the event that set it."""

    version: TermsVersion
    ref: EventRef


@dataclass
class RenewalRecord:
    term: int
    at: datetime
    amount: Decimal
    currency: str
    ref: EventRef


@dataclass
class ContractHistory:
    account_id: str
    versions: list[VersionRecord] = field(default_factory=list)
    terminated_at: datetime | None = None
    termination_ref: EventRef | None = None
    renewals: dict[int, RenewalRecord] = field(default_factory=dict)

    @property
    def starts_at(self) -> datetime:
        return self.versions[0].version.effective_from

    @property
    def timezone(self) -> str:
        return self.versions[0].version.terms.timezone

    def terms_versions(self) -> list[TermsVersion]:
        return [record.version for record in self.versions]

    def version_at(self, instant: datetime) -> VersionRecord | None:
        """The version in force at `instant` (the latest effective at or before it)."""
        return in_force(self.versions, instant, lambda record: record.version.effective_from)

    def contract_refs(self) -> list[EventRef]:
        refs = [record.ref for record in self.versions]
        if self.termination_ref is not None:
            refs.append(self.termination_ref)
        return refs


@dataclass
class OutageRecord:
    outage_id: str
    accounts: tuple[str, ...] | None  # None: every account
    started_at: datetime
    ended_at: datetime | None
    retracted: bool
    refs: list[EventRef]
    start_s: int = field(init=False)  # the times in whole seconds, kept beside them
    end_s: int | None = field(init=False)

    def __post_init__(self) -> None:
        self.set_times(self.started_at, self.ended_at)

    def set_times(self, started_at: datetime, ended_at: datetime | None) -> None:
        self.started_at, self.ended_at = started_at, ended_at
        self.start_s = floor_to_second(started_at)
        self.end_s = None if ended_at is None else floor_to_second(ended_at)

    def applies_to(self, account_id: str) -> bool:
        return self.accounts is None or account_id in self.accounts


@dataclass
class MaintenanceRecord:
    maintenance_id: str
    kind: str
    start: datetime
    end: datetime
    accounts: tuple[str, ...] | None
    declared_at: datetime
    declared_by: str | None
    cancelled: bool
    refs: list[EventRef]

    def applies_to(self, account_id: str) -> bool:
        return self.accounts is None or account_id in self.accounts


@dataclass(frozen=True)
class TicketStepRecord:
    """One ticket event: when it happened, what it was, the priority it set (if any)."""

    at: datetime
    type: str
    priority: str | None
    ref: EventRef

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        # Rule `same_instant_order` (see ledger.domain.TICKET_STEP_ORDER), then recorded order.
        return self.at, TICKET_STEP_ORDER[self.type], self.ref.position


@dataclass
class TicketRecord:
    ticket_id: str
    account_id: str
    opened_at: datetime
    steps: list[TicketStepRecord]

    def ordered_steps(self) -> list[TicketStepRecord]:
        return sorted(self.steps, key=lambda step: step.sort_key)

    @property
    def refs(self) -> list[EventRef]:
        return [step.ref for step in sorted(self.steps, key=lambda s: s.ref.position)]


@dataclass
class History:
    """Everything known from the events read: contracts, outages, maintenance and tickets."""

    contracts: dict[str, ContractHistory] = field(default_factory=dict)
    outages: dict[str, OutageRecord] = field(default_factory=dict)
    maintenance: dict[str, MaintenanceRecord] = field(default_factory=dict)
    tickets: dict[str, TicketRecord] = field(default_factory=dict)

    def apply(self, row: StoredFact) -> None:
        _APPLY[row.type](self, row, row.data())

    def by_account(self) -> dict[str, AccountHistory]:
        """Every contracted account's history, sharing the service-wide outages and windows."""
        outages: dict[str, list[OutageRecord]] = {a: [] for a in self.contracts}
        windows: dict[str, list[MaintenanceRecord]] = {a: [] for a in self.contracts}
        tickets: dict[str, list[TicketRecord]] = {a: [] for a in self.contracts}
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
    contract: ContractHistory | None
    outages: list[OutageRecord]
    maintenance: list[MaintenanceRecord]
    tickets: list[TicketRecord]


def fold_history(rows: Iterable[StoredFact], history: History | None = None) -> History:
    """Fold stored events (in position order) into `history` (a new one by default)."""
    folded = history if history is not None else History()
    for row in rows:
        folded.apply(row)
    return folded


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _known(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _accounts(value: list[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _contract(history: History, data: dict[str, Any]) -> ContractHistory:
    return history.contracts[data["account_id"]]


def _signed(history: History, row: StoredFact, data: dict[str, Any]) -> None:
    account = data["account_id"]
    contract = ContractHistory(account_id=account)
    history.contracts[account] = contract
    _add_version(contract, row, data)


def _add_version(contract: ContractHistory, row: StoredFact, data: dict[str, Any]) -> None:
    version = TermsVersion(
        _known(data["effective_from"]), ContractTerms.model_validate(data["terms"]), row.event_id
    )
    contract.versions.append(VersionRecord(version, event_ref(row)))
    # Later-recorded versions win ties: sorted() keeps recorded order among equal dates.
    contract.versions.sort(key=lambda record: record.version.effective_from)


def _amended(history: History, row: StoredFact, data: dict[str, Any]) -> None:
    _add_version(_contract(history, data), row, data)


def _terminated(history: History, row: StoredFact, data: dict[str, Any]) -> None:
    contract = _contract(history, data)
    contract.terminated_at = _known(data["at"])
    contract.termination_ref = event_ref(row)


def _renewed(history: History, row: StoredFact, data: dict[str, Any]) -> None:
    contract = _contract(history, data)
    applied = data["credit_applied"]
    contract.renewals[data["term"]] = RenewalRecord(
        data["term"],
        _known(data["at"]),
        Decimal(applied["amount"]),
        applied["currency"],
        event_ref(row),
    )


def _outage_started(history: History, row: StoredFact, data: dict[str, Any]) -> None:
    name = data["outage_id"]
    history.outages[name] = OutageRecord(
        name, _accounts(data["accounts"]), _known(data["at"]), None, False, [event_ref(row)]
    )


def _outage(history: History, row: StoredFact, data: dict[str, Any]) -> OutageRecord:
    outage = history.outages[data["outage_id"]]
    outage.refs.append(event_ref(row))
    return outage


def _outage_ended(history: History, row: StoredFact, data: dict[str, Any]) -> None:
    outage = _outage(history, row, data)
    outage.set_times(outage.started_at, _known(data["at"]))


def _outage_corrected(history: History, row: StoredFact, data: dict[str, Any]) -> None:
    outage = _outage(history, row, data)
    outage.set_times(_known(data["started_at"]), _instant(data["ended_at"]))


def _outage_retracted(history: History, row: StoredFact, data: dict[str, Any]) -> None:
    _outage(history, row, data).retracted = True


def _maintenance_scheduled(history: History, row: StoredFact, data: dict[str, Any]) -> None:
    name = data["maintenance_id"]
    history.maintenance[name] = MaintenanceRecord(
        name,
        data["kind"],
        _known(data["start"]),
        _known(data["end"]),
        _accounts(data["accounts"]),
        _known(data["declared_at"]),
        data["declared_by"],
        False,
        [event_ref(row)],
    )


def _maintenance_cancelled(history: History, row: StoredFact, data: dict[str, Any]) -> None:
    window = history.maintenance[data["maintenance_id"]]
    window.cancelled = True
    window.refs.append(event_ref(row))


def _ticket_opened(history: History, row: StoredFact, data: dict[str, Any]) -> None:
    name = data["ticket_id"]
    opened = _known(data["at"])
    step = TicketStepRecord(opened, row.type, data["priority"], event_ref(row))
    history.tickets[name] = TicketRecord(name, data["account_id"], opened, [step])


def _ticket_step(history: History, row: StoredFact, data: dict[str, Any]) -> None:
    ticket = history.tickets[data["ticket_id"]]
    step = TicketStepRecord(_known(data["at"]), row.type, data.get("priority"), event_ref(row))
    ticket.steps.append(step)


_APPLY = {
    "contract.signed": _signed,
    "contract.amended": _amended,
    "contract.terminated": _terminated,
    "renewal.completed": _renewed,
    "outage.started": _outage_started,
    "outage.ended": _outage_ended,
    "outage.corrected": _outage_corrected,
    "outage.retracted": _outage_retracted,
    "maintenance.scheduled": _maintenance_scheduled,
    "maintenance.cancelled": _maintenance_cancelled,
    "ticket.opened": _ticket_opened,
    **{step: _ticket_step for step in TICKET_STEP_ORDER if step != "ticket.opened"},
}
