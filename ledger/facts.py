"""The import format: one JSON fact per line, validated with pydantic.

This module is the public contract of `sla-ledger import`, `POST /events` and every write endpoint:
each fact names what happened (`type`), to what (`outage_id`, `ticket_id`, `account_id`, ...) and
when (`at`, `start`, `effective_from`, ...; always with a UTC offset). Unknown fields and types are
refused. Any fact may carry an `event_id`; a fact without one gets an id derived from its content,
so submitting the same fact twice never records it twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from ledger.errors import LineError
from ledger.terms import ContractTerms, MaintenanceKind, Money
from ledger.timevalues import format_instant, parse_instant, require_ledger_year

__all__ = [
    "FACT_TYPES",
    "Fact",
    "content_hash",
    "fact_adapter",
    "parse_fact",
    "parse_lines",
]


def _instant(value: object) -> object:
    if isinstance(value, datetime):
        require_ledger_year(value)
        return value
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 date-time string with a UTC offset")
    return parse_instant(value)


Instant = Annotated[datetime, BeforeValidator(_instant)]
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s\x00-\x1f\x7f]+$")]
Priority = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]
Note = Annotated[str, Field(min_length=1, max_length=2000)]


class FactModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier | None = None

    @property
    def valid_at(self) -> datetime | None:
        """When the fact happened (its valid time), if the fact itself says."""
        return None


class ContractSigned(FactModel):
    """A contract was signed for an account, effective from a date, under these terms."""

    type: Literal["contract.signed"]
    account_id: Identifier
    effective_from: Instant
    terms: dict[str, Any]

    @property
    def valid_at(self) -> datetime:
        return self.effective_from


class ContractAmended(FactModel):
    """The account's terms were replaced from `effective_from` (which may be in the past)."""

    type: Literal["contract.amended"]
    account_id: Identifier
    effective_from: Instant
    terms: dict[str, Any]

    @property
    def valid_at(self) -> datetime:
        return self.effective_from


class ContractTerminated(FactModel):
    """The subscription ended at `at`; nothing after it is measured."""

    type: Literal["contract.terminated"]
    account_id: Identifier
    at: Instant

    @property
    def valid_at(self) -> datetime:
        return self.at


class ScopedFact(FactModel):
    """Outages and maintenance apply to all accounts (`"scope": "all"`) or to `accounts`."""

    scope: Literal["all"] | None = None
    accounts: list[Identifier] | None = None

    @model_validator(mode="after")
    def _one_scope(self) -> ScopedFact:
        if (self.scope is None) == (self.accounts is None):
            raise ValueError('give either "scope": "all" or a non-empty "accounts" list')
        if self.accounts is not None and not self.accounts:
            raise ValueError('"accounts" must name at least one account')
        if self.accounts is not None and len(set(self.accounts)) != len(self.accounts):
            raise ValueError('"accounts" names an account twice')
        return self

    def scoped_accounts(self) -> tuple[str, ...] | None:
        """The named accounts, or None for every account."""
        return None if self.accounts is None else tuple(self.accounts)


class OutageStarted(ScopedFact):
    """Users could not log in and start calls from `at` on."""

    type: Literal["outage.started"]
    outage_id: Identifier
    at: Instant
    source: Note | None = None

    @property
    def valid_at(self) -> datetime:
        return self.at


class OutageEnded(FactModel):
    type: Literal["outage.ended"]
    outage_id: Identifier
    at: Instant

    @property
    def valid_at(self) -> datetime:
        return self.at


class OutageCorrected(FactModel):
    """The outage really ran from `started_at` to `ended_at` (null: it has not ended)."""

    type: Literal["outage.corrected"]
    outage_id: Identifier
    started_at: Instant
    ended_at: Instant | None = None
    reason: Note | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> OutageCorrected:
        if self.ended_at is not None and self.ended_at <= self.started_at:
            raise ValueError("ended_at must be after started_at")
        return self

    @property
    def valid_at(self) -> datetime:
        return self.started_at


class OutageRetracted(FactModel):
    """The outage never happened (e.g. a monitor's false positive); it counts nothing."""

    type: Literal["outage.retracted"]
    outage_id: Identifier
    reason: Note
    at: Instant | None = None

    @property
    def valid_at(self) -> datetime | None:
        return self.at


class MaintenanceScheduled(ScopedFact):
    """A maintenance window, who declared it and when (an emergency declared late is disputed)."""

    type: Literal["maintenance.scheduled"]
    maintenance_id: Identifier
    kind: MaintenanceKind
    start: Instant
    end: Instant
    declared_at: Instant
    declared_by: Note | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> MaintenanceScheduled:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    @property
    def valid_at(self) -> datetime:
        return self.start


class MaintenanceCancelled(FactModel):
    type: Literal["maintenance.cancelled"]
    maintenance_id: Identifier
    at: Instant | None = None
    reason: Note | None = None

    @property
    def valid_at(self) -> datetime | None:
        return self.at


class TicketFact(FactModel):
    ticket_id: Identifier
    at: Instant

    @property
    def valid_at(self) -> datetime:
        return self.at


class TicketOpened(TicketFact):
    type: Literal["ticket.opened"]
    account_id: Identifier
    priority: Priority


class TicketPriorityChanged(TicketFact):
    type: Literal["ticket.priority_changed"]
    priority: Priority


class TicketPaused(TicketFact):
    """The clock stops: the vendor is waiting on the customer."""

    type: Literal["ticket.paused"]
    reason: Note | None = None


class TicketResumed(TicketFact):
    type: Literal["ticket.resumed"]


class TicketResponded(TicketFact):
    type: Literal["ticket.responded"]


class TicketResolved(TicketFact):
    type: Literal["ticket.resolved"]


class TicketReopened(TicketFact):
    type: Literal["ticket.reopened"]


class RenewalCompleted(FactModel):
    """A subscription term closed; finance applied `credit_applied` on the renewal invoice."""

    type: Literal["renewal.completed"]
    account_id: Identifier
    at: Instant
    credit_applied: Money
    term: Annotated[int, Field(ge=1, le=1000)] | None = None

    @property
    def valid_at(self) -> datetime:
        return self.at


Fact = Annotated[
    ContractSigned
    | ContractAmended
    | ContractTerminated
    | OutageStarted
    | OutageEnded
    | OutageCorrected
    | OutageRetracted
    | MaintenanceScheduled
    | MaintenanceCancelled
    | TicketOpened
    | TicketPriorityChanged
    | TicketPaused
    | TicketResumed
    | TicketResponded
    | TicketResolved
    | TicketReopened
    | RenewalCompleted,
    Field(discriminator="type"),
]
AnyFact = (
    ContractSigned
    | ContractAmended
    | ContractTerminated
    | OutageStarted
    | OutageEnded
    | OutageCorrected
    | OutageRetracted
    | MaintenanceScheduled
    | MaintenanceCancelled
    | TicketOpened
    | TicketPriorityChanged
    | TicketPaused
    | TicketResumed
    | TicketResponded
    | TicketResolved
    | TicketReopened
    | RenewalCompleted
)
fact_adapter: TypeAdapter[AnyFact] = TypeAdapter(Fact)
FACT_TYPES: tuple[str, ...] = (
    "contract.signed",
    "contract.amended",
    "contract.terminated",
    "outage.started",
    "outage.ended",
    "outage.corrected",
    "outage.retracted",
    "maintenance.scheduled",
    "maintenance.cancelled",
    "ticket.opened",
    "ticket.priority_changed",
    "ticket.paused",
    "ticket.resumed",
    "ticket.responded",
    "ticket.resolved",
    "ticket.reopened",
    "renewal.completed",
)


class FactRejected(ValueError):
    """One fact is malformed; `problems` are (field, reason) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems))
        self.problems = problems


def parse_fact(raw: str | bytes | dict[str, Any]) -> AnyFact:
    """Validate one fact given as a JSON line or an already-decoded object.

    Raises:
        FactRejected: with every problem found (field and reason).
    """
    try:
        if isinstance(raw, dict):
            return fact_adapter.validate_python(raw)
        return fact_adapter.validate_json(raw)
    except ValidationError as error:
        raise FactRejected(_describe(error, raw)) from None


def parse_lines(lines: Iterable[str]) -> tuple[list[tuple[int, AnyFact]], list[LineError]]:
    """Validate every line of an NDJSON document; blank lines are skipped.

    Returns:
        The valid facts with their 1-based line numbers, and every problem found.
    """
    facts: list[tuple[int, AnyFact]] = []
    errors: list[LineError] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            facts.append((number, parse_fact(line)))
        except FactRejected as rejected:
            errors.extend(LineError(number, field, reason) for field, reason in rejected.problems)
    return facts, errors


def _describe(error: ValidationError, raw: str | bytes | dict[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for item in error.errors(include_url=False):
        kind = item["type"]
        location = [str(part) for part in item["loc"]]
        if kind == "json_invalid":
            problems.append(
                ("(line)", f"not valid JSON: {item['msg'].removeprefix('Invalid JSON: ')}")
            )
            continue
        if kind in ("model_attributes_type", "model_type", "dict_type") and not item["loc"]:
            problems.append(("(line)", "each line must be one JSON object"))
            continue
        if kind == "union_tag_not_found":
            problems.append(("type", f"missing; one of: {', '.join(FACT_TYPES)}"))
            continue
        if kind == "union_tag_invalid":
            given = item.get("ctx", {}).get("tag", "")
            problems.append(("type", f"unknown type {given!r}; one of: {', '.join(FACT_TYPES)}"))
            continue
        if location and location[0] in FACT_TYPES:
            location = location[1:]  # drop the discriminator tag pydantic puts first
        field = ".".join(location) or "(fact)"
        reason = item["msg"].removeprefix("Value error, ")
        if kind == "extra_forbidden":
            reason = "unknown field"
        problems.append((field, reason))
    return problems or [("(line)", str(error))]


def expanded_terms(fact: ContractSigned | ContractAmended) -> ContractTerms:
    """The complete terms of a contract fact (template applied, holidays generated).

    Raises:
        FactRejected: the terms are invalid; fields are named from the line's root (`terms...`).
    """
    from ledger.templates import expand_terms

    try:
        return expand_terms(fact.terms, fact.effective_from)
    except ValidationError as error:
        raise FactRejected(
            [
                (
                    ".".join(["terms", *(str(part) for part in item["loc"])]),
                    item["msg"].removeprefix("Value error, "),
                )
                for item in error.errors(include_url=False)
            ]
        ) from None
    except ValueError as error:
        raise FactRejected([("terms", str(error))]) from None


def canonical_content(fact: AnyFact) -> dict[str, Any]:
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


def content_hash(fact: AnyFact) -> str:
    """A SHA-256 of the fact's canonical content: equal for the same fact written twice."""
    text = json.dumps(canonical_content(fact), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def event_id_for(fact: AnyFact, digest: str) -> str:
    """The fact's own event_id, or one derived from its content."""
    return fact.event_id or f"auto:{digest[:32]}"
