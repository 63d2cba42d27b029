"""Given/when/then for the write side's rules, without a database.

`given(*facts)` records facts into a workspace the way the application does (handler, then the
aggregate's own guards) and keeps the events they made; `when(workspace, fact)` records one more
fact and returns the event it makes, or raises the rule it breaks.
"""

from __future__ import annotations

from typing import Any

from ledger.events import LedgerEvent
from ledger.handlers import handle
from ledger.idempotency import content_hash, event_id_for
from ledger.importing import parse_fact
from ledger.workspace import Workspace

Fact = dict[str, Any]


def given(*facts: Fact) -> Workspace:
    """A workspace holding what these facts (in order) recorded."""
    workspace = Workspace()
    for fact in facts:
        when(workspace, fact)
    return workspace


def when(workspace: Workspace, fact: Fact) -> LedgerEvent:
    """Record one fact; its event, or the RuleViolation / FactRejected it raises."""
    parsed = parse_fact(fact)
    event_id = event_id_for(parsed, content_hash(parsed))
    return workspace.recorded(handle(workspace, parsed, event_id))
