"""CSV and PDF from the HTTP API: a GET answered in JSON is re-written as CSV when the caller asks
with `?format=csv` or `Accept: text/csv`, and as PDF with `?format=pdf` (the account-month and the
credit statement only). The route, its checks and its JSON stay the one source of the figures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.errors import error_response
from api.export_csv import report_csv
from api.web.pdf import pdf_of
from ledger.errors import InvalidQuery
from projections.availability import AvailabilityReport
from projections.credits import CreditStatement

__all__ = ["add_exports"]

_NO_PDF = "format=pdf: only the account-month availability and the credit statement have a PDF form"


def _wanted(request: Request) -> str | None:
    chosen = request.query_params.get("format")
    if chosen in ("csv", "pdf", "json"):
        return chosen
    accept = request.headers.get("accept", "")
    return "csv" if "text/csv" in accept and "application/json" not in accept else None


def _model(data: object) -> BaseModel | None:
    if isinstance(data, dict) and "unavailable_periods" in data:
        return AvailabilityReport.model_validate(data)
    if isinstance(data, dict) and "term_fee" in data:
        return CreditStatement.model_validate(data)
    return None


def add_exports(app: FastAPI) -> None:
    @app.middleware("http")
    async def exports(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        chosen = _wanted(request)
        if (
            request.method != "GET"
            or chosen in (None, "json")
            or request.url.path.startswith(("/ui", "/docs", "/redoc", "/openapi"))
        ):
            return await call_next(request)
        answer = await call_next(request)
        if answer.status_code != 200 or not answer.headers.get("content-type", "").startswith(
            "application/json"
        ):
            return answer
        body = b"".join([chunk async for chunk in answer.body_iterator])  # type: ignore[attr-defined]
        data = orjson.loads(body)
        if chosen == "csv" and isinstance(data, dict):
            return Response(report_csv(data), media_type="text/csv; charset=utf-8")
        model = _model(data)
        if model is None:
            return error_response(InvalidQuery(_NO_PDF))
        return Response(await run_in_threadpool(pdf_of, model), media_type="application/pdf")
