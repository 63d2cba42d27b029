"""The terms of a contract as the ledger holds them: every version, and what each one changed.

`contract_terms` builds the answer of `sla-ledger terms` and `GET /accounts/{id}/contract`;
`terms_changes` (rule `terms_diff`) is the field-by-field diff between two sets of terms, also
shown above a what-if replay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ledger.state import ContractState, TermsVersion
from ledger.terms import ContractTerms
from projections.models import ReportModel

__all__ = ["ContractTermsView", "FieldChange", "VersionView", "contract_terms", "terms_changes"]


class FieldChange(ReportModel):
    """One field whose value differs (`None`: absent on that side)."""

    field: str
    old: Any
    new: Any


class VersionView(ReportModel):
    """One version: effective (valid time) and recorded (position, recorded_at), its full
    terms, and what it changed against the version before it in effective order."""

    effective_from: datetime
    event_id: str
    type: str | None
    position: int | None
    recorded_at: datetime | None
    terms: dict[str, Any]
    changes: list[FieldChange]


class ContractTermsView(ReportModel):
    account_id: str
    at: datetime
    in_force: VersionView | None  # None: `at` is before the contract starts
    versions: list[VersionView]
    terminated_at: datetime | None
    query_time: datetime
    as_of: datetime | None
    as_of_position: int


def terms_changes(old: ContractTerms | None, new: ContractTerms) -> list[FieldChange]:
    """Rule `terms_diff`: the fields whose values differ, objects compared key by key (dotted
    names), anything else (lists included) compared whole."""
    changes: list[FieldChange] = []
    _diff(old.stored_form() if old is not None else {}, new.stored_form(), "", changes)
    return changes


def _diff(old: Any, new: Any, prefix: str, changes: list[FieldChange]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            name = f"{prefix}.{key}" if prefix else str(key)
            _diff(old.get(key), new.get(key), name, changes)
    elif old != new:
        changes.append(FieldChange(field=prefix, old=old, new=new))


def _view(version: TermsVersion, before: TermsVersion | None) -> VersionView:
    ref = version.ref
    return VersionView(
        effective_from=version.effective_from,
        event_id=version.event_id,
        type=ref.type if ref else None,
        position=ref.position if ref else None,
        recorded_at=ref.recorded_at if ref else None,
        terms=version.terms.stored_form(),
        changes=terms_changes(before.terms if before else None, version.terms),
    )


def contract_terms(
    contract: ContractState,
    at: datetime,
    *,
    query_time: datetime,
    as_of: datetime | None,
    as_of_position: int,
) -> ContractTermsView:
    """The terms in force at `at` and every version (effective order), each with its diff."""
    views = [
        _view(version, contract.versions[index - 1] if index else None)
        for index, version in enumerate(contract.versions)
    ]
    chosen = contract.version_at(at)
    in_force = next(
        (view for view, v in zip(views, contract.versions, strict=True) if v is chosen), None
    )
    return ContractTermsView(
        account_id=contract.account_id,
        at=at,
        in_force=in_force,
        versions=views,
        terminated_at=contract.terminated_at,
        query_time=query_time,
        as_of=as_of,
        as_of_position=as_of_position,
    )
