"""What-if replay: months under proposed terms beside the actual ones, for one account or all.

Reads the histories the window needs as known at the moment asked, completes the proposal from
each contract (rule `patch_terms`) and hands both to `projections.credits.comparisons`; nothing
here decides an amount. Nothing is appended.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ledger.errors import InvalidQuery, NotFound
from ledger.terms import ContractTerms
from ledger.timevalues import Month
from projections.credits import Replay, term_credit
from projections.credits import comparisons as cmp
from projections.credits.term import terms_between
from projections.credits.terms_view import terms_changes
from projections.history import AccountHistory, fold_history
from projections.loader import load_histories
from projections.parallel import collector_paused, map_in_processes
from projections.progress import Progress, counted, silent
from projections.reports.base import WIDEST_OFFSET, KnownBy, ReportBase, in_any_zone

__all__ = ["ReplayReports"]


class ReplayReports(ReportBase):
    """The what-if replay of proposed contract terms."""

    def replay(
        self,
        proposed: dict[str, Any],
        first: Month,
        last: Month,
        account_id: str | None = None,
        *,
        all_accounts: bool = False,
        as_of: datetime | None = None,
        on_progress: Progress = silent,
    ) -> Replay:
        """What-if: the months from `first` to `last` under proposed terms beside the actual
        ones, for one account or every account, as known now or at `as_of`. Nothing is
        appended.

        Raises:
            InvalidQuery: neither or both of an account and all accounts; `last` before `first`.
        """
        if (account_id is None) == (not all_accounts):
            raise InvalidQuery("give an account or all accounts, not both or neither")
        if last < first:
            raise InvalidQuery(f"--to {last} is before --from {first}")
        known = self.known_by(as_of)
        accounts = [account_id] if account_id else self.reader.account_ids(known.upto)
        with collector_paused():
            histories = self._replay_histories(account_id, first, last, known, on_progress)
            if account_id and account_id not in histories:
                raise NotFound(f"unknown account {account_id!r}")
            proposals = _proposals(proposed, [histories[a] for a in accounts if a in histories])
            on_progress("comparing accounts", 0, len(proposals))
            compared = map_in_processes(
                lambda part: [
                    _compare_account(history, terms, first, last, known.query_time)
                    for history, terms in part
                ],
                proposals,
            )
            on_progress("comparing accounts", len(proposals), len(proposals))
        terms = [term for _, by_term in compared for term in by_term]
        return Replay(
            accounts=accounts,
            from_month=str(first),
            to_month=str(last),
            months=[month for by_month, _ in compared for month in by_month],
            terms=terms,
            totals=cmp.totals_by_currency(terms),
            query_time=known.query_time,
            as_of=known.as_of,
            as_of_position=known.upto,
            terms_changes={
                history.account_id: terms_changes(history.contract.versions[-1].terms, proposal)
                for history, proposal in proposals
                if history.contract is not None
            },
            warnings=[
                warning
                for history, proposal in proposals
                if history.contract is not None
                for warning in cmp.proposal_warnings(history.contract, proposal)
            ],
        )

    def _replay_histories(
        self,
        account_id: str | None,
        first: Month,
        last: Month,
        known: KnownBy,
        on_progress: Progress = silent,
    ) -> dict[str, AccountHistory]:
        """One account's history in the replayed window, or everyone's: then one streamed pass
        over the log is far cheaper than index lookups for every account."""
        if account_id is None:
            scanned = counted(
                self.reader.scan_log(known.upto), known.upto, "reading the log", on_progress
            )
            return fold_history(scanned).by_account()
        start, end = in_any_zone(first, last)
        return load_histories(
            self.reader,
            [account_id],
            start,
            min(end, known.query_time + WIDEST_OFFSET),
            upto=known.upto,
            query_time=known.query_time,
            tickets=True,
        )


def _proposals(
    written: dict[str, Any], histories: list[AccountHistory]
) -> list[tuple[AccountHistory, ContractTerms]]:
    """Each account with the proposed terms completed from its contract. Contracts that complete
    them alike share one expansion (it generates holiday lists), and an invalid proposal fails
    here, before any work is split across processes."""
    expanded: dict[tuple[Any, ...], ContractTerms] = {}
    found = []
    for history in histories:
        contract = history.contract
        if contract is None:
            continue
        current = contract.versions[-1].terms
        # a proposal patches the current terms (rule `patch_terms`): alike only if they are
        key = (current.model_dump_json(), contract.starts_at, contract.timezone)
        if key not in expanded:
            expanded[key] = cmp.proposed_terms(written, contract)
        found.append((history, expanded[key]))
    return found


def _compare_account(
    history: AccountHistory, terms: ContractTerms, first: Month, last: Month, now: datetime
) -> tuple[list[cmp.MonthComparison], list[cmp.TermComparison]]:
    """One account's months and terms from `first` to `last`, actual beside proposed."""
    assert history.contract is not None
    months: list[cmp.MonthComparison] = []
    totals: list[cmp.TermComparison] = []
    for term in terms_between(history.contract, first, last, now):
        old = term_credit(history, term, query_time=now, months=(first, last))
        new = term_credit(history, term, query_time=now, months=(first, last), terms=terms)
        by_month, total = cmp.compare_terms(history.account_id, old, new)
        months += by_month
        totals.append(total)
    return months, totals
