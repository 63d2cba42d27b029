"""Reading exactly the events a report needs, as known at a position of the log.

Reports are recomputed from the log for `--as-of` queries and by the incremental read-model
runner. Neither scans the log: the scope index names the entities whose known interval can touch
the window, and only their events are read (index-bound, not log-bound).
"""

from __future__ import annotations

from datetime import datetime

from ledger.errors import NotFound
from ledger.events import contract_id, ticket_id
from ledger.store.ports import ALL_ACCOUNTS, LedgerReader
from ledger.timevalues import floor_to_second
from projections.history import AccountHistory, History, fold_history
from projections.intervals import merge

__all__ = [
    "load_account_history",
    "load_contract",
    "load_histories",
    "load_ticket",
    "load_tickets",
    "tickets_opened",
]

_INTERVAL_KINDS = ["outage", "maintenance"]


def load_contract(reader: LedgerReader, account_id: str, upto: int) -> History:
    """A history holding the account's contract; NotFound if it had none by `upto`."""
    rows = reader.rows_for([contract_id(account_id)], upto)
    if not rows:
        raise NotFound(f"unknown account {account_id!r}")
    return fold_history(rows)


def load_account_history(
    reader: LedgerReader,
    account_id: str,
    start: datetime,
    end: datetime,
    *,
    upto: int,
    query_time: datetime,
) -> AccountHistory:
    """The account's contract and every outage and maintenance window that can touch [start, end).

    Raises:
        NotFound: the account had no contract by `upto`.
    """
    histories = load_histories(reader, [account_id], start, end, upto=upto, query_time=query_time)
    if account_id not in histories:
        raise NotFound(f"unknown account {account_id!r}")
    return histories[account_id]


def load_histories(
    reader: LedgerReader,
    accounts: list[str],
    start: datetime,
    end: datetime,
    *,
    upto: int,
    query_time: datetime,
    tickets: bool = False,
) -> dict[str, AccountHistory]:
    """Like `load_account_history`, for many accounts in a few queries (unknown ones left out);
    with `tickets`, also the tickets opened in the window.

    The window grows while a continuous outage reaches past it: an outage ending exactly when the
    next begins is one period, and its length decides whether either counts.
    """
    keys = [*accounts, ALL_ACCOUNTS]
    kinds = [*_INTERVAL_KINDS, "ticket"] if tickets else _INTERVAL_KINDS
    found = reader.scoped_entities(keys, kinds, start, end, upto)
    contracts = [contract_id(a) for a in accounts]
    history = fold_history(reader.rows_for([*contracts, *found], upto))
    loaded = set(found)
    low, high = start, end
    while (wider := _chained_extent(history, low, high, query_time)) != (low, high):
        low, high = wider
        new = [
            e
            for e in reader.scoped_entities(keys, _INTERVAL_KINDS, low, high, upto)
            if e not in loaded
        ]
        if new:
            fold_history(reader.rows_for(new, upto), history)
            loaded.update(new)
    return history.by_account()


def _chained_extent(
    history: History, low: datetime, high: datetime, query_time: datetime
) -> tuple[datetime, datetime]:
    """The window widened to every continuous run of outages that touches it."""
    lower, upper = floor_to_second(low), floor_to_second(high)
    for account in history.by_account().values():
        until = floor_to_second(query_time)
        spans = [
            (o.start_s, until if o.end_s is None else o.end_s)
            for o in account.outages
            if not o.retracted
        ]
        for start, end in merge(spans):
            if start <= upper and end >= lower:
                lower, upper = min(lower, start), max(upper, end)
    if (lower, upper) == (floor_to_second(low), floor_to_second(high)):
        return low, high
    return (
        min(low, datetime.fromtimestamp(lower, low.tzinfo)),
        max(high, datetime.fromtimestamp(upper, high.tzinfo)),
    )


def load_ticket(reader: LedgerReader, ticket: str, upto: int) -> History:
    """A history holding the ticket and its account's contract."""
    history = load_tickets(reader, [ticket], upto)
    if ticket not in history.tickets:
        raise NotFound(f"unknown ticket {ticket!r}")
    return history


def load_tickets(reader: LedgerReader, tickets: list[str], upto: int) -> History:
    """A history holding these tickets (those known by `upto`) and their accounts' contracts."""
    history = fold_history(reader.rows_for([ticket_id(t) for t in tickets], upto))
    accounts = sorted({ticket.account_id for ticket in history.tickets.values()})
    return fold_history(reader.rows_for([contract_id(a) for a in accounts], upto), history)


def tickets_opened(
    reader: LedgerReader, account_id: str, start: datetime, end: datetime, upto: int
) -> History:
    """A history holding the account's contract and the tickets it opened in [start, end]."""
    found = reader.scoped_entities([account_id], ["ticket"], start, end, upto)
    history = fold_history(reader.rows_for([contract_id(account_id), *found], upto))
    if account_id not in history.contracts:
        raise NotFound(f"unknown account {account_id!r}")
    return history
