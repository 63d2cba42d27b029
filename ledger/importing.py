"""The import format (the command side): one JSON fact per line, validated with pydantic.

The facts are what users send; `ledger.events` is what the ledger stores. They differ on
purpose: a fact may name a template, `"scope": "all"`, or no event_id (one is derived from its
content); the stored event has the expanded terms, `accounts` or null, and always an event_id.

This module is the public contract of `sla-ledger import`, `POST /events` and every write endpoint:
each fact names what happened (`type`), to what (`outage_id`, `ticket_id`, `account_id`, ...) and
when (`at`, `start`, `effective_from`, ...; always with a UTC offset). Unknown fields and types are
refused. Any fact may carry an `event_id`; a fact without one gets an id derived from its content,
so submitting the same fact twice never records it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from ledger.errors import FactRejected, LineError
from ledger.jsontext import MAX_LINE_BYTES, DuplicateKey, decode_json
from ledger.terms import MaintenanceKind, Money, WholeNumber
from ledger.timevalues import parse_instant, require_ledger_year, require_offset_in_range

__all__ = [
    "FACT_TYPES",
    "ID_MAX_LENGTH",
    "ID_PATTERN",
    "AnyFact",
    "Fact",
    "fact_adapter",
    "parse_fact",
    "parse_lines",
]


def _instant(value: object) -> object:
    if isinstance(value, datetime):
        require_ledger_year(value)
        return require_offset_in_range(value)
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 date-time string with a UTC offset")
    return parse_instant(value)


Instant = Annotated[datetime, BeforeValidator(_instant)]
# Rule `identifiers`: accounts, outages, maintenance windows, tickets and event ids are 1-128
# characters: a letter or digit, then letters, digits and `_ . : @ + -`. So `*` (the scope index's
# key for "every account") and other sentinels cannot be written; `auto:` starts only the ids the
# ledger derives itself (`ledger.idempotency`), so a client's event_id may not start with it.
ID_MAX_LENGTH = 128
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@+\-]*$"
RESERVED_EVENT_ID_PREFIX = "auto:"


def client_event_id(value: str) -> str:
    """Refuse a client's event_id in the namespace of derived ids (`auto:`)."""
    if value.lower().startswith(RESERVED_EVENT_ID_PREFIX):
        raise ValueError(
            f"event ids starting with {RESERVED_EVENT_ID_PREFIX!r} are reserved for the ids the "
            "ledger derives; choose another"
        )
    return value


MAX_ACCOUNTS = 1000  # accounts one outage or maintenance window names
Identifier = Annotated[str, Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
EventId = Annotated[Identifier, AfterValidator(client_event_id)]
Priority = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]
Note = Annotated[str, Field(min_length=1, max_length=2000)]


class FactModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    VALID_TIME: ClassVar[str] = "at"  # the field that says when the fact happened

    event_id: EventId | None = None

    @property
    def valid_at(self) -> datetime | None:
        """When the fact happened (its valid time), if the fact itself says."""
        value: datetime | None = getattr(self, self.VALID_TIME)
        return value


class ContractSigned(FactModel):
    """A contract was signed for an account, effective from a date, under these terms."""

    type: Literal["contract.signed"]
    account_id: Identifier
    effective_from: Instant
    terms: dict[str, Any]

    VALID_TIME = "effective_from"


class ContractAmended(FactModel):
    """The account's terms were replaced from `effective_from` (which may be in the past)."""

    type: Literal["contract.amended"]
    account_id: Identifier
    effective_from: Instant
    terms: dict[str, Any]

    VALID_TIME = "effective_from"


class ContractTerminated(FactModel):
    """The subscription ended at `at`; nothing after it is measured."""

    type: Literal["contract.terminated"]
    account_id: Identifier
    at: Instant


class ScopedFact(FactModel):
    """Outages and maintenance apply to all accounts (`"scope": "all"`) or to `accounts`."""

    scope: Literal["all"] | None = None
    accounts: Annotated[list[Identifier], Field(max_length=MAX_ACCOUNTS)] | None = None

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


class OutageEnded(FactModel):
    type: Literal["outage.ended"]
    outage_id: Identifier
    at: Instant


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

    VALID_TIME = "started_at"


class OutageRetracted(FactModel):
    """The outage never happened (e.g. a monitor's false positive); it counts nothing."""

    type: Literal["outage.retracted"]
    outage_id: Identifier
    reason: Note
    at: Instant | None = None


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

    VALID_TIME = "start"


class MaintenanceCancelled(FactModel):
    type: Literal["maintenance.cancelled"]
    maintenance_id: Identifier
    at: Instant | None = None
    reason: Note | None = None


class TicketFact(FactModel):
    ticket_id: Identifier
    at: Instant


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
    term: Annotated[WholeNumber, Field(ge=1, le=1000)] | None = None


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
Fact = Annotated[AnyFact, Field(discriminator="type")]
fact_adapter: TypeAdapter[AnyFact] = TypeAdapter(Fact)
FACT_TYPES: tuple[str, ...] = tuple(
    get_args(model.model_fields["type"].annotation)[0] for model in get_args(AnyFact)
)


def parse_fact(raw: str | bytes | dict[str, Any]) -> AnyFact:
    """Validate one fact given as a JSON line or an already-decoded object.

    Raises:
        FactRejected: with every problem found (field and reason).
    """
    try:
        decoded = raw if isinstance(raw, dict) else decode_json(raw)
    except DuplicateKey as duplicate:
        raise FactRejected([(duplicate.key, "the key appears twice in one object")]) from None
    except ValueError as error:
        raise FactRejected([("(line)", f"not valid JSON: {error}")]) from None
    try:
        return fact_adapter.validate_python(decoded)
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
        if len(line) * 4 > MAX_LINE_BYTES and len(line.encode()) > MAX_LINE_BYTES:
            errors.append(LineError(number, "(line)", f"longer than {MAX_LINE_BYTES} bytes"))
            continue
        try:
            facts.append((number, parse_fact(line)))
        except FactRejected as rejected:
            errors.extend(rejected.line_errors(number))
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
