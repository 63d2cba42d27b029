"""Warnings: facts that are valid and recorded, but probably not what was meant.

Pure functions over terms and instants (rule `warnings`). A warning never blocks a write: it is
returned beside the result (the import's, the HTTP answer's `warnings`) and printed by the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from ledger import importing as f
from ledger.state import ContractState
from ledger.terms import ContractTerms
from ledger.timevalues import contract_zone, format_instant
from ledger.workspace import Workspace

__all__ = [
    "FactWarning",
    "fact_warnings",
    "off_midnight",
    "removed_commitments",
    "renewal_without_credits",
    "terms_before",
    "without_contract",
]


@dataclass(frozen=True)
class FactWarning:
    """One warning: the line it is about (None outside an import), the field, and what is odd."""

    line: int | None
    field: str
    message: str


def removed_commitments(old: ContractTerms, new: ContractTerms) -> list[tuple[str, str]]:
    """What `new` drops of `old`: the fee, a tier list, a committed priority (one with targets)."""
    found: list[tuple[str, str]] = []
    if old.credits is not None and new.credits is None:
        found.append(("terms.credits", "the new terms have no credits: no month earns a credit"))
    elif old.credits is not None and new.credits is not None:
        if old.credits.availability_tiers and not new.credits.availability_tiers:
            found.append(
                (
                    "terms.credits.availability_tiers",
                    "the new terms have no availability tiers: a missed month earns no credit",
                )
            )
        if old.credits.ticket_breach_credit_percent and not (
            new.credits.ticket_breach_credit_percent
        ):
            found.append(
                (
                    "terms.credits.ticket_breach_credit_percent",
                    "the new terms credit no ticket breach",
                )
            )
    old_priorities = old.support.priorities if old.support else {}
    new_priorities = new.support.priorities if new.support else {}
    for name, priority in old_priorities.items():
        if priority.targets and not (name in new_priorities and new_priorities[name].targets):
            found.append(
                (
                    f"terms.support.priorities.{name}",
                    f"priority {name!r} no longer has a target: its tickets are not measured",
                )
            )
    return found


def off_midnight(terms: ContractTerms, effective_from: datetime) -> list[tuple[str, str]]:
    """A signing that does not start at a local midnight in the contract's zone: its first month
    (and term, if `term.start` was defaulted) is the local day it falls on."""
    local = effective_from.astimezone(contract_zone(terms.timezone))
    if local.time() == time(0):
        return []
    return [
        (
            "effective_from",
            f"{format_instant(effective_from)} is {local.isoformat()} in {terms.timezone}, not a "
            f"local midnight: the contract starts on {local.date().isoformat()} there "
            f"(write e.g. {local.date().isoformat()}T00:00:00 with {terms.timezone}'s offset, "
            "or set the contract's timezone)",
        )
    ]


def renewal_without_credits(terms: ContractTerms, amount: Decimal) -> list[tuple[str, str]]:
    """A renewal that applies a credit under terms that grant none."""
    if terms.credits is not None or amount == 0:
        return []
    return [
        (
            "credit_applied.amount",
            "the contract's terms have no credits, yet this renewal applies a credit",
        )
    ]


def without_contract(account_id: str) -> list[tuple[str, str]]:
    """A customer key for an account the ledger knows no contract of (yet)."""
    return [
        (
            "account",
            f"account {account_id!r} has no contract (yet): the key sees nothing until one "
            "is signed",
        )
    ]


def fact_warnings(
    state: ContractState, fact: f.AnyFact, before: ContractTerms | None
) -> list[tuple[str, str]]:
    """Rule `warnings`: what is recorded but probably not meant (`ledger.warnings`)."""
    if isinstance(fact, f.ContractSigned):
        return off_midnight(state.versions[0].terms, fact.effective_from)
    if isinstance(fact, f.ContractAmended) and before is not None:
        return removed_commitments(before, state.version_or_first(fact.effective_from).terms)
    if isinstance(fact, f.RenewalCompleted):
        terms = state.version_or_first(fact.at).terms
        return renewal_without_credits(terms, fact.credit_applied.amount)
    return []


def terms_before(workspace: Workspace, fact: f.AnyFact) -> ContractTerms | None:
    """The terms an amendment patches (in force at its date), before it is recorded."""
    if not isinstance(fact, f.ContractAmended):
        return None
    contract = workspace.contract(fact.account_id)
    return None if contract is None else contract.state.version_or_first(fact.effective_from).terms
