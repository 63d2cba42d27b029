"""The log itself: facts in the import format appended all or nothing, and stored events read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import Caller, IdempotencyKey, Operator, StateDep, actor_of, visible
from api.errors import ERRORS, WRITE_ERRORS
from api.idempotency import answer_write
from api.routes.common import CREATED, LAST_POSITION, AsOf, IdQuery, LedgerInstant, Limit
from api.schemas import EventPage, WriteResult
from ledger.errors import LineError, RejectedFacts
from ledger.importing import parse_lines
from ledger.jsontext import split_lines
from projections.log import event_view, redacted_for

router = APIRouter(tags=["events"], responses=ERRORS)


@router.post(
    "/events",
    response_model=WriteResult,
    responses={**WRITE_ERRORS, **CREATED},
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
        lines = split_lines(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise RejectedFacts([LineError(line, "(line)", "not UTF-8 text")]) from None

    def record() -> Any:
        facts, errors = parse_lines(lines)
        return app.ledger.record(facts, earlier_errors=errors, actor=actor_of(key))

    text = f"{request.method} {request.url.path} {raw!r}"
    return await run_in_threadpool(answer_write, app, key, idempotency, text, record)


@router.get("/events", response_model=EventPage)
def events(
    app: StateDep,
    key: Caller,
    account_id: IdQuery | None = None,
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
