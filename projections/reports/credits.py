"""Credit reports: statements, adjustments of renewals, what-if replay and diff.

Each reads the events a term needs as known at the moment asked, then hands them to the rules of
`projections.credits`; nothing here decides an amount.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ledger.errors import InvalidQuery, NotFound
from ledger.events import EventRef, contract_id
from ledger.state import ContractState
from ledger.subscription import term_bounds
from ledger.terms import ContractTerms
from ledger.timevalues import Month, contract_zone
from projections.credits import (
    AdjustmentList,
    CreditStatement,
    Diff,
    Replay,
    TermCredit,
    credit_statement,
    term_credit,
)
from projections.credits import comparisons as cmp
from projections.credits.term import term_at
from projections.credits.terms_view import terms_changes
from projections.evidence import event_ref
from projections.history import AccountHistory, fold_history
from projections.loader import load_contract, load_histories
from projections.parallel import collector_paused, map_in_processes
from projections.progress import Progress, counted, silent
from projections.reports.base import (
    WIDEST_OFFSET,
    KnownBy,
    ReportBase,
    in_any_zone,
    whole_months,
)

__all__ = ["CreditReports"]


class CreditReports(ReportBase):
    """Credits of terms, and comparisons under other terms or at other times."""

    def _contract(self, account_id: str, known: KnownBy) -> ContractState:
        return load_contract(self.reader, account_id, known.upto).contracts[account_id]

    def _term_history(self, account_id: str, term: int, known: KnownBy) -> AccountHistory:
        contract = self._contract(account_id, known)
        start, end = whole_months(*term_bounds(contract.versions, term), contract.timezone)
        histories = load_histories(
            self.reader,
            [account_id],
            start - WIDEST_OFFSET,
            min(end, known.query_time) + WIDEST_OFFSET,
            upto=known.upto,
            query_time=known.query_time,
            tickets=True,
        )
        return histories[account_id]

    def credits(
        self,
        account_id: str,
        *,
        term: int | None = None,
        at: datetime | None = None,
        as_of: datetime | None = None,
    ) -> CreditStatement:
        """The credit statement of a term: the term numbered `term`, else the one containing
        `at`, else the current one ("if we renewed today").

        Raises:
            InvalidQuery: both `term` and `at` are given.
        """
        if term is not None and at is not None:
            raise InvalidQuery("give a term or an instant in it (at), not both")
        known = self.known_by(as_of)
        contract = self._contract(account_id, known)
        number = term if term is not None else term_at(contract, at or known.query_time)
        return credit_statement(
            self._term_history(account_id, number, known),
            number,
            query_time=known.query_time,
            as_of=known.as_of,
            as_of_position=known.upto,
        )

    def adjustments(self, as_of: datetime | None = None) -> AdjustmentList:
        """Renewed terms whose credit owed now differs from what the renewal applied."""
        known = self.known_by(as_of)
        found = []
        for account in self.reader.renewal_accounts(known.upto):
            for term, renewal in sorted(self._contract(account, known).renewals.items()):
                assert renewal.ref is not None
                now = term_credit(
                    self._term_history(account, term, known), term, query_time=known.query_time
                )
                if not cmp.owes_adjustment(renewal, now):
                    continue
                then_known = KnownBy(renewal.ref.position, renewal.ref.recorded_at, None)
                then = term_credit(
                    self._term_history(account, term, then_known),
                    term,
                    query_time=then_known.query_time,
                )
                changed = self._changed_by(
                    account, then.evidence, now.evidence, renewal.ref.position, known.upto
                )
                found.append(cmp.adjustment_of(account, renewal, then, now, changed))
        return AdjustmentList(
            query_time=known.query_time,
            as_of=known.as_of,
            as_of_position=known.upto,
            adjustments=found,
        )

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

    def diff(self, account_id: str, month: Month, as_of: datetime, vs: datetime) -> Diff:
        """One account-month as known at two recorded times, and the events that changed it."""
        before, after = self.known_by(as_of), self.known_by(vs)
        credits = self._month_credit(account_id, month, after)
        new = _whole_month_outcome(credits)
        earlier: list[TermCredit] = []
        try:
            earlier = self._month_credit(account_id, month, before)
            old: cmp.MonthOutcome | None = _whole_month_outcome(earlier)
        except NotFound:
            old = None  # the account was not known yet at the earlier time
        return Diff(
            account_id=account_id,
            month=str(month),
            as_of=as_of,
            vs=vs,
            as_of_position=before.upto,
            vs_position=after.upto,
            old=old,
            new=new,
            changed=cmp.changed_fields(old, new),
            changed_by=self._changed_by(
                account_id,
                [ref for credit in earlier for ref in credit.evidence],
                [ref for credit in credits for ref in credit.evidence],
                before.upto,
                after.upto,
            ),
        )

    def _month_credit(self, account_id: str, month: Month, known: KnownBy) -> list[TermCredit]:
        """The month's credit in each term it falls in (two when a renewal date cuts it)."""
        contract = self._contract(account_id, known)
        terms = _terms_between(contract, month, month, known.query_time) or [
            term_at(contract, month.bounds(contract_zone(contract.timezone))[0])
        ]
        return [
            term_credit(
                self._term_history(account_id, term, known),
                term,
                query_time=known.query_time,
                months=(month, month),
            )
            for term in terms
        ]

    def _changed_by(
        self, account_id: str, old: list[EventRef], new: list[EventRef], before: int, after: int
    ) -> list[EventRef]:
        """Feeds rule `changed_by` the later events of every entity behind the earlier answer."""
        rows = self.reader.rows_at(sorted({ref.position for ref in old}))
        entities = sorted({row.originator_id for row in rows} - {contract_id(account_id)})
        later = [event_ref(row) for row in self.reader.rows_for(entities, after)]
        return cmp.changed_by(new, later, before, after)


def _whole_month_outcome(credits: list[TermCredit]) -> cmp.MonthOutcome:
    """A month's outcome from its slices in every term it falls in."""
    currencies = sorted({credit.currency for credit in credits})
    if len(currencies) > 1:
        raise InvalidQuery(
            f"the month is split between terms billed in {' and '.join(currencies)}; "
            "compare each term's credits instead"
        )
    return cmp.month_outcome([c for credit in credits for c in credit.months], currencies[0])


def _terms_between(contract: ContractState, first: Month, last: Month, now: datetime) -> list[int]:
    """The terms overlapping the months from `first` to `last` (up to now)."""
    zone = contract_zone(contract.timezone)
    start = max(first.bounds(zone)[0], contract.starts_at)
    end = min(last.bounds(zone)[1], now)
    if end <= start:
        return []
    return list(range(term_at(contract, start), term_at(contract, end - timedelta(seconds=1)) + 1))


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
    for term in _terms_between(history.contract, first, last, now):
        old = term_credit(history, term, query_time=now, months=(first, last))
        new = term_credit(history, term, query_time=now, months=(first, last), terms=terms)
        by_month, total = cmp.compare_terms(history.account_id, old, new)
        months += by_month
        totals.append(total)
    return months, totals
