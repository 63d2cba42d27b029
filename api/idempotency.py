"""Idempotent writes: an `Idempotency-Key` retried gets the first answer again."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi.responses import JSONResponse

from api.bootstrap import Services
from api.errors import IdempotencyConflict, error_response
from api.keys import ApiKey, StoredAnswer
from api.observe import observe_refusal, observe_write
from api.schemas import WriteResult
from ledger.application import RecordOutcome
from ledger.errors import ConflictingFacts, NotFound, RejectedFacts

__all__ = ["answer_write"]


def answer_write(
    app: Services,
    key: ApiKey,
    idempotency_key: str | None,
    request_text: str,
    record: Callable[[], RecordOutcome],
) -> JSONResponse:
    """Rule `Idempotency-Key`: record, or with a key seen before, return the first answer again
    (a different request with the same key is a conflict)."""
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
        observe_write(key.key_id, outcome)
        result = WriteResult.of(outcome)
        response = JSONResponse(
            result.model_dump(mode="json"), status_code=201 if outcome.recorded else 200
        )
    except (RejectedFacts, ConflictingFacts, NotFound) as error:
        observe_refusal(key.key_id, error)
        response = error_response(error)
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
