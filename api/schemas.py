"""Request and response shapes of the HTTP API that are not the ledger's own reports.

Write bodies are derived from the import format's fact models (`ledger.facts`), without the `type`
and the identifiers the URL already carries, so every field keeps exactly the rules of the import
format; the full fact is validated again before it is recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    create_model,
)

from ledger import importing as f
from ledger.application import RecordOutcome
from ledger.receipts import Receipt
from ledger.timevalues import (
    Month,
    parse_duration,
    parse_instant,
    require_ledger_year,
    require_offset_in_range,
)
from projections.availability import Breach, BreachList
from projections.credits import Adjustment, AdjustmentList
from projections.log import EventView
from projections.tickets import AtRisk

__all__ = [
    "AdjustmentPage",
    "AtRiskPage",
    "BreachPage",
    "ErrorBody",
    "EventPage",
    "Health",
    "Readiness",
    "RecordedEvent",
    "ReplayRequest",
    "WarningItem",
    "WriteResult",
]


MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def checked_month(text: str) -> str:
    """Accept a `YYYY-MM` text only if it names a month the ledger can hold."""
    Month.parse(text)
    return text


def checked_instant(value: datetime) -> datetime:
    """Accept an instant only inside the years the ledger holds, with a real UTC offset."""
    require_ledger_year(value)
    return require_offset_in_range(value)


def _instant_text(value: Any) -> Any:
    """A written instant parsed as the CLI parses it, so both refuse it in the same words."""
    return parse_instant(value) if isinstance(value, str) else value


def _duration_text(value: Any) -> Any:
    """A written duration (`60m`, `1h30m`, `90s`, `300`) in seconds, as the CLI reads it."""
    return parse_duration(value) if isinstance(value, str) else value


LedgerInstant: TypeAlias = Annotated[
    AwareDatetime, BeforeValidator(_instant_text), AfterValidator(checked_instant)
]
DurationSeconds: TypeAlias = Annotated[int, BeforeValidator(_duration_text)]
# The month's form is checked by `checked_month` (its message names the form); the pattern is
# only documented in the schema.
_MONTH_SCHEMA = {"pattern": MONTH_PATTERN, "examples": ["2026-04"]}
MonthField: TypeAlias = Annotated[
    str, Field(json_schema_extra=_MONTH_SCHEMA), AfterValidator(checked_month)
]


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _body(name: str, fact: type[BaseModel], without: set[str], doc: str) -> type[BaseModel]:
    fields: dict[str, Any] = {
        field_name: (info.annotation, info)
        for field_name, info in fact.model_fields.items()
        if field_name not in without | {"type"}
    }
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(extra="forbid"), __doc__=doc, **fields
    )
    return model


if TYPE_CHECKING:  # the type checker sees plain models; the API, the derived ones
    OutageBody: TypeAlias = BaseModel
    OutageEndBody: TypeAlias = BaseModel
    CorrectionBody: TypeAlias = BaseModel
    RetractionBody: TypeAlias = BaseModel
    MaintenanceBody: TypeAlias = BaseModel
    CancellationBody: TypeAlias = BaseModel
    TicketBody: TypeAlias = BaseModel
    ContractBody: TypeAlias = BaseModel
    TerminationBody: TypeAlias = BaseModel
    RenewalBody: TypeAlias = BaseModel
else:
    OutageBody = _body("OutageStart", f.OutageStarted, set(), "An outage began (outage.started).")
    OutageEndBody = _body("OutageEnd", f.OutageEnded, {"outage_id"}, "The outage ended.")
    CorrectionBody = _body(
        "OutageCorrection", f.OutageCorrected, {"outage_id"}, "The outage's real start and end."
    )
    RetractionBody = _body(
        "OutageRetraction", f.OutageRetracted, {"outage_id"}, "The outage never happened."
    )
    MaintenanceBody = _body(
        "MaintenanceWindow", f.MaintenanceScheduled, set(), "A maintenance window was declared."
    )
    CancellationBody = _body(
        "MaintenanceCancellation", f.MaintenanceCancelled, {"maintenance_id"}, "It was called off."
    )
    TicketBody = _body("TicketOpening", f.TicketOpened, set(), "A support ticket was opened.")
    ContractBody = _body(
        "ContractTerms",
        f.ContractSigned,
        {"account_id"},
        "The account's terms from `effective_from` (signs the contract, or amends it).",
    )
    TerminationBody = _body(
        "ContractTermination", f.ContractTerminated, {"account_id"}, "The subscription ended."
    )
    RenewalBody = _body(
        "Renewal",
        f.RenewalCompleted,
        {"account_id"},
        "A term closed; the credit applied at renewal.",
    )

TicketStep = Literal["priority_changed", "paused", "resumed", "responded", "resolved", "reopened"]


class TicketEventBody(ApiModel):
    """A later step of a ticket: `ticket.<type>` in the import format."""

    type: TicketStep
    at: datetime
    priority: str | None = Field(default=None, description="Only for priority_changed.")
    reason: str | None = Field(default=None, description="Only for paused.")
    event_id: str | None = None


class RecordedEvent(ApiModel):
    line: int
    event_id: str
    type: str
    status: Literal["recorded", "duplicate"]
    position: int
    recorded_at: datetime


class WarningItem(ApiModel):
    """Recorded, but probably not meant (rule `warnings`); a warning never blocks a write."""

    line: int | None
    field: str
    message: str


class WriteResult(ApiModel):
    """What a write stored: every event's id, position and recorded time, and any warnings."""

    recorded: int
    duplicates: int
    events: list[RecordedEvent]
    warnings: list[WarningItem] = []

    @classmethod
    def of(cls, outcome: RecordOutcome) -> WriteResult:
        return cls(
            recorded=outcome.recorded,
            duplicates=outcome.duplicates,
            events=[
                RecordedEvent(
                    line=fact.line, event_id=fact.event_id, type=fact.type,
                    status=fact.status, position=fact.position, recorded_at=fact.recorded_at,
                )
                for fact in outcome.facts
            ],
            warnings=[
                WarningItem(line=item.line, field=item.field, message=item.message)
                for item in outcome.warnings
            ],
        )  # fmt: skip


class Problem(ApiModel):
    field: str
    reason: str
    line: int | None = None


class ErrorBody(ApiModel):
    """Every error answer: what went wrong, and where."""

    error: Literal[
        "rejected",
        "conflict",
        "not_found",
        "invalid",
        "unauthorized",
        "forbidden",
        "not_allowed",
        "too_large",
        "unavailable",
    ]
    message: str
    problems: list[Problem] = []


class ReplayRequest(ApiModel):
    """A what-if: the months from `from_month` to `to_month` under `terms` (nothing appended)."""

    terms: dict[str, Any]
    from_month: MonthField
    to_month: MonthField
    account_id: str | None = None
    all_accounts: bool = False
    as_of: LedgerInstant | None = Field(
        None, description="Replay with only the events recorded at or before this instant."
    )


class PageInfo(ApiModel):
    total: int
    offset: int
    limit: int
    next_offset: int | None


class BreachPage(ApiModel):
    month: str
    query_time: datetime
    as_of: datetime | None
    as_of_position: int
    page: PageInfo
    breaches: list[Breach]
    receipt: Receipt | None = None  # the proof (ledger.receipts), added by the CLI and API


class AtRiskPage(ApiModel):
    query_time: datetime
    within_seconds: int
    page: PageInfo
    tickets: list[AtRisk]
    overdue: list[str]


class AdjustmentPage(ApiModel):
    query_time: datetime
    as_of: datetime | None
    as_of_position: int
    page: PageInfo
    adjustments: list[Adjustment]
    receipt: Receipt | None = None  # the proof (ledger.receipts), added by the CLI and API


class EventPage(ApiModel):
    """Stored events in position order; pass `next_after` as `after` for the next page."""

    events: list[EventView]
    next_after: int | None


class Health(ApiModel):
    status: Literal["ok"]


class Readiness(ApiModel):
    """Ready or not; the details only for an operator's or auditor's key."""

    status: Literal["ready"]
    store: str | None = None
    last_position: int | None = None
    projection_position: int | None = None
    projection_lag_events: int | None = None
    follows: bool | None = (
        None  # this process keeps the read models current (holds the follower lock)
    )


def page_info(total: int, offset: int, limit: int) -> PageInfo:
    following = offset + limit
    return PageInfo(
        total=total,
        offset=offset,
        limit=limit,
        next_offset=following if following < total else None,
    )


def breach_page(found: BreachList, account: str | None, limit: int, offset: int) -> BreachPage:
    """A page of the breach list (only `account`'s when given: a customer's view)."""
    items = [b for b in found.breaches if account is None or b.account_id == account]
    return BreachPage(
        month=found.month,
        query_time=found.query_time,
        as_of=found.as_of,
        as_of_position=found.as_of_position,
        page=page_info(len(items), offset, limit),
        breaches=items[offset : offset + limit],
    )


def adjustment_page(
    found: AdjustmentList, account: str | None, limit: int, offset: int
) -> AdjustmentPage:
    """A page of the adjustments (only `account`'s when given: a customer's view)."""
    items = [a for a in found.adjustments if account is None or a.account_id == account]
    return AdjustmentPage(
        query_time=found.query_time,
        as_of=found.as_of,
        as_of_position=found.as_of_position,
        page=page_info(len(items), offset, limit),
        adjustments=items[offset : offset + limit],
    )


class SignedReport(BaseModel):
    """A report in JSON with its receipt, as `sla-ledger` or this API handed it out."""

    model_config = ConfigDict(extra="allow")

    receipt: dict[str, Any]
