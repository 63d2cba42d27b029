"""Reports across accounts: breaches of a month, adjustments of renewals, what-if replay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from api.deps import Caller, StateDep, hiding, own_only, visible
from api.errors import ERRORS
from api.routes.common import AsOf, Limit, MonthQuery, Offset
from api.schemas import AdjustmentPage, BreachPage, ReplayRequest, page_info
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
    items = own_only(key, found.breaches, lambda breach: breach.account_id)
    return BreachPage(
        month=found.month,
        query_time=found.query_time,
        as_of=found.as_of,
        as_of_position=found.as_of_position,
        page=page_info(len(items), offset, limit),
        breaches=items[offset : offset + limit],
    )


@router.get("/adjustments", response_model=AdjustmentPage)
def adjustments(
    app: StateDep, key: Caller, as_of: AsOf = None, limit: Limit = 100, offset: Offset = 0
) -> AdjustmentPage:
    """Renewed terms whose credit owed now differs from what the renewal applied."""
    found = app.reports.adjustments(as_of)
    items = own_only(key, found.adjustments, lambda adjustment: adjustment.account_id)
    return AdjustmentPage(
        query_time=found.query_time,
        as_of=found.as_of,
        as_of_position=found.as_of_position,
        page=page_info(len(items), offset, limit),
        adjustments=items[offset : offset + limit],
    )


@router.post("/replay", response_model=Replay)
def replay(request: Annotated[ReplayRequest, Body()], app: StateDep, key: Caller) -> Replay:
    """What-if: months under proposed terms beside the actual ones. Appends nothing."""
    account, every = request.account_id, request.all_accounts
    if key.role == "customer":  # a customer's "all accounts" is its own
        account, every = (key.account_id if every else account), False
        visible(key, account or "")
    return hiding(
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
