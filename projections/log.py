"""The log as users read it: stored events with both their times and their payload."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ledger.store.ports import LedgerReader, LogRow
from projections.models import ReportModel

__all__ = [
    "EventView",
    "LogSummary",
    "event_view",
    "iter_events",
    "log_summary",
    "redacted_for",
]

# Fields the library adds to every stored event; the ledger's own times are position/recorded_at.
_LIBRARY_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
)


class EventView(ReportModel):
    """One stored event: when it happened (valid_at) and when the ledger learned it."""

    position: int
    recorded_at: datetime
    event_id: str
    type: str
    valid_at: datetime | None
    actor: str | None
    payload: dict[str, Any]


def event_view(row: LogRow) -> EventView:
    payload = {k: v for k, v in row.data().items() if k not in _LIBRARY_FIELDS and k != "event_id"}
    return EventView(
        position=row.position,
        recorded_at=row.recorded_at,
        event_id=row.event_id,
        type=row.type,
        valid_at=row.valid_at,
        actor=row.actor or None,
        payload=payload,
    )


class LogSummary(ReportModel):
    """What the store holds: how many events of each type, for which accounts, recorded when."""

    events: int
    by_type: dict[str, int]
    accounts: list[str]
    last_position: int
    last_recorded_at: datetime | None


def log_summary(reader: LedgerReader, upto: int | None = None) -> LogSummary:
    head, last_recorded = reader.head()
    stop = head if upto is None else min(upto, head)
    counts = reader.type_counts(stop)
    return LogSummary(
        events=sum(counts.values()),
        by_type=counts,
        accounts=reader.account_ids(stop),
        last_position=stop,
        last_recorded_at=last_recorded if stop == head else reader.recorded_at_of(stop),
    )


def redacted_for(event: EventView, account_id: str) -> EventView:
    """The event as a customer may see it: a scope naming several accounts names only theirs."""
    accounts = event.payload.get("accounts")
    if not isinstance(accounts, list) or accounts == [account_id]:
        return event
    payload = {**event.payload, "accounts": [a for a in accounts if a == account_id]}
    return event.model_copy(update={"payload": payload})


def iter_events(
    reader: LedgerReader,
    *,
    account: str | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    upto: int | None = None,
    after: int = 0,
    page_size: int = 1000,
) -> Iterator[EventView]:
    """Stored events in position order, optionally for one account and a valid-time range.

    Service-wide outages and maintenance belong to every account, so they are listed for each.
    """
    stop = upto if upto is not None else reader.head()[0]
    while True:
        rows = reader.list_events(
            account=account,
            valid_from=valid_from,
            valid_to=valid_to,
            upto=stop,
            after=after,
            limit=page_size,
        )
        yield from (event_view(row) for row in rows)
        if len(rows) < page_size:
            return
        after = rows[-1].position
