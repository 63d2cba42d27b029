"""Outages: started, ended, corrected, retracted."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import IdempotencyKey, Operator, StateDep
from api.errors import WRITE_ERRORS
from api.routes.common import CREATED, Identifier, fields_of, write_fact
from api.schemas import CorrectionBody, OutageBody, OutageEndBody, RetractionBody, WriteResult

router = APIRouter(tags=["outages"], responses=WRITE_ERRORS)


@router.post("/outages", response_model=WriteResult, responses=CREATED)
def start_outage(
    body: OutageBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """An outage began (for every account, or the accounts named)."""
    return write_fact(app, key, idempotency, request, {"type": "outage.started", **fields_of(body)})


@router.post("/outages/{outage_id}/end", response_model=WriteResult, responses=CREATED)
def end_outage(
    outage_id: Identifier,
    body: OutageEndBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """The outage ended."""
    fact = {"type": "outage.ended", "outage_id": outage_id, **fields_of(body)}
    return write_fact(app, key, idempotency, request, fact)


@router.post("/outages/{outage_id}/corrections", response_model=WriteResult, responses=CREATED)
def correct_outage(
    outage_id: Identifier,
    body: CorrectionBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """The outage really ran from `started_at` to `ended_at` (a new event; the old one stays)."""
    fact = {"type": "outage.corrected", "outage_id": outage_id, **fields_of(body)}
    return write_fact(app, key, idempotency, request, fact)


@router.post("/outages/{outage_id}/retraction", response_model=WriteResult, responses=CREATED)
def retract_outage(
    outage_id: Identifier,
    body: RetractionBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """The outage never happened (a false alarm): it counts nothing from now on."""
    fact = {"type": "outage.retracted", "outage_id": outage_id, **fields_of(body)}
    return write_fact(app, key, idempotency, request, fact)
