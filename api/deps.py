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
    "Ingester",
    "MaybeCaller",
    "Operator",
    "StateDep",
    "actor_of",
    "any_key",
    "bearer_scheme",
    "header_scheme",
    "hiding",
    "own_account",
    "own_only",
    "visible",
]

Item = TypeVar("Item")
Result = TypeVar("Result")

bearer_scheme = HTTPBearer(
    auto_error=False, description="An API key created with `sla-ledger keys`."
)
header_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key.")


def services(request: Request) -> Services:
    found: Services = request.app.state.sla
    return found


StateDep = Annotated[Services, Depends(services)]


def any_key(
    app: StateDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    header: Annotated[str | None, Depends(header_scheme)],
) -> ApiKey:
    """The key the request carries, if it is valid and not revoked."""
    presented = bearer.credentials if bearer is not None else header
    key = app.keys.verify(presented) if presented else None
    if key is None:
        raise Unauthorized("a valid API key is required (Authorization: Bearer <key>)")
    return key


def caller(key: Annotated[ApiKey, Depends(any_key)]) -> ApiKey:
    """A key that may use the ledger's own routes (an ingest key may use only /integrations)."""
    if key.role == "ingest":
        raise Forbidden("the ingest role may use only the /integrations routes")
    return key


Caller = Annotated[ApiKey, Depends(caller)]


def ingester(key: Annotated[ApiKey, Depends(any_key)]) -> ApiKey:
    """Integration routes: ingest and operator keys."""
    if key.role == "customer":
        raise Hidden("not found")
    if key.role not in ("ingest", "operator"):
        raise Forbidden(f"the {key.role} role may not write")
    return key


Ingester = Annotated[ApiKey, Depends(ingester)]


def optional_caller(
    app: StateDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    header: Annotated[str | None, Depends(header_scheme)],
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


def actor_of(key: ApiKey) -> str:
    """Who a write through the API is recorded as: its key's id and role."""
    return f"key:{key.key_id}:{key.role}"


def visible(key: ApiKey, account_id: str) -> None:
    """A customer sees its own account only; any other is answered as if it did not exist."""
    if key.role == "customer" and key.account_id != account_id:
        raise Hidden("not found")


def own_account(key: ApiKey) -> str | None:
    """The one account a customer key may see (None: operators and auditors see all)."""
    return key.account_id if key.role == "customer" else None


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
