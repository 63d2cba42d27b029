"""The write side's application service: validate facts, then append them atomically.

`SlaLedger.record` takes a batch (one fact, or a whole import file), checks every fact against the
store and against the facts before it in the batch, and either appends all of them in one
transaction or appends nothing and names every bad fact. Facts whose event_id is already stored
with the same content are reported as duplicates and not appended again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from ledger import facts as f
from ledger.domain import Contract, Maintenance, Outage, Ticket, contract_id
from ledger.errors import (
    ConflictingFacts,
    InvalidQuery,
    LineError,
    RejectedFacts,
    RuleViolation,
    UnknownReference,
)
from ledger.facts import FactRejected, content_hash, event_id_for, expanded_terms
from ledger.records import (
    ALL_ACCOUNTS,
    EventIndex,
    KnownEvent,
    LedgerReader,
    ScopeRow,
    WriteReceipt,
)
from ledger.subscription import renewal_term, term_bounds
from ledger.timevalues import format_instant

__all__ = ["RecordOutcome", "RecordedFact", "SlaLedger"]

_ATTEMPTS = 3


@dataclass(frozen=True)
class RecordedFact:
    """What happened to one submitted fact."""

    line: int
    event_id: str
    type: str
    status: Literal["recorded", "duplicate"]
    position: int
    recorded_at: datetime


@dataclass(frozen=True)
class RecordOutcome:
    facts: list[RecordedFact]

    @property
    def recorded(self) -> int:
        return sum(1 for fact in self.facts if fact.status == "recorded")

    @property
    def duplicates(self) -> int:
        return sum(1 for fact in self.facts if fact.status == "duplicate")


@dataclass
class _Pending:
    line: int
    fact: f.AnyFact
    event: Any
    index: EventIndex


class _Workspace:
    """The aggregates a batch touches, loaded once, then changed in memory fact by fact."""

    def __init__(
        self, ledger: SlaLedger, batch: Sequence[tuple[int, f.AnyFact]], event_ids: list[str]
    ) -> None:
        self.ledger = ledger
        self.aggregates: dict[UUID, Any] = {}
        self.last_events: dict[UUID, Any] = {}  # each entity's latest event, stored or pending
        referenced = {entity for _, fact in batch for entity in _referenced(fact)}
        self.known = self._load(referenced, event_ids)
        # A priority change is checked against the ticket's contract, found via the ticket.
        changed = {
            Ticket.create_id(fact.ticket_id)
            for _, fact in batch
            if isinstance(fact, f.TicketPriorityChanged)
        }
        ticket_accounts = {
            contract_id(ticket.account_id)
            for entity, ticket in self.aggregates.items()
            if entity in changed and isinstance(ticket, Ticket)
        }
        self._load(ticket_accounts - set(self.aggregates), [])

    def _load(self, ids: set[UUID], event_ids: list[str]) -> dict[str, KnownEvent]:
        if not ids and not event_ids:
            return {}
        known, stored_events = self.ledger.reader.load_for_write(event_ids, sorted(ids))
        mapper = self.ledger.mapper
        for stored in stored_events:
            event: Any = mapper.to_domain_event(stored)
            entity = cast(UUID, stored.originator_id)
            self.aggregates[entity] = event.mutate(self.aggregates.get(entity))
            self.last_events[entity] = event
        return known

    def get(self, kind: type[Any], entity: UUID) -> Any:
        aggregate = self.aggregates.get(entity)
        return aggregate if isinstance(aggregate, kind) else None

    def contract(self, account_id: str) -> Contract | None:
        return cast(Contract | None, self.get(Contract, contract_id(account_id)))

    def require_contract(self, account_id: str, field: str = "account_id") -> Contract:
        contract = self.contract(account_id)
        if contract is None:
            raise UnknownReference(
                field, f"unknown account {account_id!r}: no contract.signed for it yet"
            )
        return contract

    def require(self, kind: type[Any], entity: UUID, name: str, field: str) -> Any:
        aggregate = self.get(kind, entity)
        if aggregate is None:
            noun = kind.__name__.lower()
            raise UnknownReference(field, f"unknown {noun} {name!r}: no {noun} with this id yet")
        return aggregate

    def add(self, aggregate: Aggregate) -> None:
        self.aggregates[aggregate.id] = aggregate


def _referenced(fact: f.AnyFact) -> set[UUID]:
    ids: set[UUID] = set()
    if isinstance(fact, f.OutageStarted | f.OutageEnded | f.OutageCorrected | f.OutageRetracted):
        ids.add(Outage.create_id(fact.outage_id))
    if isinstance(fact, f.MaintenanceScheduled | f.MaintenanceCancelled):
        ids.add(Maintenance.create_id(fact.maintenance_id))
    if isinstance(fact, f.TicketFact):
        ids.add(Ticket.create_id(fact.ticket_id))
    fields = vars(fact)  # plain dict access: pydantic's attribute fallback is slow
    account = fields.get("account_id")
    if account is not None:
        ids.add(contract_id(account))
    for named in fields.get("accounts") or ():
        ids.add(contract_id(named))
    return ids


Handler = Callable[[_Workspace, Any, str], tuple[Aggregate, tuple[ScopeRow, ...]]]


class SlaLedger(Application[UUID]):
    """The ledger: the one place facts are appended."""

    name = "SlaLedger"

    def __init__(self, env: dict[str, str] | None = None, location: str = "") -> None:
        super().__init__(env)
        self.location = location

    @property
    def reader(self) -> LedgerReader:
        """The store's queries (both recorders implement `LedgerReader`)."""
        return cast(LedgerReader, self.recorder)

    def record(
        self,
        batch: Sequence[tuple[int, f.AnyFact]],
        *,
        earlier_errors: Sequence[LineError] = (),
        on_progress: Callable[[int], None] | None = None,
    ) -> RecordOutcome:
        """Validate a batch of (line number, fact) and append it atomically.

        Args:
            batch: the facts, each with the line number errors should name.
            earlier_errors: problems already found in lines that did not parse; the batch is
                still checked so that every bad line is reported, but nothing is appended.
            on_progress: called with the number of facts checked so far.

        Raises:
            RejectedFacts: some facts are invalid (every problem is listed); nothing appended.
            ConflictingFacts: an event_id is stored with other content; nothing appended.
        """
        for attempt in range(_ATTEMPTS):
            try:
                return self._record_once(batch, list(earlier_errors), on_progress)
            except IntegrityError:
                # Another writer appended to the same entity or event_id meanwhile: re-validate
                # against what it wrote. Its duplicates then show as duplicates, not conflicts.
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def record_fact(self, fact: f.AnyFact) -> RecordedFact:
        return self.record([(1, fact)]).facts[0]

    def record_terms(self, account_id: str, fields: dict[str, Any]) -> RecordOutcome:
        """Rule `set_terms`: the account's terms from `effective_from` (`PUT .../contract`).

        Signs the contract if the account has none, else amends it. The same signing sent again
        while its terms are still those in force at its date is a retry (a duplicate); so is an
        amendment whose terms are in force at its date. Terms that are not in force at their
        date are always recorded: after another amendment replaced them they are restored.

        Raises:
            FactRejected: the fields do not make a valid contract fact.
            RejectedFacts, ConflictingFacts: as `record`.
        """
        signed = f.parse_fact({"type": "contract.signed", "account_id": account_id, **fields})
        assert isinstance(signed, f.ContractSigned)
        contract = _Workspace(self, [(1, signed)], []).contract(account_id)
        if contract is None:
            try:
                return self.record([(1, signed)])
            except RejectedFacts:
                contract = _Workspace(self, [(1, signed)], []).contract(account_id)
                if contract is None:
                    raise  # else a concurrent first signing won: amend what it signed
        in_force = contract.terms_at(signed.effective_from)
        already = in_force is not None and (in_force.effective_from, in_force.terms) == (
            signed.effective_from,
            expanded_terms(signed),
        )
        if already and self._is_stored(signed):
            return self.record([(1, signed)])  # a retry of the signing
        amended = f.parse_fact({"type": "contract.amended", "account_id": account_id, **fields})
        if not already and amended.event_id is None and self._is_stored(amended):
            restated = f"{event_id_for(amended, content_hash(amended))}:v{contract.version + 1}"
            amended = amended.model_copy(update={"event_id": restated})
        return self.record([(1, amended)])

    def _is_stored(self, fact: f.AnyFact) -> bool:
        """Whether this very fact (its event_id, same content) is in the store."""
        digest = content_hash(fact)
        event_id = event_id_for(fact, digest)
        stored = self.reader.load_for_write([event_id], [])[0].get(event_id)
        return stored is not None and stored.content_hash == digest

    def _record_once(
        self,
        batch: Sequence[tuple[int, f.AnyFact]],
        errors: list[LineError],
        on_progress: Callable[[int], None] | None,
    ) -> RecordOutcome:
        digests = [content_hash(fact) for _, fact in batch]
        event_ids = [
            event_id_for(fact, digest) for (_, fact), digest in zip(batch, digests, strict=True)
        ]
        workspace = _Workspace(self, batch, sorted(set(event_ids)))
        known = workspace.known
        conflicts: list[LineError] = []
        duplicates: dict[int, KnownEvent | _Pending] = {}
        pending: list[_Pending] = []
        in_batch: dict[str, _Pending] = {}
        last_words = _last_restatements(batch)
        for checked, ((line, fact), digest, derived_id) in enumerate(
            zip(batch, digests, event_ids, strict=True), start=1
        ):
            if on_progress is not None and checked % 1000 == 0:
                on_progress(checked)
            event_id = derived_id
            earlier = known.get(event_id) or in_batch.get(event_id)
            if earlier is not None and checked - 1 in last_words:
                restated = _restated_id(workspace, fact, event_id)
                if restated is not None:
                    earlier, event_id = None, restated
            if earlier is not None:
                if _digest_of(earlier) == digest:
                    duplicates[line] = earlier
                else:
                    conflicts.append(_conflict(line, event_id, earlier))
                continue
            try:
                aggregate, scopes = _HANDLERS[fact.type](workspace, fact, event_id)
            except RuleViolation as violation:
                errors.append(LineError(line, violation.field, violation.reason, violation.unknown))
                continue
            except FactRejected as rejected:
                errors.extend(LineError(line, field, reason) for field, reason in rejected.problems)
                continue
            (event,) = aggregate.collect_events()
            workspace.last_events[aggregate.id] = event
            item = _Pending(line, fact, event, EventIndex(event_id, fact.valid_at, digest, scopes))
            pending.append(item)
            in_batch[event_id] = item
        if errors:
            raise RejectedFacts(sorted(errors + conflicts, key=lambda e: e.line))
        if conflicts:
            raise ConflictingFacts(conflicts)
        receipt = WriteReceipt()
        if pending:
            # The event store directly: Application.save would re-collect the events one by one.
            self.events.put(
                [item.event for item in pending],
                ledger_index=[item.index for item in pending],
                receipt=receipt,
            )
        return RecordOutcome(_outcomes(batch, event_ids, pending, duplicates, receipt))


_RESTATABLE = (f.OutageCorrected, f.ContractAmended)


def _restated_entity(fact: f.AnyFact) -> UUID | None:
    """The outage or contract a correction or amendment without an event_id restates."""
    if isinstance(fact, f.OutageCorrected) and fact.event_id is None:
        return Outage.create_id(fact.outage_id)
    if isinstance(fact, f.ContractAmended) and fact.event_id is None:
        return contract_id(fact.account_id)
    return None


def _last_restatements(batch: Sequence[tuple[int, f.AnyFact]]) -> set[int]:
    """The indexes of the corrections and amendments without an event_id that are the batch's
    last word on their outage or contract: no later fact of the batch touches it."""
    restating = {
        index: entity
        for index, (_, fact) in enumerate(batch)
        if (entity := _restated_entity(fact)) is not None
    }
    if not restating:
        return set()
    last: dict[UUID, int] = {}
    for index, (_, fact) in enumerate(batch):
        for entity in _referenced(fact):
            last[entity] = index
    return {index for index, entity in restating.items() if last[entity] == index}


def _restated_id(ws: _Workspace, fact: f.AnyFact, event_id: str) -> str | None:
    """Rule `restatement`: a correction or amendment without an event_id, identical to one
    already recorded, is a retry (a duplicate) unless it is the batch's last word on its outage
    or contract, the latest event of that outage or contract is another correction (amendment),
    and it disagrees with what that says: 14:00, then 12:30, then 14:00 again means 14:00. Then
    it is a new fact, its id suffixed with the version it makes. Anything else recorded since
    (the outage ended, say) makes it a retry of the old file; restate it with an event_id."""
    changed: Outage | Contract | None = None
    if isinstance(fact, f.OutageCorrected):
        entity = Outage.create_id(fact.outage_id)
        if isinstance(ws.last_events.get(entity), Outage.Corrected):
            changed = _correction_changes(ws.get(Outage, entity), fact)
    elif isinstance(fact, f.ContractAmended):
        entity = contract_id(fact.account_id)
        if isinstance(ws.last_events.get(entity), Contract.Amended):
            changed = _amendment_changes(ws.contract(fact.account_id), fact)
    return f"{event_id}:v{changed.version + 1}" if changed is not None else None


def _correction_changes(outage: Outage | None, fact: f.OutageCorrected) -> Outage | None:
    if outage is None or outage.retracted:
        return None
    if (outage.started_at, outage.ended_at) == (fact.started_at, fact.ended_at):
        return None
    return outage


def _amendment_changes(contract: Contract | None, fact: f.ContractAmended) -> Contract | None:
    version = contract.terms_at(fact.effective_from) if contract is not None else None
    if version is None:
        return None
    try:
        terms = expanded_terms(fact)
    except FactRejected:
        return None
    if (version.effective_from, version.terms) == (fact.effective_from, terms):
        return None
    return contract


def _digest_of(earlier: KnownEvent | _Pending) -> str:
    return earlier.content_hash if isinstance(earlier, KnownEvent) else earlier.index.content_hash


def _conflict(line: int, event_id: str, earlier: KnownEvent | _Pending) -> LineError:
    where = (
        f"position {earlier.position}"
        if isinstance(earlier, KnownEvent)
        else f"line {earlier.line}"
    )
    return LineError(
        line, "event_id", f"{event_id!r} is already used by a different fact ({where})"
    )


def _outcomes(
    batch: Sequence[tuple[int, f.AnyFact]],
    event_ids: list[str],
    pending: list[_Pending],
    duplicates: dict[int, KnownEvent | _Pending],
    receipt: WriteReceipt,
) -> list[RecordedFact]:
    recorded_at = receipt.recorded_at
    positions = {
        item.line: position for item, position in zip(pending, receipt.positions, strict=True)
    }
    recorded_ids = {item.line: item.index.event_id for item in pending}
    outcomes = []
    for (line, fact), event_id in zip(batch, event_ids, strict=True):
        if line in positions:
            assert recorded_at is not None
            outcomes.append(
                RecordedFact(
                    line, recorded_ids[line], fact.type, "recorded", positions[line], recorded_at
                )
            )
            continue
        earlier = duplicates[line]
        if isinstance(earlier, KnownEvent):
            outcomes.append(
                RecordedFact(
                    line, event_id, fact.type, "duplicate", earlier.position, earlier.recorded_at
                )
            )
        else:
            assert recorded_at is not None
            outcomes.append(
                RecordedFact(
                    line, event_id, fact.type, "duplicate", positions[earlier.line], recorded_at
                )
            )
    return outcomes


# --- one handler per fact type: cross-aggregate rules, then the aggregate's own ---------------


def _contract_scope(account_id: str, at: datetime) -> tuple[ScopeRow, ...]:
    return (ScopeRow(account_id, "contract", at, None),)


def _sign(
    ws: _Workspace, fact: f.ContractSigned, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    existing = ws.contract(fact.account_id)
    if existing is not None:
        raise RuleViolation(
            "account_id",
            f"account {fact.account_id!r} already has a contract (from "
            f"{format_instant(existing.starts_at)}); send contract.amended to change its terms",
        )
    contract = Contract.sign(fact.account_id, fact.effective_from, expanded_terms(fact), event_id)
    ws.add(contract)
    return contract, _contract_scope(fact.account_id, fact.effective_from)


def _amend(
    ws: _Workspace, fact: f.ContractAmended, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    contract = ws.require_contract(fact.account_id)
    contract.amend(fact.effective_from, expanded_terms(fact), event_id)
    return contract, _contract_scope(fact.account_id, fact.effective_from)


def _terminate(
    ws: _Workspace, fact: f.ContractTerminated, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    contract = ws.require_contract(fact.account_id)
    contract.terminate(fact.at, event_id)
    return contract, _contract_scope(fact.account_id, fact.at)


def _renew(
    ws: _Workspace, fact: f.RenewalCompleted, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    contract = ws.require_contract(fact.account_id)
    if fact.at < contract.starts_at:
        raise RuleViolation("at", "a renewal cannot come before the contract starts")
    try:
        term = fact.term or renewal_term(contract.versions, fact.at)
    except InvalidQuery as error:
        raise RuleViolation("at", str(error)) from None
    term_start, _ = term_bounds(contract.versions, term)
    if term_start > fact.at:
        raise RuleViolation(
            "term", f"term {term} starts at {format_instant(term_start)}, after this renewal"
        )
    credits = (contract.terms_at(term_start) or contract.versions[0]).terms.credits
    if credits is not None and credits.monthly_fee.currency != fact.credit_applied.currency:
        raise RuleViolation(
            "credit_applied.currency",
            f"term {term}'s fee is in {credits.monthly_fee.currency}, "
            f"not {fact.credit_applied.currency}",
        )
    applied = {"amount": str(fact.credit_applied.amount), "currency": fact.credit_applied.currency}
    contract.complete_renewal(fact.at, term, applied, event_id)
    return contract, (ScopeRow(fact.account_id, "renewal", fact.at, None),)


def _check_accounts(ws: _Workspace, accounts: tuple[str, ...] | None) -> None:
    for account in accounts or ():
        ws.require_contract(account, field="accounts")


def _interval_scopes(
    kind: str, accounts: tuple[str, ...] | None, start: datetime | None, end: datetime | None
) -> tuple[ScopeRow, ...]:
    keys = accounts if accounts is not None else (ALL_ACCOUNTS,)
    return tuple(ScopeRow(key, kind, start, end) for key in keys)


def _outage_scopes(outage: Outage) -> tuple[ScopeRow, ...]:
    # A retracted outage keeps its last known interval in the index, so reports of the months it
    # touched can still say that it was retracted.
    end = outage.ended_at or (outage.started_at if outage.retracted else None)
    return _interval_scopes("outage", outage.accounts, outage.started_at, end)


def _start_outage(
    ws: _Workspace, fact: f.OutageStarted, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    existing = ws.get(Outage, Outage.create_id(fact.outage_id))
    if existing is not None:
        raise RuleViolation(
            "outage_id",
            f"outage {fact.outage_id!r} already started at {format_instant(existing.started_at)}; "
            "send outage.corrected to change its times",
        )
    accounts = fact.scoped_accounts()
    _check_accounts(ws, accounts)
    outage = Outage(
        outage_id=fact.outage_id,
        at=fact.at.isoformat(),
        accounts=None if accounts is None else list(accounts),
        source=fact.source,
        event_id=event_id,
    )
    ws.add(outage)
    return outage, _outage_scopes(outage)


def _outage(ws: _Workspace, name: str) -> Outage:
    return cast(Outage, ws.require(Outage, Outage.create_id(name), name, "outage_id"))


def _end_outage(
    ws: _Workspace, fact: f.OutageEnded, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    outage = _outage(ws, fact.outage_id)
    outage.end(fact.at, event_id)
    return outage, _outage_scopes(outage)


def _correct_outage(
    ws: _Workspace, fact: f.OutageCorrected, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    outage = _outage(ws, fact.outage_id)
    outage.correct(fact.started_at, fact.ended_at, fact.reason, event_id)
    return outage, _outage_scopes(outage)


def _retract_outage(
    ws: _Workspace, fact: f.OutageRetracted, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    outage = _outage(ws, fact.outage_id)
    outage.retract(fact.reason, fact.at, event_id)
    return outage, _outage_scopes(outage)


def _schedule_maintenance(
    ws: _Workspace, fact: f.MaintenanceScheduled, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    if ws.get(Maintenance, Maintenance.create_id(fact.maintenance_id)) is not None:
        raise RuleViolation(
            "maintenance_id",
            f"maintenance {fact.maintenance_id!r} is already scheduled; cancel it and schedule "
            "a new window to move it",
        )
    accounts = fact.scoped_accounts()
    _check_accounts(ws, accounts)
    window = Maintenance(
        maintenance_id=fact.maintenance_id,
        kind=fact.kind,
        start=fact.start.isoformat(),
        end=fact.end.isoformat(),
        accounts=None if accounts is None else list(accounts),
        declared_at=fact.declared_at.isoformat(),
        declared_by=fact.declared_by,
        event_id=event_id,
    )
    ws.add(window)
    return window, _interval_scopes("maintenance", accounts, fact.start, fact.end)


def _cancel_maintenance(
    ws: _Workspace, fact: f.MaintenanceCancelled, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    name = fact.maintenance_id
    window = cast(
        Maintenance, ws.require(Maintenance, Maintenance.create_id(name), name, "maintenance_id")
    )
    window.cancel(fact.at, fact.reason, event_id)
    return window, _interval_scopes("maintenance", window.accounts, window.start, window.end)


def _support_terms_for(ws: _Workspace, account_id: str, at: datetime) -> Any:
    contract = ws.require_contract(account_id)
    version = contract.terms_at(at)
    if version is None or not contract.is_subscribed_at(at):
        raise RuleViolation(
            "at",
            f"account {account_id!r} is not subscribed at {format_instant(at)} (its contract runs "
            f"from {format_instant(contract.starts_at)}"
            + (f" to {format_instant(contract.terminated_at)})" if contract.terminated_at else ")"),
        )
    if version.terms.support is None:
        raise RuleViolation(
            "account_id",
            f"the terms of {account_id!r} in force at {format_instant(at)} have no support section",
        )
    return version


def _check_priority(version: Any, account_id: str, priority: str) -> None:
    if not version.terms.defines_priority(priority):
        known = ", ".join(version.terms.support.priorities)
        raise RuleViolation(
            "priority",
            f"{priority!r} is not a priority of {account_id!r}'s terms "
            f"(in force from {format_instant(version.effective_from)}): {known}",
        )


def _ticket_scope(ticket: Ticket) -> tuple[ScopeRow, ...]:
    # A point at the opening: tickets are grouped by the month they opened in.
    return (ScopeRow(ticket.account_id, "ticket", ticket.opened_at, ticket.opened_at),)


def _open_ticket(
    ws: _Workspace, fact: f.TicketOpened, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    existing = ws.get(Ticket, Ticket.create_id(fact.ticket_id))
    if existing is not None:
        raise RuleViolation(
            "ticket_id",
            f"ticket {fact.ticket_id!r} was already opened at {format_instant(existing.opened_at)}",
        )
    version = _support_terms_for(ws, fact.account_id, fact.at)
    _check_priority(version, fact.account_id, fact.priority)
    ticket = Ticket(
        ticket_id=fact.ticket_id,
        account_id=fact.account_id,
        priority=fact.priority,
        at=fact.at.isoformat(),
        event_id=event_id,
    )
    ws.add(ticket)
    return ticket, _ticket_scope(ticket)


def _ticket(ws: _Workspace, name: str) -> Ticket:
    return cast(Ticket, ws.require(Ticket, Ticket.create_id(name), name, "ticket_id"))


def _change_priority(
    ws: _Workspace, fact: f.TicketPriorityChanged, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    ticket = _ticket(ws, fact.ticket_id)
    version = _support_terms_for(ws, ticket.account_id, ticket.opened_at)
    _check_priority(version, ticket.account_id, fact.priority)
    ticket.record_step(fact.type, fact.at, event_id, priority=fact.priority)
    return ticket, _ticket_scope(ticket)


def _ticket_step(
    ws: _Workspace, fact: f.TicketFact, event_id: str
) -> tuple[Aggregate, tuple[ScopeRow, ...]]:
    ticket = _ticket(ws, fact.ticket_id)
    fields = {"reason": fact.reason} if isinstance(fact, f.TicketPaused) else {}
    ticket.record_step(getattr(fact, "type"), fact.at, event_id, **fields)  # noqa: B009
    return ticket, _ticket_scope(ticket)


_HANDLERS: dict[str, Handler] = {
    "contract.signed": _sign,
    "contract.amended": _amend,
    "contract.terminated": _terminate,
    "renewal.completed": _renew,
    "outage.started": _start_outage,
    "outage.ended": _end_outage,
    "outage.corrected": _correct_outage,
    "outage.retracted": _retract_outage,
    "maintenance.scheduled": _schedule_maintenance,
    "maintenance.cancelled": _cancel_maintenance,
    "ticket.opened": _open_ticket,
    "ticket.priority_changed": _change_priority,
    "ticket.paused": _ticket_step,
    "ticket.resumed": _ticket_step,
    "ticket.responded": _ticket_step,
    "ticket.resolved": _ticket_step,
    "ticket.reopened": _ticket_step,
}
