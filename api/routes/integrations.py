"""Integrations with the monitoring stack: Alertmanager's webhook in, Prometheus metrics out."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel

from api.bootstrap import Services
from api.deps import Ingester, StateDep, any_key, bearer_scheme, header_scheme
from api.errors import ERRORS, Forbidden
from api.keys import ApiKey
from api.observe import METRICS, exposition, log_event, observe_refusal, observe_write
from api.settings import Settings
from ledger.alerts import (
    Alert,
    AlertmanagerPayload,
    LabelMapping,
    alert_accounts,
    alert_facts,
    alert_outage_id,
)
from ledger.errors import ConflictingFacts, FactRejected, RejectedFacts
from ledger.importing import parse_fact

router = APIRouter(tags=["integrations"], responses=ERRORS)

Outcome = Literal["recorded", "duplicate", "ignored", "unknown_accounts", "refused", "conflict"]


class AlertResult(BaseModel):
    fingerprint: str
    status: Literal["firing", "resolved"]
    outcome: Outcome
    outage_id: str | None = None
    unknown_accounts: list[str] = []
    detail: str | None = None


class AlertmanagerResult(BaseModel):
    """What each alert of the notification did (the answer is 200 unless the body is invalid)."""

    alerts: list[AlertResult]


@router.post("/integrations/alertmanager", response_model=AlertmanagerResult)
async def alertmanager(
    payload: AlertmanagerPayload, app: StateDep, key: Ingester, request: Request
) -> AlertmanagerResult:
    """Alertmanager's webhook (version 4): firing alerts start outages, resolved ones end them."""
    config: Settings = request.app.state.settings
    mapping = LabelMapping(config.alert_scope_label, config.alert_accounts_label)
    return await run_in_threadpool(_receive, app, key, payload, mapping)


def _receive(
    app: Services, key: ApiKey, payload: AlertmanagerPayload, mapping: LabelMapping
) -> AlertmanagerResult:
    known = set(app.ledger.reader.account_ids(app.ledger.reader.head()[0]))
    results = [_one(app, key, alert, mapping, known) for alert in payload.alerts]
    for result in results:
        METRICS.alerts.labels(result.outcome).inc()
        if result.outcome in ("ignored", "unknown_accounts", "refused", "conflict"):
            log_event(
                "alert not recorded", logging.WARNING, actor=key.key_id,
                **result.model_dump(exclude_none=True),
            )  # fmt: skip
    return AlertmanagerResult(alerts=results)


def _one(
    app: Services, key: ApiKey, alert: Alert, mapping: LabelMapping, known: set[str]
) -> AlertResult:
    base: dict[str, Any] = {"fingerprint": alert.fingerprint, "status": alert.status}
    accounts = alert_accounts(alert.labels, mapping)
    if not accounts:
        detail = f"no {mapping.scope_label}=all or {mapping.accounts_label} label"
        return AlertResult(**base, outcome="ignored", detail=detail)
    unknown = [] if accounts == "all" else [name for name in accounts if name not in known]
    concerned = accounts if accounts == "all" else [name for name in accounts if name in known]
    base.update(outage_id=alert_outage_id(alert), unknown_accounts=unknown)
    if not concerned:
        return AlertResult(**base, outcome="unknown_accounts", detail="no account is known")
    try:
        facts = [
            (line, parse_fact(fact)) for line, fact in enumerate(alert_facts(alert, concerned), 1)
        ]
        outcome = app.ledger.record(facts)
    except FactRejected as error:
        return AlertResult(**base, outcome="refused", detail=str(error))
    except (RejectedFacts, ConflictingFacts) as error:
        observe_refusal(key.key_id, error)
        refused: Outcome = "conflict" if isinstance(error, ConflictingFacts) else "refused"
        return AlertResult(**base, outcome=refused, detail=str(error))
    observe_write(key.key_id, outcome)
    return AlertResult(**base, outcome="recorded" if outcome.recorded else "duplicate")


def _metrics_reader(
    request: Request,
    app: StateDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    header: Annotated[str | None, Depends(header_scheme)],
) -> None:
    """`GET /metrics` needs an operator or auditor key unless `metrics_public` is set."""
    config: Settings = request.app.state.settings
    if config.metrics_public:
        return
    key = any_key(app, bearer, header)
    if key.role not in ("operator", "auditor"):
        raise Forbidden(f"the {key.role} role may not read the metrics")


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(_metrics_reader)],
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
def metrics(app: StateDep) -> Response:
    """Prometheus metrics (text format); see README "Integrations" for the list."""
    return Response(exposition(app), media_type="text/plain; version=0.0.4; charset=utf-8")
