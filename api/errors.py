"""The HTTP API's errors: one status per error kind, one JSON shape for every error answer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import ErrorBody, Problem
from ledger.errors import (
    ConflictingFacts,
    InvalidQuery,
    LedgerError,
    NotFound,
    RejectedFacts,
    StoreUnavailable,
)
from ledger.store.failures import STORE_FAILURES, store_unavailable

__all__ = [
    "ERRORS",
    "WRITE_ERRORS",
    "Forbidden",
    "Hidden",
    "IdempotencyConflict",
    "Unauthorized",
    "error_response",
    "register_errors",
]


class Hidden(LedgerError):
    """Not found - or not the caller's to see. Customers cannot tell the two apart."""


class Forbidden(LedgerError):
    """The caller's role may not do this."""


class Unauthorized(LedgerError):
    """No key, or not a valid one."""


class IdempotencyConflict(LedgerError):
    """An Idempotency-Key was sent again with a different request."""


RETRY_AFTER_SECONDS = 2  # what a 503 tells clients to wait before retrying

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


def error_response(error: LedgerError) -> JSONResponse:
    """The answer to a ledger error: its status, and what went wrong and where."""
    status, kind = next(
        (found for cls, found in _STATUS.items() if isinstance(error, cls)), (500, "unavailable")
    )
    problems = [
        Problem(field=e.field, reason=e.reason, line=e.line) for e in getattr(error, "errors", [])
    ]
    body = ErrorBody(error=kind, message=str(error), problems=problems)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def register_errors(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    async def ledger_error(request: Request, error: LedgerError) -> JSONResponse:
        return error_response(error)

    for failure in STORE_FAILURES:  # the store went away after start-up: 503, never 500

        @app.exception_handler(failure)
        async def store_failed(request: Request, error: Exception) -> JSONResponse:
            return error_response(store_unavailable(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        # FastAPI's own answers (unknown route, method not allowed, a body it cannot parse) in
        # the one documented shape.
        kind = _HTTP_KINDS.get(
            error.status_code, "invalid" if error.status_code < 500 else "unavailable"
        )
        message = {404: "no such resource", 405: f"{request.method} is not allowed here"}.get(
            error.status_code, str(error.detail)
        )
        body = ErrorBody(error=kind, message=message)
        status = 422 if error.status_code == 400 else error.status_code
        return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=error.headers)

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


_HTTP_KINDS = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "not_allowed",
    409: "conflict",
    413: "too_large",
    503: "unavailable",
}

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No valid API key."},
    404: {"model": ErrorBody, "description": "Unknown, or not the caller's to see."},
    422: {"model": ErrorBody, "description": "Invalid request: what is wrong and where."},
    503: {"model": ErrorBody, "description": "The store cannot be reached."},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    413: {"model": ErrorBody, "description": "The body is larger than the limit."},
    403: {"model": ErrorBody, "description": "The caller's role may not write."},
    409: {"model": ErrorBody, "description": "An event_id or Idempotency-Key reused."},
}
