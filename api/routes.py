"""The HTTP endpoints: one per fact for writes, the CLI's reports for reads. Thin: every rule is in
`ledger` and `projections`; here is only who may see what, and translation to HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, AwareDatetime, BaseModel

from api.app import (
    ERRORS,
    WRITE_ERRORS,
    AppState,
    Caller,
    Hidden,
    IdempotencyKey,
    Operator,
    StateDep,
    answer_write,
    hiding,
    visible,
)
from api.keys import ApiKey
from api.schemas import (
    MONTH_PATTERN,
    AdjustmentPage,
    AtRiskPage,
    BreachPage,
    CancellationBody,
    ContractBody,
    CorrectionBody,
    EventPage,
    Health,
    MaintenanceBody,
    OutageBody,
    OutageEndBody,
    Readiness,
    RenewalBody,
    ReplayRequest,
    RetractionBody,
    TerminationBody,
    TicketBody,
    TicketEventBody,
    WriteResult,
    checked_instant,
    checked_month,
    page_info,
)
from ledger.application import RecordOutcome
from ledger.errors import InvalidQuery, LineError, NotFound, RejectedFacts
from ledger.facts import FactRejected, parse_fact, parse_lines
from ledger.timevalues import Month
from projections.availability import AvailabilityReport
from projections.credits import CreditStatement, Diff, Replay
from projections.log import event_view, redacted_for
from projections.tickets import TicketMonth, TicketReport

writes = APIRouter(tags=["write"], responses=WRITE_ERRORS)
reads = APIRouter(tags=["read"], responses=ERRORS)

MonthText = Annotated[
    str, Path(pattern=MONTH_PATTERN, examples=["2026-04"]), AfterValidator(checked_month)
]
# Positions are 64-bit signed integers in both stores.
LAST_POSITION = 2**63 - 1
MonthQuery = Annotated[
    str, Query(pattern=MONTH_PATTERN, examples=["2026-04"]), AfterValidator(checked_month)
]
Identifier = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\s\x00-\x1f\x7f]+$")]
LedgerInstant = Annotated[AwareDatetime, AfterValidator(checked_instant)]
AsOf = Annotated[
    LedgerInstant | None,
    Query(description="Answer with only the events recorded at or before this instant."),
]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=LAST_POSITION)]

CREATED: dict[int | str, dict[str, Any]] = {201: {"model": WriteResult, "description": "Recorded."}}


# --- writes -----------------------------------------------------------------------------------


def _record(app: AppState, fact: dict[str, Any]) -> Any:
    return _recording(lambda: app.ledger.record([(1, parse_fact(fact))]))


def _recording(record: Callable[[], RecordOutcome]) -> RecordOutcome:
    try:
        return record()
    except FactRejected as rejected:
        raise RejectedFacts(
            [LineError(1, field, why) for field, why in rejected.problems]
        ) from None
    except RejectedFacts as rejected:
        # One fact naming an outage, ticket or account that does not exist: that is a 404.
        if all(problem.unknown for problem in rejected.errors):
            raise NotFound(rejected.errors[0].reason) from None
        raise


def _write(
    app: AppState, key: ApiKey, idempotency: str | None, request: Request, fact: dict[str, Any]
) -> JSONResponse:
    text = f"{request.method} {request.url.path} {sorted(fact.items())!r}"
    return answer_write(app, key, idempotency, text, lambda: _record(app, fact))


def _fields(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude_unset=True)


@writes.post("/outages", response_model=WriteResult, responses=CREATED)
def start_outage(
    body: OutageBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """An outage began (for every account, or the accounts named)."""
    return _write(app, key, idempotency, request, {"type": "outage.started", **_fields(body)})


@writes.post("/outages/{outage_id}/end", response_model=WriteResult, responses=CREATED)
def end_outage(
    outage_id: Identifier,
    body: OutageEndBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """The outage ended."""
    fact = {"type": "outage.ended", "outage_id": outage_id, **_fields(body)}
    return _write(app, key, idempotency, request, fact)


@writes.post("/outages/{outage_id}/corrections", response_model=WriteResult, responses=CREATED)
def correct_outage(
    outage_id: Identifier,
    body: CorrectionBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """The outage really ran from `started_at` to `ended_at` (a new event; the old one stays)."""
    fact = {"type": "outage.corrected", "outage_id": outage_id, **_fields(body)}
    return _write(app, key, idempotency, request, fact)


@writes.post("/outages/{outage_id}/retraction", response_model=WriteResult, responses=CREATED)
def retract_outage(
    outage_id: Identifier,
    body: RetractionBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """The outage never happened (a false alarm): it counts nothing from now on."""
    fact = {"type": "outage.retracted", "outage_id": outage_id, **_fields(body)}
    return _write(app, key, idempotency, request, fact)


@writes.post("/maintenance", response_model=WriteResult, responses=CREATED)
def schedule_maintenance(
    body: MaintenanceBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """A maintenance window, its kind, and who declared it when."""
    return _write(
        app, key, idempotency, request, {"type": "maintenance.scheduled", **_fields(body)}
    )


@writes.post(
    "/maintenance/{maintenance_id}/cancellation", response_model=WriteResult, responses=CREATED
)
def cancel_maintenance(
    maintenance_id: Identifier,
    body: CancellationBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """The maintenance window was called off."""
    fact = {"type": "maintenance.cancelled", "maintenance_id": maintenance_id, **_fields(body)}
    return _write(app, key, idempotency, request, fact)


@writes.post("/tickets", response_model=WriteResult, responses=CREATED)
def open_ticket(
    body: TicketBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """A support ticket was opened."""
    return _write(app, key, idempotency, request, {"type": "ticket.opened", **_fields(body)})


@writes.post("/tickets/{ticket_id}/events", response_model=WriteResult, responses=CREATED)
def ticket_event(
    ticket_id: Identifier,
    body: TicketEventBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """A later step of the ticket: paused, resumed, responded, resolved, reopened, or a new
    priority."""
    fields = _fields(body)
    fact = {**fields, "type": f"ticket.{fields['type']}", "ticket_id": ticket_id}
    return _write(app, key, idempotency, request, fact)


@writes.put("/accounts/{account_id}/contract", response_model=WriteResult, responses=CREATED)
def set_contract(
    account_id: Identifier,
    body: ContractBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """The account's terms from `effective_from`: signs its contract, or amends it."""
    fields = _fields(body)
    text = f"{request.method} {request.url.path} {sorted(fields.items())!r}"
    return answer_write(
        app,
        key,
        idempotency,
        text,
        lambda: _recording(lambda: app.ledger.record_terms(account_id, fields)),
    )


@writes.post("/accounts/{account_id}/termination", response_model=WriteResult, responses=CREATED)
def terminate_contract(
    account_id: Identifier,
    body: TerminationBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """The subscription ended."""
    fact = {"type": "contract.terminated", "account_id": account_id, **_fields(body)}
    return _write(app, key, idempotency, request, fact)


@writes.post("/accounts/{account_id}/renewals", response_model=WriteResult, responses=CREATED)
def complete_renewal(
    account_id: Identifier,
    body: RenewalBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """A term closed, with the credit finance applied on the renewal invoice."""
    fact = {"type": "renewal.completed", "account_id": account_id, **_fields(body)}
    return _write(app, key, idempotency, request, fact)


@writes.post(
    "/events",
    response_model=WriteResult,
    responses=CREATED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            "description": "Facts in the import format, one JSON object per line.",
        }
    },
)
async def import_events(
    request: Request, app: StateDep, key: Operator, idempotency: IdempotencyKey = None
) -> JSONResponse:
    """Facts in the import format (NDJSON), appended atomically: all of them or none."""
    raw = await request.body()
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        lines = ["not UTF-8 text"]

    def record() -> Any:
        facts, errors = parse_lines(lines)
        return app.ledger.record(facts, earlier_errors=errors)

    text = f"{request.method} {request.url.path} {raw!r}"
    return await run_in_threadpool(answer_write, app, key, idempotency, text, record)


# --- reads ------------------------------------------------------------------------------------


@reads.get("/healthz", response_model=Health, responses={})
def healthz() -> Health:
    """The process is up (no key needed)."""
    return Health(status="ok")


@reads.get("/readyz", response_model=Readiness, responses={503: ERRORS[503]})
def readyz(app: StateDep) -> Readiness:
    """The store is reachable; how many events the read models still have to apply (no key)."""
    head, _ = app.ledger.reader.head()
    tracked = app.runner.view.tracked_position()
    return Readiness(
        status="ready",
        store=app.ledger.location,
        last_position=head,
        projection_position=tracked,
        projection_lag_events=max(head - tracked, 0),
    )


@reads.get("/accounts/{account_id}/availability/{month}", response_model=AvailabilityReport)
def availability(
    account_id: Identifier, month: MonthText, app: StateDep, key: Caller, as_of: AsOf = None
) -> AvailabilityReport:
    """Monthly availability of one account, with the periods and events behind it."""
    visible(key, account_id)
    report: AvailabilityReport = hiding(
        key, lambda: app.reports.availability(account_id, Month.parse(month), as_of)
    )
    return report


@reads.get("/breaches", response_model=BreachPage)
def breaches(
    month: MonthQuery,
    app: StateDep,
    key: Caller,
    as_of: AsOf = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> BreachPage:
    """Every account whose month missed its target, worst first (a customer sees only its own)."""
    found = app.reports.breaches(Month.parse(month), as_of)
    items = [b for b in found.breaches if key.role != "customer" or b.account_id == key.account_id]
    return BreachPage(
        month=found.month,
        query_time=found.query_time,
        as_of=found.as_of,
        as_of_position=found.as_of_position,
        page=page_info(len(items), offset, limit),
        breaches=items[offset : offset + limit],
    )


@reads.get("/tickets/{ticket_id}", response_model=TicketReport)
def ticket(ticket_id: Identifier, app: StateDep, key: Caller, as_of: AsOf = None) -> TicketReport:
    """A ticket's SLA clock: target, time used, due time, state, and the timeline behind it."""
    report: TicketReport = hiding(key, lambda: app.reports.ticket(ticket_id, as_of))
    if key.role == "customer" and report.account_id != key.account_id:
        raise Hidden("not found")
    return report


@reads.get("/accounts/{account_id}/tickets", response_model=TicketMonth)
def tickets(
    account_id: Identifier, month: MonthQuery, app: StateDep, key: Caller, as_of: AsOf = None
) -> TicketMonth:
    """An account's tickets opened in a month: counts per priority, met and breached."""
    visible(key, account_id)
    found: TicketMonth = hiding(
        key, lambda: app.reports.tickets(account_id, Month.parse(month), as_of)
    )
    return found


@reads.get("/at-risk", response_model=AtRiskPage)
def at_risk(
    app: StateDep,
    key: Caller,
    within: Annotated[int, Query(ge=0, le=366 * 86400, description="Seconds.")] = 3600,
    limit: Limit = 100,
    offset: Offset = 0,
    as_of: Annotated[
        str | None, Query(include_in_schema=False, description="Not supported: refused.")
    ] = None,
) -> AtRiskPage:
    """Open tickets whose running target runs out within `within` seconds, soonest first, and
    those whose target has run out (`overdue`). Now only: a past moment's tickets are in
    `GET /accounts/{id}/tickets?as_of=`."""
    if as_of is not None:
        raise InvalidQuery(
            "at-risk answers for now only; use GET /accounts/{id}/tickets?month=&as_of= "
            "for the tickets as known at a past moment"
        )
    found = app.reports.at_risk(within)
    items = [t for t in found.tickets if key.role != "customer" or t.account_id == key.account_id]
    overdue = found.overdue if key.role != "customer" else []
    return AtRiskPage(
        query_time=found.query_time,
        within_seconds=within,
        page=page_info(len(items), offset, limit),
        tickets=items[offset : offset + limit],
        overdue=overdue,
    )


@reads.get("/accounts/{account_id}/credits", response_model=CreditStatement)
def credits(
    account_id: Identifier,
    app: StateDep,
    key: Caller,
    term: Annotated[int | None, Query(ge=1, le=1000)] = None,
    at: Annotated[LedgerInstant | None, Query(description="The term containing it.")] = None,
    as_of: AsOf = None,
) -> CreditStatement:
    """The credit statement of a term (the current one by default)."""
    visible(key, account_id)
    statement: CreditStatement = hiding(
        key, lambda: app.reports.credits(account_id, term=term, at=at, as_of=as_of)
    )
    return statement


@reads.get("/adjustments", response_model=AdjustmentPage)
def adjustments(
    app: StateDep, key: Caller, as_of: AsOf = None, limit: Limit = 100, offset: Offset = 0
) -> AdjustmentPage:
    """Renewed terms whose credit owed now differs from what the renewal applied."""
    found = app.reports.adjustments(as_of)
    items = [
        a for a in found.adjustments if key.role != "customer" or a.account_id == key.account_id
    ]
    return AdjustmentPage(
        query_time=found.query_time,
        as_of=found.as_of,
        as_of_position=found.as_of_position,
        page=page_info(len(items), offset, limit),
        adjustments=items[offset : offset + limit],
    )


@reads.post("/replay", response_model=Replay)
def replay(request: Annotated[ReplayRequest, Body()], app: StateDep, key: Caller) -> Replay:
    """What-if: months under proposed terms beside the actual ones. Appends nothing."""
    account = request.account_id
    if key.role == "customer":
        account = key.account_id if request.all_accounts else account
        visible(key, account or "")
    elif (account is None) == (not request.all_accounts):
        raise InvalidQuery("give account_id or all_accounts, not both or neither")
    found: Replay = hiding(
        key,
        lambda: app.reports.replay(
            request.terms,
            Month.parse(request.from_month),
            Month.parse(request.to_month),
            account,
            as_of=request.as_of,
        ),
    )
    return found


@reads.get("/accounts/{account_id}/diff", response_model=Diff)
def diff(
    account_id: Identifier,
    month: MonthQuery,
    app: StateDep,
    key: Caller,
    as_of: Annotated[LedgerInstant, Query(description="The earlier recorded time.")],
    vs: Annotated[LedgerInstant, Query(description="The later recorded time.")],
) -> Diff:
    """An account-month as known at two recorded times, and the events that changed it."""
    visible(key, account_id)
    found: Diff = hiding(key, lambda: app.reports.diff(account_id, Month.parse(month), as_of, vs))
    return found


@reads.get("/events", response_model=EventPage)
def events(
    app: StateDep,
    key: Caller,
    account_id: Annotated[str | None, Query(max_length=128)] = None,
    valid_from: Annotated[LedgerInstant | None, Query(alias="from")] = None,
    valid_to: Annotated[LedgerInstant | None, Query(alias="to")] = None,
    as_of: AsOf = None,
    after: Annotated[
        int, Query(ge=0, le=LAST_POSITION, description="Position to continue after.")
    ] = 0,
    limit: Limit = 100,
) -> EventPage:
    """Stored events with position, recorded-at, valid time and payload (a customer: its own)."""
    if key.role == "customer":
        visible(key, account_id or key.account_id or "")
        account_id = key.account_id
    reader = app.ledger.reader
    upto = reader.position_at(as_of) if as_of is not None else reader.head()[0]
    rows = reader.list_events(
        account=account_id,
        valid_from=valid_from,
        valid_to=valid_to,
        upto=upto,
        after=after,
        limit=limit + 1,
    )
    shown = [event_view(row) for row in rows[:limit]]
    if key.role == "customer" and key.account_id is not None:
        shown = [redacted_for(event, key.account_id) for event in shown]
    return EventPage(events=shown, next_after=shown[-1].position if len(rows) > limit else None)
