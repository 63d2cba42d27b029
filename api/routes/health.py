"""Liveness and readiness (no key needed; readiness details need a key)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import MaybeCaller, StateDep
from api.errors import ERRORS
from api.schemas import Health, Readiness
from ledger.store.failures import ping

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up (no key needed)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    response_model_exclude_none=True,
    responses={503: ERRORS[503]},
)
def readyz(app: StateDep, key: MaybeCaller, request: Request) -> Readiness:
    """The store is reachable (no key needed). With an operator's or auditor's key, also the
    store and how many events the read models still have to apply."""
    ping(app.ledger.datastore)  # 503 at once when PostgreSQL is down
    head, _ = app.ledger.reader.head()
    if key is None or key.role not in ("operator", "auditor"):
        return Readiness(status="ready")
    tracked = app.read_models.tracked_position()
    return Readiness(
        status="ready",
        store=app.ledger.location,
        last_position=head,
        projection_position=tracked,
        projection_lag_events=max(head - tracked, 0),
        follows=request.app.state.settings.follow and request.app.state.follower_lock.is_held,
    )
