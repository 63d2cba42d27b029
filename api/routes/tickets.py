"""Support tickets: opened and every later step; a ticket's clock; the at-risk board."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.deps import Caller, IdempotencyKey, Operator, StateDep, hiding, own_only, visible
from api.errors import ERRORS, WRITE_ERRORS
from api.receipts import receipted
from api.routes.common import (
    CREATED,
    AsOf,
    DurationSeconds,
    Identifier,
    Limit,
    Offset,
    fields_of,
    instant_text,
    write_fact,
)
from api.schemas import AtRiskPage, TicketBody, TicketEventBody, WriteResult, page_info
from ledger.errors import InvalidQuery
from projections.tickets import TicketReport

router = APIRouter(tags=["tickets"], responses=ERRORS)


@router.post("/tickets", response_model=WriteResult, responses={**WRITE_ERRORS, **CREATED})
def open_ticket(
    body: TicketBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """A support ticket was opened."""
    return write_fact(app, key, idempotency, request, {"type": "ticket.opened", **fields_of(body)})


@router.post(
    "/tickets/{ticket_id}/events",
    response_model=WriteResult,
    responses={**WRITE_ERRORS, **CREATED},
)
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
    fields = fields_of(body)
    fact = {**fields, "type": f"ticket.{fields['type']}", "ticket_id": ticket_id}
    return write_fact(app, key, idempotency, request, fact)


@router.get("/tickets/{ticket_id}", response_model=TicketReport)
def ticket(ticket_id: Identifier, app: StateDep, key: Caller, as_of: AsOf = None) -> TicketReport:
    """A ticket's SLA clock: target, time used, due time, state, and the timeline behind it."""
    report = hiding(key, lambda: app.reports.ticket(ticket_id, as_of))
    visible(key, report.account_id)
    query = {"ticket_id": ticket_id, "as_of": instant_text(as_of)}
    return receipted(app, report, "ticket", query)


@router.get("/at-risk", response_model=AtRiskPage)
def at_risk(
    app: StateDep,
    key: Caller,
    within: Annotated[
        DurationSeconds,
        Query(ge=0, le=366 * 86400, description="A duration: 60m, 1h30m, 90s, or seconds."),
    ] = 3600,
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
    items = own_only(key, found.tickets, lambda item: item.account_id)
    return AtRiskPage(
        query_time=found.query_time,
        within_seconds=within,
        page=page_info(len(items), offset, limit),
        tickets=items[offset : offset + limit],
        overdue=found.overdue if key.role != "customer" else [],
    )
