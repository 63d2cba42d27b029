"""The web view's pages under `/ui`: sign-in, an account, an account-month, a credit statement,
a month's breaches and the at-risk board. A customer's key sees its own account only (any other
page is 404, as in the API); auditors and operators see all. `?format=pdf|csv` on the
account-month and the statement returns the export of the same report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.deps import StateDep, own_only, visible
from api.errors import Hidden
from api.export_csv import report_csv
from api.keys import ApiKey
from api.receipts import receipted
from api.routes.common import instant_text
from api.web.pdf import pdf_of
from api.web.render import month_html, page, statement_html
from api.web.session import COOKIE, MAX_AGE_SECONDS, signed_in, ticket_for
from api.web.timeline import WIDTH, ticket_marks
from ledger.errors import LedgerError, NotFound
from ledger.timevalues import Month, parse_instant

__all__ = ["router"]

router = APIRouter(prefix="/ui", include_in_schema=False)
Text = Annotated[str | None, Query(max_length=40)]


class _SignIn(Exception):
    """Not signed in: go to the sign-in form."""


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Cache-Control": "no-store"})


def _guarded(request: Request, app: StateDep, make: Callable[[ApiKey], Response]) -> Response:
    """The page for the signed-in key, or the sign-in form; errors as a page with their status
    (a customer's 'not yours' and 'unknown' are both 404, as in the API)."""
    key = signed_in(request, app)
    if key is None:
        return RedirectResponse("/ui", status_code=303)
    try:
        return make(key)
    except (Hidden, NotFound) as error:
        message = "not found" if key.role == "customer" else str(error)
        return _html(page("error.html", caller_key=key, status=404, message=message), 404)
    except (LedgerError, ValueError) as error:
        return _html(page("error.html", caller_key=key, status=422, message=str(error)), 422)


def _instant(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        return parse_instant(text)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def _export(report: BaseModel, chosen: str | None, name: str) -> Response | None:
    if chosen == "pdf":
        return Response(
            pdf_of(report),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
        )
    if chosen == "csv":
        return Response(
            report_csv(report.model_dump(mode="json")),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return None


@router.get("", response_class=HTMLResponse)
def home(request: Request, app: StateDep) -> Response:
    key = signed_in(request, app)
    if key is None:
        return _html(page("signin.html", error=None))
    if key.role == "customer" and key.account_id:
        return RedirectResponse(f"/ui/accounts/{quote(key.account_id)}", status_code=303)
    return _html(page("home.html", caller_key=key))


@router.post("/sign-in")
async def sign_in(request: Request, app: StateDep) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    presented = (form.get("key") or [""])[0].strip()
    key = await run_in_threadpool(app.keys.verify, presented) if presented else None
    if key is None:
        return _html(page("signin.html", error="That key is not valid (or was revoked)."), 401)
    answer = RedirectResponse("/ui", status_code=303)
    answer.set_cookie(
        COOKIE,
        ticket_for(request, key),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="strict",
        path="/ui",
    )
    return answer


@router.post("/sign-out")
def sign_out() -> Response:
    answer = RedirectResponse("/ui", status_code=303)
    answer.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict")
    return answer


@router.get("/go")
def go(
    request: Request,
    app: StateDep,
    account: Text = None,
    month: Text = None,
    ticket: Text = None,
) -> Response:
    target = f"/ui/accounts/{quote(account or '')}" + (f"/months/{quote(month)}" if month else "")
    if ticket:
        target = f"/ui/tickets/{quote(ticket)}"
    return _guarded(request, app, lambda key: RedirectResponse(target, status_code=303))


@router.get("/accounts/{account_id}")
def account(request: Request, app: StateDep, account_id: str, term: int | None = None) -> Response:
    def make(key: ApiKey) -> Response:
        visible(key, account_id)
        found = app.reports.credits(account_id, term=term)
        changed = [a for a in app.reports.adjustments().adjustments if a.account_id == account_id]
        contract = app.reports.terms(account_id)
        return _html(
            statement_html(found, caller_key=key, term=term, adjustments=changed, contract=contract)
        )

    return _guarded(request, app, make)


@router.get("/accounts/{account_id}/credits")
def credits(
    request: Request,
    app: StateDep,
    account_id: str,
    term: int | None = None,
    as_of: Text = None,
    format: Text = None,
) -> Response:
    def make(key: ApiKey) -> Response:
        visible(key, account_id)
        known = _instant(as_of, "as of")
        found = app.reports.credits(account_id, term=term, as_of=known)
        query = {"account_id": account_id, "term": term, "at": None, "as_of": instant_text(known)}
        found = receipted(app, found, "credits", query)  # as the API signs it
        exported = _export(found, format, f"{account_id}-term-{found.term}")
        return exported or _html(statement_html(found, caller_key=key, term=term))

    return _guarded(request, app, make)


@router.get("/accounts/{account_id}/months/{month}")
def month(
    request: Request,
    app: StateDep,
    account_id: str,
    month: str,
    as_of: Text = None,
    vs: Text = None,
    format: Text = None,
) -> Response:
    def make(key: ApiKey) -> Response:
        visible(key, account_id)
        when, known = Month.parse(month), _instant(as_of, "as of")
        found = app.reports.availability(account_id, when, known)
        query = {"account_id": account_id, "month": month, "as_of": instant_text(known)}
        found = receipted(app, found, "availability", query)  # as the API signs it
        exported = _export(found, format, f"{account_id}-{month}")
        if exported is not None:
            return exported
        later = _instant(vs, "compare with")
        diff = app.reports.diff(account_id, when, known, later) if known and later else None
        return _html(
            month_html(found, caller_key=key, diff=diff, as_of_text=as_of or "", vs_text=vs or "")
        )

    return _guarded(request, app, make)


@router.get("/tickets/{ticket_id}")
def ticket(request: Request, app: StateDep, ticket_id: str, as_of: Text = None) -> Response:
    def make(key: ApiKey) -> Response:
        found = app.reports.ticket(ticket_id, _instant(as_of, "as of"))
        visible(key, found.account_id)
        marks, lines = ticket_marks(found)
        return _html(
            page("ticket.html", caller_key=key, t=found, marks=marks, lines=lines, width=WIDTH)
        )

    return _guarded(request, app, make)


@router.get("/breaches/{month}")
def breaches(request: Request, app: StateDep, month: str) -> Response:
    def make(key: ApiKey) -> Response:
        found = app.reports.breaches(Month.parse(month))
        items = own_only(key, found.breaches, lambda breach: breach.account_id)
        return _html(page("breaches.html", caller_key=key, found=found, items=items))

    return _guarded(request, app, make)


@router.get("/at-risk")
def at_risk(request: Request, app: StateDep, within: int = 4 * 3600) -> Response:
    def make(key: ApiKey) -> Response:
        found = app.reports.at_risk(within)
        items = own_only(key, found.tickets, lambda item: item.account_id)
        return _html(page("at_risk.html", caller_key=key, found=found, items=items))

    return _guarded(request, app, make)
