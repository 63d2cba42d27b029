"""Idempotent writes: an `Idempotency-Key` retried gets the first answer again."""

from __future__ import annotations

import contextlib
import hashlib
import time
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


# A request holding a key waits this long for the request that reserved it to answer; a reservation
# this old without an answer (its process died) is taken over.
WAIT_SECONDS = 30.0
STALE_SECONDS = 120.0


def answer_write(
    app: Services,
    key: ApiKey,
    idempotency_key: str | None,
    request_text: str,
    record: Callable[[], RecordOutcome],
) -> JSONResponse:
    """Rule `Idempotency-Key`: the key is reserved atomically before anything is recorded; the
    request that reserved it records and stores its answer; the others (retries, or requests
    racing with it) wait for that answer and return it, or get 409 if their request differs."""
    digest = hashlib.sha256(request_text.encode()).hexdigest()
    if not idempotency_key:
        return _answer(key.key_id, record)
    deadline = time.monotonic() + WAIT_SECONDS
    pause = 0.01
    while not app.keys.reserve(key.key_id, idempotency_key, digest, STALE_SECONDS):
        earlier = app.keys.answer(key.key_id, idempotency_key)
        if earlier is not None and earlier.request_hash != digest:
            raise IdempotencyConflict(
                f"Idempotency-Key {idempotency_key!r} was used for a different request"
            )
        if earlier is not None and earlier.status_code != 0:
            return _replayed(earlier)
        if time.monotonic() > deadline:
            raise IdempotencyConflict(
                f"a request with Idempotency-Key {idempotency_key!r} is still being processed; "
                "retry later"
            )
        time.sleep(pause)  # the holder is recording: wait (bounded) for its answer
        pause = min(pause * 2, 0.2)
    try:
        response = _answer(key.key_id, record)
    except BaseException:
        with contextlib.suppress(Exception):  # the store may be what failed: the key goes stale
            app.keys.release(key.key_id, idempotency_key)
        raise
    if response.status_code < 500:
        app.keys.remember(
            key.key_id,
            idempotency_key,
            StoredAnswer(digest, response.status_code, bytes(response.body).decode()),
        )
    else:
        app.keys.release(key.key_id, idempotency_key)
    return response


def _answer(key_id: str, record: Callable[[], RecordOutcome]) -> JSONResponse:
    try:
        outcome = record()
    except (RejectedFacts, ConflictingFacts, NotFound) as error:
        observe_refusal(key_id, error)
        return error_response(error)
    observe_write(key_id, outcome)
    result = WriteResult.of(outcome)
    return JSONResponse(
        result.model_dump(mode="json"), status_code=201 if outcome.recorded else 200
    )


def _replayed(earlier: StoredAnswer) -> JSONResponse:
    response = JSONResponse(content=None, status_code=earlier.status_code)
    response.body = earlier.body.encode()
    response.headers["content-length"] = str(len(response.body))
    response.headers["Idempotent-Replay"] = "true"
    return response
