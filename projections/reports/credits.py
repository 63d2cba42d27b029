"""Credit reports: statements, adjustments of renewals and diff (what-if replay: `replays`).

Each reads the events a term needs as known at the moment asked, then hands them to the rules of
`projections.credits`; nothing here decides an amount.
"""

from __future__ import annotations

from datetime import datetime

from ledger.errors import InvalidQuery, NotFound
from ledger.events import EventRef, contract_id
from ledger.state import ContractState
from ledger.subscription import term_bounds
from ledger.timevalues import Month, contract_zone
from projections.credits import (
    AdjustmentList,
    CreditStatement,
    Diff,
    TermCredit,
    credit_statement,
    term_credit,
)
from projections.credits import comparisons as cmp
from projections.credits.term import term_at, terms_between
from projections.evidence import event_ref
from projections.history import AccountHistory
from projections.loader import load_contract, load_histories
from projections.reports.base import (
    WIDEST_OFFSET,
    KnownBy,
    ReportBase,
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
        terms = terms_between(contract, month, month, known.query_time) or [
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
