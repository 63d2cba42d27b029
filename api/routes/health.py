"""Liveness and readiness (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import StateDep
from api.errors import ERRORS
from api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up (no key needed)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: ERRORS[503]})
def readyz(app: StateDep, request: Request) -> Readiness:
    """The store is reachable; how many events the read models still have to apply (no key)."""
    head, _ = app.ledger.reader.head()
    tracked = app.read_models.tracked_position()
    return Readiness(
        status="ready",
        store=app.ledger.location,
        last_position=head,
        projection_position=tracked,
        projection_lag_events=max(head - tracked, 0),
        follows=request.app.state.settings.follow and request.app.state.follower_lock.is_held,
    )
