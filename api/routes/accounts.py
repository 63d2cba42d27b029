"""Accounts: the contract (signed or amended), its end and renewals; the account's reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.deps import Caller, IdempotencyKey, Operator, StateDep, actor_of, hiding, visible
from api.errors import ERRORS, WRITE_ERRORS
from api.idempotency import answer_write
from api.receipts import receipted
from api.routes.common import (
    CREATED,
    AsOf,
    Identifier,
    LedgerInstant,
    MonthQuery,
    MonthText,
    fields_of,
    instant_text,
    recording,
    write_fact,
)
from api.schemas import (
    ContractBody,
    RenewalBody,
    TerminationBody,
    WriteResult,
)
from ledger.timevalues import Month
from projections.availability import AvailabilityReport
from projections.credits import CreditStatement, Diff
from projections.credits.terms_view import ContractTermsView
from projections.tickets import TicketMonth

router = APIRouter(tags=["accounts"], responses=ERRORS)
_WRITE = {**WRITE_ERRORS, **CREATED}


@router.put("/accounts/{account_id}/contract", response_model=WriteResult, responses=_WRITE)
def set_contract(
    account_id: Identifier,
    body: ContractBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """The account's terms from `effective_from`: signs its contract, or amends it."""
    fields = fields_of(body)
    text = f"{request.method} {request.url.path} {sorted(fields.items())!r}"
    return answer_write(
        app,
        key,
        idempotency,
        text,
        lambda: recording(lambda: app.ledger.record_terms(account_id, fields, actor=actor_of(key))),
    )


@router.post("/accounts/{account_id}/termination", response_model=WriteResult, responses=_WRITE)
def terminate_contract(
    account_id: Identifier,
    body: TerminationBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """The subscription ended."""
    fact = {"type": "contract.terminated", "account_id": account_id, **fields_of(body)}
    return write_fact(app, key, idempotency, request, fact)


@router.post("/accounts/{account_id}/renewals", response_model=WriteResult, responses=_WRITE)
def complete_renewal(
    account_id: Identifier,
    body: RenewalBody,
    app: StateDep,
    key: Operator,
    request: Request,
    idempotency: IdempotencyKey = None,
) -> JSONResponse:
    """A term closed, with the credit finance applied on the renewal invoice."""
    fact = {"type": "renewal.completed", "account_id": account_id, **fields_of(body)}
    return write_fact(app, key, idempotency, request, fact)


@router.get("/accounts/{account_id}/availability/{month}", response_model=AvailabilityReport)
def availability(
    account_id: Identifier, month: MonthText, app: StateDep, key: Caller, as_of: AsOf = None
) -> AvailabilityReport:
    """Monthly availability of one account, with the periods and events behind it."""
    visible(key, account_id)
    report = hiding(key, lambda: app.reports.availability(account_id, Month.parse(month), as_of))
    query = {"account_id": account_id, "month": month, "as_of": instant_text(as_of)}
    return receipted(app, report, "availability", query)


@router.get("/accounts/{account_id}/tickets", response_model=TicketMonth)
def tickets(
    account_id: Identifier, month: MonthQuery, app: StateDep, key: Caller, as_of: AsOf = None
) -> TicketMonth:
    """An account's tickets opened in a month: counts per priority, met and breached."""
    visible(key, account_id)
    found = hiding(key, lambda: app.reports.tickets(account_id, Month.parse(month), as_of))
    query = {"account_id": account_id, "month": month, "as_of": instant_text(as_of)}
    return receipted(app, found, "tickets", query)


@router.get("/accounts/{account_id}/contract", response_model=ContractTermsView)
def contract(
    account_id: Identifier,
    app: StateDep,
    key: Caller,
    at: Annotated[LedgerInstant | None, Query(description="In force at this instant.")] = None,
    as_of: AsOf = None,
) -> ContractTermsView:
    """The terms in force (at `at`, default now), every version with its effective and recorded
    time, and what each version changed."""
    visible(key, account_id)
    return hiding(key, lambda: app.reports.terms(account_id, at, as_of))


@router.get("/accounts/{account_id}/credits", response_model=CreditStatement)
def credits(
    account_id: Identifier,
    app: StateDep,
    key: Caller,
    term: Annotated[int | None, Query(ge=1, le=1000)] = None,
    at: Annotated[LedgerInstant | None, Query(description="The term containing it.")] = None,
    as_of: AsOf = None,
) -> CreditStatement:
    """The credit statement of a term (the current one by default)."""
    visible(key, account_id)
    statement = hiding(key, lambda: app.reports.credits(account_id, term=term, at=at, as_of=as_of))
    query = {"account_id": account_id, "term": term, "at": instant_text(at),
             "as_of": instant_text(as_of)}  # fmt: skip
    return receipted(app, statement, "credits", query)


@router.get("/accounts/{account_id}/diff", response_model=Diff)
def diff(
    account_id: Identifier,
    month: MonthQuery,
    app: StateDep,
    key: Caller,
    as_of: Annotated[LedgerInstant, Query(description="The earlier recorded time.")],
    vs: Annotated[LedgerInstant, Query(description="The later recorded time.")],
) -> Diff:
    """An account-month as known at two recorded times, and the events that changed it."""
    visible(key, account_id)
    found = hiding(key, lambda: app.reports.diff(account_id, Month.parse(month), as_of, vs))
    query = {"account_id": account_id, "month": month, "as_of": instant_text(as_of),
             "vs": instant_text(vs)}  # fmt: skip
    return receipted(app, found, "diff", query)
