"""Build read-model inputs (histories) directly, for pure tests of the folds."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from ledger.domain import TermsVersion
from ledger.templates import expand_terms
from projections.history import (
    AccountHistory,
    ContractHistory,
    EventRef,
    MaintenanceRecord,
    OutageRecord,
    VersionRecord,
)

_positions = itertools.count(1)
RECORDED = datetime(2026, 11, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, "give test instants an offset"
    return value


def ref(event_type: str, valid_at: datetime | None = None) -> EventRef:
    position = next(_positions)
    return EventRef(f"e-{position}", event_type, position, RECORDED, valid_at)


class AccountBuilder:
    """A fluent builder: account(...).outage(...).maintenance(...).build()."""

    def __init__(self, account_id: str, effective_from: str, terms: dict[str, Any]) -> None:
        self.account_id = account_id
        start = at(effective_from)
        version = TermsVersion(start, expand_terms(terms, start), f"signed-{account_id}")
        self.contract = ContractHistory(
            account_id, [VersionRecord(version, ref("contract.signed", start))]
        )
        self.outages: list[OutageRecord] = []
        self.maintenance_windows: list[MaintenanceRecord] = []

    def amend(self, effective_from: str, terms: dict[str, Any]) -> AccountBuilder:
        start = at(effective_from)
        version = TermsVersion(start, expand_terms(terms, start), f"amended-{start.isoformat()}")
        self.contract.versions.append(VersionRecord(version, ref("contract.amended", start)))
        self.contract.versions.sort(key=lambda record: record.version.effective_from)
        return self

    def terminate(self, when: str) -> AccountBuilder:
        self.contract.terminated_at = at(when)
        self.contract.termination_ref = ref("contract.terminated", at(when))
        return self

    def outage(
        self,
        outage_id: str,
        start: str,
        end: str | None,
        accounts: tuple[str, ...] | None = None,
        retracted: bool = False,
    ) -> AccountBuilder:
        refs = [ref("outage.started", at(start))]
        if end is not None:
            refs.append(ref("outage.ended", at(end)))
        if retracted:
            refs.append(ref("outage.retracted"))
        self.outages.append(
            OutageRecord(outage_id, accounts, at(start), at(end) if end else None, retracted, refs)
        )
        return self

    def maintenance(
        self,
        maintenance_id: str,
        start: str,
        end: str,
        kind: str = "scheduled",
        declared_at: str | None = None,
    ) -> AccountBuilder:
        self.maintenance_windows.append(
            MaintenanceRecord(
                maintenance_id,
                kind,
                at(start),
                at(end),
                None,
                at(declared_at or start),
                "ops",
                False,
                [ref("maintenance.scheduled", at(start))],
            )
        )
        return self

    def build(self) -> AccountHistory:
        return AccountHistory(
            self.account_id,
            self.contract,
            [o for o in self.outages if o.applies_to(self.account_id)],
            list(self.maintenance_windows),
            [],
        )


def account(
    account_id: str = "acme",
    effective_from: str = "2026-01-01T00:00:00Z",
    timezone: str = "UTC",
    **availability: Any,
) -> AccountBuilder:
    terms: dict[str, Any] = {"template": "lifesize-extreme", "timezone": timezone}
    if availability:
        terms["availability"] = availability
    return AccountBuilder(account_id, effective_from, terms)
