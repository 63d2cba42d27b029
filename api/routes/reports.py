"""Reports across accounts: breaches of a month, adjustments of renewals, what-if replay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from api.deps import Caller, StateDep, hiding, own_account, visible
from api.errors import ERRORS
from api.receipts import receipted
from api.routes.common import AsOf, Limit, MonthQuery, Offset, instant_text
from api.schemas import (
    AdjustmentPage,
    BreachPage,
    ReplayRequest,
    adjustment_page,
    breach_page,
)
from ledger.timevalues import Month
from projections.credits import Replay

router = APIRouter(tags=["reports"], responses=ERRORS)


@router.get("/breaches", response_model=BreachPage)
def breaches(
    month: MonthQuery,
    app: StateDep,
    key: Caller,
    as_of: AsOf = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> BreachPage:
    """Every account whose month missed its target, worst first (a customer sees only its own)."""
    found = app.reports.breaches(Month.parse(month), as_of)
    account = own_account(key)
    page = breach_page(found, account, limit, offset)
    query = {"month": month, "as_of": instant_text(as_of), "account_id": account,
             "limit": limit, "offset": offset}  # fmt: skip
    return receipted(app, page, "breaches_page", query)


@router.get("/adjustments", response_model=AdjustmentPage)
def adjustments(
    app: StateDep, key: Caller, as_of: AsOf = None, limit: Limit = 100, offset: Offset = 0
) -> AdjustmentPage:
    """Renewed terms whose credit owed now differs from what the renewal applied."""
    account = own_account(key)
    page = adjustment_page(app.reports.adjustments(as_of), account, limit, offset)
    query = {"as_of": instant_text(as_of), "account_id": account, "limit": limit, "offset": offset}
    return receipted(app, page, "adjustments_page", query)


@router.post("/replay", response_model=Replay)
def replay(request: Annotated[ReplayRequest, Body()], app: StateDep, key: Caller) -> Replay:
    """What-if: months under proposed terms beside the actual ones. Appends nothing."""
    account, every = request.account_id, request.all_accounts
    if key.role == "customer":  # a customer's "all accounts" is its own
        account, every = (key.account_id if every else account), False
        visible(key, account or "")
    found = hiding(
        key,
        lambda: app.reports.replay(
            request.terms,
            Month.parse(request.from_month),
            Month.parse(request.to_month),
            account,
            all_accounts=every,
            as_of=request.as_of,
        ),
    )
    query = {"terms": request.terms, "from_month": request.from_month,
             "to_month": request.to_month, "account_id": account, "all_accounts": every,
             "as_of": instant_text(request.as_of)}  # fmt: skip
    return receipted(app, found, "replay", query)
