"""Evidence: the stored events a figure rests on, cited once each, in position order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ledger.events import EventRef, StoredFact

__all__ = ["EventRef", "cite", "event_ref"]


def event_ref(row: StoredFact, data: dict[str, Any] | None = None) -> EventRef:
    """The evidence of one stored event, with its stated reason if it has one (`data`: its
    payload when already decoded)."""
    reason = (data if data is not None else row.data()).get("reason")
    return EventRef(
        row.event_id,
        row.type,
        row.position,
        row.recorded_at,
        row.valid_at,
        row.actor or None,
        reason if isinstance(reason, str) else None,
    )


def cite(*groups: Iterable[EventRef | None]) -> list[EventRef]:
    """Every event of `groups`, once (an event cited twice is listed once), by position;
    missing references (None) are left out."""
    by_position = {ref.position: ref for group in groups for ref in group if ref is not None}
    return [by_position[position] for position in sorted(by_position)]
