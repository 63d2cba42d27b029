"""The write side's application service: validate facts, then append them atomically.

`SlaLedger.record` takes a batch (one fact, or a whole import file), checks every fact against the
store and against the facts before it in the batch, and either appends all of them in one
transaction or appends nothing and names every bad fact. Facts whose event_id is already stored
with the same content are reported as duplicates and not appended again.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from ledger import importing as f
from ledger.errors import ConflictingFacts, FactRejected, LineError, RejectedFacts, RuleViolation
from ledger.events import LedgerEvent, contract_id, outage_id
from ledger.handlers import handle
from ledger.idempotency import (
    KnownEvent,
    already_in_force,
    conflict,
    content_hash,
    event_id_for,
    last_restatements,
    restated_id,
)
from ledger.log_signing import HeadSigning
from ledger.outcomes import RecordedFact, RecordOutcome, outcomes
from ledger.signing import Signer
from ledger.store.ports import EventIndex, LedgerReader, WriteReceipt
from ledger.store.scopes import scopes_of
from ledger.verification import LogVerdict, Vouched
from ledger.warnings import FactWarning, fact_warnings, terms_before
from ledger.workspace import Workspace, referenced_entities

__all__ = ["RecordOutcome", "RecordedFact", "SlaLedger"]

_ATTEMPTS = 3


def default_actor() -> str:
    """Who records when no API key does: the operating system's user (`cli:<user>`)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid-{os.getuid()}"


@dataclass
class _Pending:
    line: int
    event: LedgerEvent
    index: EventIndex


class SlaLedger(Application[UUID]):
    """The ledger: the one place facts are appended."""

    name = "SlaLedger"

    def __init__(self, env: dict[str, str] | None = None, location: str = "") -> None:
        super().__init__(env)
        self.location = location
        self.signing = HeadSigning(self.reader)

    @property
    def reader(self) -> LedgerReader:
        """The store's queries (both recorders implement `LedgerReader`)."""
        return cast(LedgerReader, self.recorder)

    @property
    def datastore(self) -> SQLiteDatastore | PostgresDatastore:
        """The database the events are in; the read models and API keys live beside them."""
        found: SQLiteDatastore | PostgresDatastore = cast(Any, self.factory).datastore
        return found

    def record(
        self,
        batch: Sequence[tuple[int, f.AnyFact]],
        *,
        earlier_errors: Sequence[LineError] = (),
        on_progress: Callable[[int], None] | None = None,
        actor: str | None = None,
    ) -> RecordOutcome:
        """Validate a batch of (line number, fact) and append it atomically.

        Args:
            batch: the facts, each with the line number errors should name.
            actor: who records them (an API key, `key:<id>:<role>`); by default the operating
                system's user, `cli:<user>`. Kept with every event, inside its chain hash.
            earlier_errors: problems already found in lines that did not parse; the batch is
                still checked so that every bad line is reported, but nothing is appended.
            on_progress: called with the number of facts checked so far.

        Raises:
            RejectedFacts: some facts are invalid (every problem is listed); nothing appended.
            ConflictingFacts: an event_id is stored with other content; nothing appended.
        """
        for attempt in range(_ATTEMPTS):
            try:
                return self._record_once(
                    batch, list(earlier_errors), on_progress, actor or default_actor()
                )
            except IntegrityError:
                # Another writer appended to the same entity or event_id meanwhile: re-validate
                # against what it wrote. Its duplicates then show as duplicates, not conflicts.
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def record_fact(self, fact: f.AnyFact) -> RecordedFact:
        return self.record([(1, fact)]).facts[0]

    def record_terms(
        self, account_id: str, fields: dict[str, Any], *, actor: str | None = None
    ) -> RecordOutcome:
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
        contract = self.workspace([(1, signed)], []).contract(account_id)
        if contract is None:
            try:
                return self.record([(1, signed)], actor=actor)
            except RejectedFacts:
                contract = self.workspace([(1, signed)], []).contract(account_id)
                if contract is None:
                    raise  # else a concurrent first signing won: amend what it signed
        already = already_in_force(contract.state, signed) is True
        if already and self._is_stored(signed):
            return self.record([(1, signed)], actor=actor)  # a retry of the signing
        amended = f.parse_fact({"type": "contract.amended", "account_id": account_id, **fields})
        if not already and amended.event_id is None and self._is_stored(amended):
            restated = f"{event_id_for(amended, content_hash(amended))}:v{contract.version + 1}"
            amended = amended.model_copy(update={"event_id": restated})
        return self.record([(1, amended)], actor=actor)

    @property
    def signer(self) -> Signer | None:
        """The ledger's key (set by whoever opens the store): it signs the checkpoints."""
        return self.signing.signer

    @signer.setter
    def signer(self, signer: Signer | None) -> None:
        self.signing.signer = signer

    def write_checkpoint(self, position: int, recorded_at: datetime, chain_hash: str) -> None:
        self.signing.write_checkpoint(position, recorded_at, chain_hash)

    def verify(self, public_key: str, vouched: tuple[Vouched, ...] = ()) -> LogVerdict:
        return self.signing.verify(public_key, vouched)

    def has_contract(self, account_id: str) -> bool:
        """Whether a contract was ever signed for `account_id`."""
        return bool(self.reader.load_for_write([], [contract_id(account_id)])[1])

    def workspace(self, batch: Sequence[tuple[int, f.AnyFact]], event_ids: list[str]) -> Workspace:
        """Every entity the batch names, and which of `event_ids` are stored, in one read; then
        the contracts of tickets whose priority changes (found via the ticket)."""
        referenced = {entity for _, fact in batch for entity in referenced_entities(fact)}
        known, stored = self.reader.load_for_write(event_ids, sorted(referenced))
        workspace = Workspace(known)
        workspace.fold(self._events(stored))
        changed = {fact.ticket_id for _, fact in batch if isinstance(fact, f.TicketPriorityChanged)}
        accounts = {
            aggregate.state.account_id
            for aggregate in workspace.aggregates.values()
            if aggregate.ENTITY == "ticket" and aggregate.state.ticket_id in changed
        }
        missing = {contract_id(a) for a in accounts} - set(workspace.aggregates)
        if missing:
            workspace.fold(self._events(self.reader.load_for_write([], sorted(missing))[1]))
        return workspace

    def _events(self, stored: Sequence[Any]) -> list[LedgerEvent]:
        return [cast(LedgerEvent, self.mapper.to_domain_event(row)) for row in stored]

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
        actor: str,
    ) -> RecordOutcome:
        digests = [content_hash(fact) for _, fact in batch]
        event_ids = [
            event_id_for(fact, digest) for (_, fact), digest in zip(batch, digests, strict=True)
        ]
        workspace = self.workspace(batch, sorted(set(event_ids)))
        conflicts: list[LineError] = []
        duplicates: dict[int, KnownEvent | int] = {}  # a stored event, or the line recording it
        pending: list[_Pending] = []
        in_batch: dict[str, _Pending] = {}
        warnings: list[FactWarning] = []
        last_words = last_restatements(batch, [referenced_entities(fact) for _, fact in batch])
        for checked, ((line, fact), digest, derived_id) in enumerate(
            zip(batch, digests, event_ids, strict=True), start=1
        ):
            if on_progress is not None and checked % 1000 == 0:
                on_progress(checked)
            event_id = derived_id
            earlier: KnownEvent | _Pending | None = workspace.known.get(event_id) or in_batch.get(
                event_id
            )
            if earlier is not None and checked - 1 in last_words:
                restated = _restated(workspace, fact, event_id)
                if restated is not None:
                    earlier, event_id = None, restated
            if earlier is not None:
                stored_hash, where = _earlier(earlier)
                if stored_hash == digest:
                    duplicates[line] = where
                else:
                    conflicts.append(conflict(line, event_id, where))
                continue
            before = terms_before(workspace, fact)
            try:
                aggregate = handle(workspace, fact, event_id)
            except RuleViolation as violation:
                errors.append(LineError(line, violation.field, violation.reason, violation.unknown))
                continue
            except FactRejected as rejected:
                errors.extend(rejected.line_errors(line))
                continue
            event = workspace.recorded(aggregate)
            warnings += [
                FactWarning(line, name, message)
                for name, message in fact_warnings(aggregate.state, fact, before)
            ]
            scopes = scopes_of(event, aggregate.state)
            index = EventIndex(event_id, fact.valid_at, digest, scopes, actor)
            item = _Pending(line, event, index)
            pending.append(item)
            in_batch[event_id] = item
        if errors:
            raise RejectedFacts(sorted(errors + conflicts, key=lambda e: e.line))
        if conflicts:
            raise ConflictingFacts(conflicts)
        receipt = self._append(pending)
        recorded = [(item.line, item.index.event_id) for item in pending]
        appended = (receipt.positions, receipt.recorded_at)
        return RecordOutcome(outcomes(batch, event_ids, recorded, duplicates, appended), warnings)

    def _append(self, pending: list[_Pending]) -> WriteReceipt:
        """Append the batch's events in one transaction, then sign the new head."""
        receipt = WriteReceipt()
        if pending:
            # The event store directly: Application.save would re-collect the events one by one.
            self.events.put(
                [item.event for item in pending],
                ledger_index=[item.index for item in pending],
                receipt=receipt,
            )
            self.signing.after_append(receipt)
        return receipt


def _restated(workspace: Workspace, fact: f.AnyFact, event_id: str) -> str | None:
    """The new id of a correction or amendment said again (rule `restatement`), if it is one."""
    if isinstance(fact, f.OutageCorrected):
        entity = outage_id(fact.outage_id)
    elif isinstance(fact, f.ContractAmended):
        entity = contract_id(fact.account_id)
    else:
        return None
    aggregate = workspace.aggregates.get(entity)
    if aggregate is None:
        return None
    latest = workspace.last_events.get(entity)
    return restated_id(fact, event_id, latest, aggregate.state, aggregate.version)


def _earlier(earlier: KnownEvent | _Pending) -> tuple[str, KnownEvent | int]:
    if isinstance(earlier, KnownEvent):
        return earlier.content_hash, earlier
    return earlier.index.content_hash, earlier.line
