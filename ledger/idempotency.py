"""Recording a fact once: event ids, duplicates, conflicts and restatements.

Every fact has an event id: its own `event_id`, or one derived from its content. A fact whose id
is already stored with the same content is a duplicate (recorded once, reported as such); with
other content, a conflict. Two rules decide when the same content is nevertheless a new fact:
`restated_id` (a correction said again after another one) and `already_in_force` (a contract's
terms sent again with `PUT`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger import events as ev
from ledger import importing as f
from ledger.errors import FactRejected, LineError
from ledger.state import ContractState
from ledger.templates import expanded_terms
from ledger.timevalues import format_instant

__all__ = [
    "KnownEvent",
    "already_in_force",
    "canonical_content",
    "conflict",
    "content_hash",
    "event_id_for",
    "last_restatements",
    "restated_id",
]


@dataclass(frozen=True)
class KnownEvent:
    """An event already in the store, looked up by its event_id."""

    event_id: str
    content_hash: str
    position: int
    recorded_at: datetime
    type: str


def canonical_content(fact: f.AnyFact) -> dict[str, Any]:
    """The fact as plain JSON without its event_id; instants normalised to UTC."""
    content: dict[str, Any] = _canonical(fact.model_dump(exclude={"event_id"}, exclude_none=True))
    return content


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    return value


def content_hash(fact: f.AnyFact) -> str:
    """A SHA-256 of the fact's canonical content: equal for the same fact written twice."""
    text = json.dumps(canonical_content(fact), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def event_id_for(fact: f.AnyFact, digest: str) -> str:
    """The fact's own event_id, or one derived from its content."""
    return fact.event_id or f"auto:{digest[:32]}"


def conflict(line: int, event_id: str, earlier: KnownEvent | int) -> LineError:
    """`event_id` is taken by other content: a stored event, or the batch's line `earlier`."""
    where = f"position {earlier.position}" if isinstance(earlier, KnownEvent) else f"line {earlier}"
    return LineError(
        line, "event_id", f"{event_id!r} is already used by a different fact ({where})"
    )


# --- rule `restatement` --------------------------------------------------------------------------


def _restated_entity(fact: f.AnyFact) -> UUID | None:
    """The outage or contract a correction or amendment without an event_id restates."""
    if isinstance(fact, f.OutageCorrected) and fact.event_id is None:
        return ev.outage_id(fact.outage_id)
    if isinstance(fact, f.ContractAmended) and fact.event_id is None:
        return ev.contract_id(fact.account_id)
    return None


def last_restatements(
    batch: Sequence[tuple[int, f.AnyFact]], touched: Sequence[set[UUID]]
) -> set[int]:
    """The indexes of the corrections and amendments without an event_id that are the batch's
    last word on their outage or contract: no later fact of the batch touches it.
    `touched[i]` are the entities the i-th fact names."""
    restating = {
        index: entity
        for index, (_, fact) in enumerate(batch)
        if (entity := _restated_entity(fact)) is not None
    }
    if not restating:
        return set()
    last: dict[UUID, int] = {}
    for index, entities in enumerate(touched):
        for entity in entities:
            last[entity] = index
    return {index for index, entity in restating.items() if last[entity] == index}


def restated_id(
    fact: f.AnyFact, event_id: str, latest: ev.LedgerEvent | None, state: Any, version: int
) -> str | None:
    """Rule `restatement`: a correction or amendment without an event_id, identical to one
    already recorded, is a retry (a duplicate) unless it is the batch's last word on its outage
    or contract, the latest event of that outage or contract (`latest`) is another correction
    (amendment), and it disagrees with what that says (`state`, at `version`): 14:00, then
    12:30, then 14:00 again means 14:00. Then it is a new fact, its id suffixed with the version
    it makes. Anything else recorded since (the outage ended, say) makes it a retry of the old
    file; restate it with an event_id."""
    if isinstance(fact, f.OutageCorrected) and isinstance(latest, ev.OutageCorrected):
        if state.retracted or (state.started_at, state.ended_at) == (
            fact.started_at,
            fact.ended_at,
        ):
            return None
    elif isinstance(fact, f.ContractAmended) and isinstance(latest, ev.ContractAmended):
        if already_in_force(state, fact) is not False:
            return None
    else:
        return None
    return f"{event_id}:v{version + 1}"


# --- rule `set_terms` -----------------------------------------------------------------------------


def already_in_force(
    contract: ContractState, fact: f.ContractSigned | f.ContractAmended
) -> bool | None:
    """Whether the fact's terms are those in force at its date, from that very date (then a
    `PUT` of them is a retry). None if nothing is in force then, or the terms are invalid."""
    version = contract.version_at(fact.effective_from)
    if version is None:
        return None
    try:
        terms = expanded_terms(fact, version.terms)
    except FactRejected:
        return None
    effective = fact.effective_from.replace(microsecond=0)  # rule `effective_instants`
    return (version.effective_from, version.terms) == (effective, terms)
