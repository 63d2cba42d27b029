"""What the routers share: path and query types, and recording one fact from a request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel

from api.bootstrap import Services
from api.idempotency import answer_write
from api.keys import ApiKey
from api.schemas import MONTH_PATTERN, DurationSeconds, LedgerInstant, WriteResult, checked_month
from ledger.application import RecordOutcome
from ledger.errors import FactRejected, NotFound, RejectedFacts
from ledger.importing import ID_MAX_LENGTH, ID_PATTERN, parse_fact
from ledger.timevalues import format_instant

__all__ = [
    "CREATED",
    "LAST_POSITION",
    "AsOf",
    "DurationSeconds",
    "IdQuery",
    "Identifier",
    "LedgerInstant",
    "Limit",
    "MonthQuery",
    "MonthText",
    "Offset",
    "fields_of",
    "recording",
    "write_fact",
]

# The month's form is checked by `checked_month`, whose message names it; the schema shows it.
_MONTH = {"pattern": MONTH_PATTERN}
MonthText = Annotated[
    str, Path(examples=["2026-04"], json_schema_extra=_MONTH), AfterValidator(checked_month)
]
MonthQuery = Annotated[
    str, Query(examples=["2026-04"], json_schema_extra=_MONTH), AfterValidator(checked_month)
]
# Positions are 64-bit signed integers in both stores.
LAST_POSITION = 2**63 - 1
Identifier = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
IdQuery = Annotated[str, Query(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
AsOf = Annotated[
    LedgerInstant | None,
    Query(description="Answer with only the events recorded at or before this instant."),
]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=LAST_POSITION)]

CREATED: dict[int | str, dict[str, Any]] = {201: {"model": WriteResult, "description": "Recorded."}}


def recording(record: Callable[[], RecordOutcome]) -> RecordOutcome:
    """Record, translating a malformed fact and a fact naming an unknown entity for HTTP."""
    try:
        return record()
    except FactRejected as rejected:
        raise RejectedFacts(rejected.line_errors(1)) from None
    except RejectedFacts as rejected:
        # One fact naming an outage, ticket or account that does not exist: that is a 404.
        if all(problem.unknown for problem in rejected.errors):
            raise NotFound(rejected.errors[0].reason) from None
        raise


def write_fact(
    app: Services, key: ApiKey, idempotency: str | None, request: Request, fact: dict[str, Any]
) -> JSONResponse:
    """Record one fact in the import format, idempotently."""
    text = f"{request.method} {request.url.path} {sorted(fact.items())!r}"
    return answer_write(app, key, idempotency, text, lambda: recording(lambda: _record(app, fact)))


def _record(app: Services, fact: dict[str, Any]) -> RecordOutcome:
    return app.ledger.record([(1, parse_fact(fact))])


def fields_of(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude_unset=True)


def instant_text(value: datetime | None) -> str | None:
    """A query's instant as the receipt keeps it."""
    return None if value is None else format_instant(value)
