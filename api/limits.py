"""Request limits, checked before a route runs: body size, and JSON bodies with unique keys.

A pure ASGI middleware: it reads the body once (refusing it with 413 as soon as it passes the
limit), refuses a JSON object that names a key twice with 422 naming the key, and hands the same
bytes on to the route.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.schemas import ErrorBody, Problem
from ledger.jsontext import DuplicateKey, decode_json

__all__ = ["MAX_BODY_BYTES", "RequestLimits"]

MAX_BODY_BYTES = 64 << 20  # any request body (an NDJSON import of ~300,000 facts)


class RequestLimits:
    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if headers.get("content-type", "").split(";")[0].strip() == "application/json":
            try:
                decode_json(body)
            except DuplicateKey as duplicate:
                problem = Problem(field=duplicate.key, reason="the key appears twice in one object")
                await _answer(send, 422, ErrorBody(error="invalid", message=str(duplicate),
                                                   problems=[problem]))  # fmt: skip
                return
            except ValueError:
                pass  # not JSON: the route's own validation says so, in the same shape

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        message = f"the request body is larger than the limit of {self.max_body_bytes} bytes"
        problem = Problem(field="(body)", reason=f"larger than {self.max_body_bytes} bytes")
        await _answer(send, 413, ErrorBody(error="too_large", message=message, problems=[problem]))


async def _answer(send: Send, status: int, body: ErrorBody) -> None:
    payload: Any = body.model_dump_json().encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
