"""Maintenance windows: scheduled (of a kind, declared by someone at some time), cancelled."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import IdempotencyKey, Operator, StateDep
from api.errors import WRITE_ERRORS
from api.routes.common import CREATED, Identifier, fields_of, write_fact
from api.schemas import CancellationBody, MaintenanceBody, WriteResult

router = APIRouter(tags=["maintenance"], responses=WRITE_ERRORS)


@router.post("/maintenance", response_model=WriteResult, responses=CREATED)
def schedule_maintenance(
    body: MaintenanceBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """A maintenance window, its kind, and who declared it when."""
    fact = {"type": "maintenance.scheduled", **fields_of(body)}
    return write_fact(app, key, idempotency, request, fact)


@router.post(
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
    fact = {"type": "maintenance.cancelled", "maintenance_id": maintenance_id, **fields_of(body)}
    return write_fact(app, key, idempotency, request, fact)
