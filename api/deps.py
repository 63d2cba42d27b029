"""Who is calling, and what they may see: the dependencies every route declares."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.bootstrap import Services
from api.errors import Forbidden, Hidden, Unauthorized
from api.keys import ApiKey
from ledger.errors import NotFound

__all__ = [
    "Caller",
    "IdempotencyKey",
    "MaybeCaller",
    "Operator",
    "StateDep",
    "hiding",
    "own_only",
    "visible",
]

Item = TypeVar("Item")
Result = TypeVar("Result")

_bearer = HTTPBearer(auto_error=False, description="An API key created with `sla-ledger keys`.")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key.")


def services(request: Request) -> Services:
    found: Services = request.app.state.sla
    return found


StateDep = Annotated[Services, Depends(services)]


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


def optional_caller(
    app: StateDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> ApiKey | None:
    """The valid key the request carries, or None (no key, or not a valid one)."""
    presented = bearer.credentials if bearer is not None else header
    return app.keys.verify(presented) if presented else None


MaybeCaller = Annotated[ApiKey | None, Depends(optional_caller)]


def operator(key: Caller) -> ApiKey:
    """Only operators write. Customers are told nothing exists (404); auditors, 403."""
    if key.role == "customer":
        raise Hidden("not found")
    if key.role != "operator":
        raise Forbidden(f"the {key.role} role may not write")
    return key


Operator = Annotated[ApiKey, Depends(operator)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retrying a write with the same key returns the first answer, appends nothing.",
    ),
]


def visible(key: ApiKey, account_id: str) -> None:
    """A customer sees its own account only; any other is answered as if it did not exist."""
    if key.role == "customer" and key.account_id != account_id:
        raise Hidden("not found")


def own_only(key: ApiKey, items: Iterable[Item], account_of: Callable[[Item], str]) -> list[Item]:
    """The items a caller may see: a customer's own account's only, everyone's for the rest."""
    if key.role != "customer":
        return list(items)
    return [item for item in items if account_of(item) == key.account_id]


def hiding(key: ApiKey, call: Callable[[], Result]) -> Result:
    """Run a read; for a customer, every 'unknown X' becomes the same 'not found'."""
    try:
        return call()
    except NotFound:
        if key.role == "customer":
            raise Hidden("not found") from None
        raise
