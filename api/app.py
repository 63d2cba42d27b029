"""The HTTP API's composition root: `create_app` wires the ledger, its read models and keys.

Nothing is built at import time. The lifespan opens the store, starts the projection runner in a
background thread (unless told not to) and closes both on shutdown.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.keys import ApiKey, KeyStore, StoredAnswer
from api.schemas import ErrorBody, Problem, WriteResult
from ledger.application import RecordOutcome, SlaLedger
from ledger.errors import (
    ConflictingFacts,
    InvalidQuery,
    LedgerError,
    NotFound,
    RejectedFacts,
    StoreUnavailable,
)
from ledger.store import open_ledger
from projections.reports import Reports
from projections.runner import ReadModelRunner

__all__ = ["ApiSettings", "AppState", "create_app"]


@dataclass(frozen=True)
class ApiSettings:
    database_url: str | None = None  # None: SLA_LEDGER_DATABASE_URL, else the SQLite default
    follow: bool = True  # keep the read models current from a background thread
    poll_seconds: float = 0.2


@dataclass
class AppState:
    ledger: SlaLedger
    runner: ReadModelRunner
    reports: Reports
    keys: KeyStore


class Hidden(LedgerError):
    """Not found - or not the caller's to see. Customers cannot tell the two apart."""


class Forbidden(LedgerError):
    """The caller's role may not do this."""


class Unauthorized(LedgerError):
    """No key, or not a valid one."""


class IdempotencyConflict(LedgerError):
    """An Idempotency-Key was sent again with a different request."""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The SLA Ledger HTTP API on the configured store."""
    config = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ledger = open_ledger(config.database_url)
        runner = ReadModelRunner(ledger)
        app.state.sla = AppState(ledger, runner, Reports(ledger, runner), KeyStore(ledger))
        stop = threading.Event()
        follower = threading.Thread(
            target=runner.follow, args=(stop, config.poll_seconds), name="read-models",
            daemon=True,
        )  # fmt: skip
        if config.follow:
            follower.start()
        try:
            yield
        finally:
            stop.set()
            if follower.is_alive():
                follower.join(timeout=10)
            ledger.close()

    app = FastAPI(
        title="SLA Ledger",
        version="1.0",
        summary="An event-sourced ledger of service-level agreements.",
        description=(
            "Record the facts behind SLAs (contracts, outages, maintenance, support tickets, "
            "renewals) and read availability, ticket clocks and credits - as they stand now or "
            "as they were known at any recorded time (`as_of`). Authenticate with "
            "`Authorization: Bearer <key>` or `X-API-Key: <key>`."
        ),
        lifespan=lifespan,
    )
    _register_errors(app)
    from api.routes import reads, writes

    app.include_router(writes)
    app.include_router(reads)
    return app


# --- who is calling -------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="An API key created with `sla-ledger keys`.")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key.")


def state(request: Request) -> AppState:
    found: AppState = request.app.state.sla
    return found


StateDep = Annotated[AppState, Depends(state)]


def caller(
    app: StateDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> ApiKey:
    """The key the request carries, if it is valid and not revoked."""
    presented = bearer.credentials if bearer is not None else header
    key = app.keys.verify(presented) if presented else None
    if key is None:
        raise Unauthorized("a valid API key is required (Authorization: Bearer <key>)")
    return key


Caller = Annotated[ApiKey, Depends(caller)]


def operator(key: Caller) -> ApiKey:
    """Only operators write. Customers are told nothing exists (404); auditors, 403."""
    if key.role == "customer":
        raise Hidden("not found")
    if key.role != "operator":
        raise Forbidden(f"the {key.role} role may not write")
    return key


Operator = Annotated[ApiKey, Depends(operator)]


def visible(key: ApiKey, account_id: str) -> None:
    """A customer sees its own account only; any other is answered as if it did not exist."""
    if key.role == "customer" and key.account_id != account_id:
        raise Hidden("not found")


def hiding(key: ApiKey, call: Callable[[], Any]) -> Any:
    """Run a read; for a customer, every 'unknown X' becomes the same 'not found'."""
    try:
        return call()
    except NotFound:
        if key.role == "customer":
            raise Hidden("not found") from None
        raise


# --- idempotent writes ----------------------------------------------------------------------


def answer_write(
    app: AppState,
    key: ApiKey,
    idempotency_key: str | None,
    request_text: str,
    record: Callable[[], RecordOutcome],
) -> JSONResponse:
    """Record, or with an `Idempotency-Key` seen before, return the first answer again."""
    digest = hashlib.sha256(request_text.encode()).hexdigest()
    if idempotency_key:
        earlier = app.keys.answer(key.key_id, idempotency_key)
        if earlier is not None:
            if earlier.request_hash != digest:
                raise IdempotencyConflict(
                    f"Idempotency-Key {idempotency_key!r} was used for a different request"
                )
            return _replayed(earlier)
    try:
        outcome = record()
        result = WriteResult.of(outcome)
        response = JSONResponse(
            result.model_dump(mode="json"), status_code=201 if outcome.recorded else 200
        )
    except (RejectedFacts, ConflictingFacts, NotFound) as error:
        response = _error_response(error)
    if idempotency_key and response.status_code < 500:
        app.keys.remember(
            key.key_id,
            idempotency_key,
            StoredAnswer(digest, response.status_code, bytes(response.body).decode()),
        )
    return response


def _replayed(earlier: StoredAnswer) -> JSONResponse:
    response = JSONResponse(content=None, status_code=earlier.status_code)
    response.body = earlier.body.encode()
    response.headers["content-length"] = str(len(response.body))
    response.headers["Idempotent-Replay"] = "true"
    return response


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retrying a write with the same key returns the first answer, appends nothing.",
    ),
]


# --- errors -----------------------------------------------------------------------------------

_STATUS: dict[type[Exception], tuple[int, str]] = {
    RejectedFacts: (422, "rejected"),
    ConflictingFacts: (409, "conflict"),
    IdempotencyConflict: (409, "conflict"),
    NotFound: (404, "not_found"),
    Hidden: (404, "not_found"),
    InvalidQuery: (422, "invalid"),
    Unauthorized: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    StoreUnavailable: (503, "unavailable"),
}


def _error_response(error: LedgerError) -> JSONResponse:
    status, kind = next(
        (found for cls, found in _STATUS.items() if isinstance(error, cls)), (500, "unavailable")
    )
    problems = [
        Problem(field=e.field, reason=e.reason, line=e.line) for e in getattr(error, "errors", [])
    ]
    body = ErrorBody(error=kind, message=str(error), problems=problems)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _register_errors(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    async def ledger_error(request: Request, error: LedgerError) -> JSONResponse:
        return _error_response(error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            Problem(
                field=".".join(str(p) for p in item["loc"][1:]) or str(item["loc"][0]),
                reason=str(item["msg"]).removeprefix("Value error, "),
            )
            for item in error.errors()
        ]
        body = ErrorBody(error="invalid", message="the request is not valid", problems=problems)
        return JSONResponse(body.model_dump(mode="json"), status_code=422)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No valid API key."},
    404: {"model": ErrorBody, "description": "Unknown, or not the caller's to see."},
    422: {"model": ErrorBody, "description": "Invalid request: what is wrong and where."},
    503: {"model": ErrorBody, "description": "The store cannot be reached."},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {"model": ErrorBody, "description": "The caller's role may not write."},
    409: {"model": ErrorBody, "description": "An event_id or Idempotency-Key reused."},
}
