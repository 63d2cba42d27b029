"""What the events say so far about each entity: one fold per entity, for both sides.

`evolve_contract`, `evolve_outage`, `evolve_maintenance` and `evolve_ticket`
(`ledger.ticket_state`) take an entity's
state (None before its first event) and its next event, and return the state after it. The write
side's aggregates (`ledger.aggregates`) and the read side's history (`projections.history`) call
the same functions, so there is one fold of the events. The read side also passes each event's
`EventRef`, which the state keeps as evidence; the write side passes none.

States are changed in place for speed (a rebuild folds millions of events); each function still
returns the state so that a creating event can make it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ledger import events as ev
from ledger.events import EventRef, LedgerEvent
from ledger.terms import ContractTerms, in_force
from ledger.timevalues import floor_to_second

__all__ = [
    "ContractState",
    "MaintenanceState",
    "OutageState",
    "Renewal",
    "TermsVersion",
    "effective_instant",
    "evolve_contract",
    "evolve_maintenance",
    "evolve_outage",
]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def effective_instant(text: str) -> datetime:
    """Rule `effective_instants`: a version takes effect at its `effective_from` floored to the
    whole second (`whole_seconds`): one effective at 00:00:00.5 on the 1st governs that month."""
    return datetime.fromisoformat(text).replace(microsecond=0)


def _optional_instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _accounts(value: list[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


# --- contracts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TermsVersion:
    """One version of an account's terms, the event that set it, and that event's evidence."""

    effective_from: datetime
    terms: ContractTerms
    event_id: str
    ref: EventRef | None = None


@dataclass(frozen=True)
class Renewal:
    """A closed term and the credit finance applied on its renewal invoice."""

    term: int
    at: datetime
    amount: Decimal
    currency: str
    event_id: str
    ref: EventRef | None = None


@dataclass
class ContractState:
    """An account's subscription: its terms over time, its end, and its renewals."""

    account_id: str
    versions: list[TermsVersion] = field(default_factory=list)
    terminated_at: datetime | None = None
    termination_ref: EventRef | None = None
    renewals: dict[int, Renewal] = field(default_factory=dict)

    @property
    def starts_at(self) -> datetime:
        return self.versions[0].effective_from

    @property
    def timezone(self) -> str:
        return self.versions[0].terms.timezone

    def version_at(self, instant: datetime) -> TermsVersion | None:
        """The version in force at `instant` (rule `terms_in_force`); None before the first."""
        return in_force(self.versions, instant, lambda version: version.effective_from)

    def version_or_first(self, instant: datetime) -> TermsVersion:
        """The version in force at `instant`, or the first one for an instant before it."""
        return self.version_at(instant) or self.versions[0]

    def is_subscribed_at(self, instant: datetime) -> bool:
        ended = self.terminated_at is not None and instant >= self.terminated_at
        return self.starts_at <= instant and not ended


def _add_version(
    state: ContractState, event: ev.ContractSigned | ev.ContractAmended, ref: EventRef | None
) -> None:
    version = TermsVersion(
        effective_instant(event.effective_from),
        ContractTerms.model_validate(event.terms),
        event.event_id,
        ref,
    )
    # Later-recorded versions win ties: sorted() keeps recorded order among equal dates.
    state.versions = sorted([*state.versions, version], key=lambda v: v.effective_from)


def evolve_contract(
    state: ContractState | None, event: LedgerEvent, ref: EventRef | None = None
) -> ContractState:
    """The contract after `event` (a signing, amendment, termination or renewal)."""
    if isinstance(event, ev.ContractSigned):
        state = ContractState(event.account_id)
        _add_version(state, event, ref)
        return state
    assert state is not None, f"{event.TOPIC} before contract.signed"
    if isinstance(event, ev.ContractAmended):
        _add_version(state, event, ref)
    elif isinstance(event, ev.ContractTerminated):
        state.terminated_at = _instant(event.at)
        state.termination_ref = ref
    elif isinstance(event, ev.RenewalCompleted):
        applied = event.credit_applied
        state.renewals[event.term] = Renewal(
            event.term,
            _instant(event.at),
            Decimal(applied["amount"]),
            applied["currency"],
            event.event_id,
            ref,
        )
    return state


# --- outages and maintenance windows -------------------------------------------------------------


@dataclass
class OutageState:
    """A period in which users could not log in and start calls, as the events say so far."""

    outage_id: str
    accounts: tuple[str, ...] | None  # None: every account
    started_at: datetime
    ended_at: datetime | None
    retracted: bool = False
    refs: list[EventRef] = field(default_factory=list)
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


def evolve_outage(
    state: OutageState | None, event: LedgerEvent, ref: EventRef | None = None
) -> OutageState:
    """The outage after `event`: a correction replaces both times; a retraction voids it."""
    if isinstance(event, ev.OutageStarted):
        refs = [] if ref is None else [ref]
        return OutageState(
            event.outage_id, _accounts(event.accounts), _instant(event.at), None, False, refs
        )
    assert state is not None, f"{event.TOPIC} before outage.started"
    if ref is not None:
        state.refs.append(ref)
    if isinstance(event, ev.OutageEnded):
        state.set_times(state.started_at, _instant(event.at))
    elif isinstance(event, ev.OutageCorrected):
        state.set_times(_instant(event.started_at), _optional_instant(event.ended_at))
    elif isinstance(event, ev.OutageRetracted):
        state.retracted = True
    return state


@dataclass
class MaintenanceState:
    """A maintenance window, its kind, and who declared it when."""

    maintenance_id: str
    kind: str
    start: datetime
    end: datetime
    accounts: tuple[str, ...] | None
    declared_at: datetime
    declared_by: str | None
    cancelled: bool = False
    refs: list[EventRef] = field(default_factory=list)

    def applies_to(self, account_id: str) -> bool:
        return self.accounts is None or account_id in self.accounts


def evolve_maintenance(
    state: MaintenanceState | None, event: LedgerEvent, ref: EventRef | None = None
) -> MaintenanceState:
    """The window after `event`: scheduled, then perhaps cancelled."""
    if isinstance(event, ev.MaintenanceScheduled):
        return MaintenanceState(
            event.maintenance_id,
            event.kind,
            _instant(event.start),
            _instant(event.end),
            _accounts(event.accounts),
            _instant(event.declared_at),
            event.declared_by,
            False,
            [] if ref is None else [ref],
        )
    assert state is not None, f"{event.TOPIC} before maintenance.scheduled"
    state.cancelled = True
    if ref is not None:
        state.refs.append(ref)
    return state
