"""Answering questions: the one service the CLI and the HTTP API both call.

Current-state questions read the materialised tables (after catching them up, unless a background
runner keeps them current). `as_of` questions recompute from the log, using only the events
recorded at or before that instant: "what did we know, and tell the customer, then?"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from ledger.application import SlaLedger
from ledger.domain import contract_id
from ledger.errors import InvalidQuery, NotFound
from ledger.records import ALL_ACCOUNTS
from ledger.subscription import term_bounds
from ledger.terms import ContractTerms
from ledger.timevalues import Month, contract_zone, utc_now
from projections.availability import (
    AvailabilityReport,
    BreachList,
    Facts,
    availability_report,
    breach_list,
    from_stored_form,
    monthly_facts,
)
from projections.credits import (
    Adjustment,
    AdjustmentList,
    CreditStatement,
    Diff,
    MonthComparison,
    MonthOutcome,
    Replay,
    TermComparison,
    TermCredit,
    changed_fields,
    compare_terms,
    credit_statement,
    month_outcome,
    proposed_terms,
    term_at,
    term_credit,
    totals_by_currency,
)
from projections.history import (
    AccountHistory,
    ContractHistory,
    EventRef,
    History,
    event_ref,
    fold_history,
)
from projections.loader import (
    load_account_history,
    load_contract,
    load_histories,
    load_ticket,
    tickets_opened,
)
from projections.parallel import collector_paused, map_in_processes
from projections.runner import ReadModelRunner
from projections.tickets import (
    AtRisk,
    AtRiskList,
    TicketLine,
    TicketMonth,
    TicketReport,
    report_for_ticket,
    ticket_line,
    ticket_month,
)

__all__ = ["KnownBy", "Reports"]

_WIDEST_OFFSET = timedelta(hours=14)  # every IANA zone's month lies inside UTC's month +- 14 h


@dataclass(frozen=True)
class KnownBy:
    """The moment a question is answered for: a prefix of the log and the query's "now"."""

    upto: int
    query_time: datetime
    as_of: datetime | None


class Reports:
    """Reports for accounts and months, current or as of a past recorded time."""

    def __init__(
        self,
        ledger: SlaLedger,
        runner: ReadModelRunner | None = None,
        *,
        catch_up: bool = True,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.ledger = ledger
        self.runner = runner or ReadModelRunner(ledger)
        self.catch_up_before_reading = catch_up
        self.clock = clock

    def known_by(self, as_of: datetime | None) -> KnownBy:
        if as_of is None:
            return KnownBy(self.ledger.reader.head()[0], self.clock(), None)
        return KnownBy(self.ledger.reader.position_at(as_of), as_of, as_of)

    def _current_tables(self) -> None:
        if self.catch_up_before_reading:
            self.runner.catch_up_to(self.ledger.reader.head()[0])

    # --- availability ---------------------------------------------------------------------

    def availability(
        self, account_id: str, month: Month, as_of: datetime | None = None
    ) -> AvailabilityReport:
        """The availability report of an account-month (see projections.availability)."""
        if as_of is None:
            self._current_tables()
        known = self.known_by(as_of)
        if as_of is None:
            row = self.runner.view.availability_row(account_id, str(month))
            if row is not None and not row.has_open:
                document = from_stored_form(row.report, self._event_refs)
                document.update(query_time=known.query_time, as_of_position=known.upto)
                return AvailabilityReport.model_validate(document)
        start, end = _in_any_zone(month, month)
        history = load_account_history(
            self.ledger.reader,
            account_id,
            start,
            end,
            upto=known.upto,
            query_time=known.query_time,
        )
        return availability_report(
            history,
            month,
            query_time=known.query_time,
            as_of=known.as_of,
            as_of_position=known.upto,
        )

    def breaches(self, month: Month, as_of: datetime | None = None) -> BreachList:
        """Every account whose month missed its target, worst first."""
        if as_of is None:
            self._current_tables()
        known = self.known_by(as_of)
        if as_of is None:
            rows = {row.account_id: row for row in self.runner.view.availability_rows(str(month))}
            # Rows of months with an open outage were computed at an earlier "now": redo them.
            recompute = {account for account, row in rows.items() if row.has_open}
            recompute |= self._accounts_with_open_outages(known.upto)
            stored = [
                orjson.loads(row.report)
                for account, row in rows.items()
                if not row.met and account not in recompute
            ]
            months = stored + self._month_facts(sorted(recompute), month, known)
        else:
            accounts = self.ledger.reader.account_ids(known.upto)
            months = self._month_facts(accounts, month, known)
        return breach_list(
            months,
            month,
            query_time=known.query_time,
            as_of=known.as_of,
            as_of_position=known.upto,
        )

    def _accounts_with_open_outages(self, upto: int) -> set[str]:
        keys = set(self.ledger.reader.open_outage_accounts(upto))
        if ALL_ACCOUNTS in keys:
            return set(self.ledger.reader.account_ids(upto))
        return keys

    def _event_refs(self, positions: list[int]) -> dict[int, EventRef]:
        return {row.position: event_ref(row) for row in self.ledger.reader.rows_at(positions)}

    def _month_facts(self, accounts: list[str], month: Month, known: KnownBy) -> list[Facts]:
        if not accounts:
            return []
        start, end = _in_any_zone(month, month)
        histories = load_histories(
            self.ledger.reader,
            accounts,
            start,
            end,
            upto=known.upto,
            query_time=known.query_time,
        )
        months: list[Facts] = []
        for history in histories.values():
            found = monthly_facts(
                history,
                [month],
                query_time=known.query_time,
                as_of=known.as_of,
                as_of_position=known.upto,
            )
            months += found.values()
        return months

    # --- support tickets ------------------------------------------------------------------

    def ticket(self, ticket_id: str, as_of: datetime | None = None) -> TicketReport:
        """A ticket's SLA clock (see projections.tickets)."""
        if as_of is None:
            self._current_tables()
        known = self.known_by(as_of)
        if as_of is None:
            row = self.runner.view.ticket_row(ticket_id)
            if row is not None and not row.live:
                stored = TicketReport.model_validate_json(row.report)
                return stored.model_copy(
                    update={"query_time": known.query_time, "as_of_position": known.upto}
                )
        history = load_ticket(self.ledger.reader, ticket_id, known.upto)
        return report_for_ticket(
            history, ticket_id, known.query_time, as_of=known.as_of, as_of_position=known.upto
        )

    def tickets(self, account_id: str, month: Month, as_of: datetime | None = None) -> TicketMonth:
        """The tickets an account opened in a month, counted by priority and state."""
        if as_of is None:
            self._current_tables()
        known = self.known_by(as_of)
        history = tickets_opened(
            self.ledger.reader, account_id, *_in_any_zone(month, month), known.upto
        )
        zone_name = history.contracts[account_id].timezone
        zone = contract_zone(zone_name)
        names = [
            name
            for name, ticket in history.tickets.items()
            if Month.containing(ticket.opened_at, zone) == month
        ]
        if as_of is None:
            lines = self._current_ticket_lines(history, names, known)
        else:
            lines = [
                ticket_line(report_for_ticket(history, name, known.query_time)) for name in names
            ]
        return ticket_month(
            account_id,
            str(month),
            zone_name,
            lines,
            query_time=known.query_time,
            as_of=known.as_of,
            as_of_position=known.upto,
        )

    def _current_ticket_lines(
        self, history: History, names: list[str], known: KnownBy
    ) -> list[TicketLine]:
        lines = []
        for name in names:
            row = self.runner.view.ticket_row(name)
            if row is not None and not row.live:
                lines.append(ticket_line(TicketReport.model_validate_json(row.report)))
            else:
                lines.append(ticket_line(report_for_ticket(history, name, known.query_time)))
        return lines

    def at_risk(self, within_seconds: int) -> AtRiskList:
        """Open tickets whose running clock reaches its target within the window, soonest first."""
        self._current_tables()
        now = self.clock()
        rows = self.runner.view.running_tickets(now + timedelta(seconds=within_seconds))
        soon = [row for row in rows if row.due_at is not None and row.due_at > now]
        return AtRiskList(
            query_time=now,
            within_seconds=within_seconds,
            tickets=[
                AtRisk(
                    ticket_id=row.ticket_id,
                    account_id=row.account_id,
                    priority=row.priority,
                    due_at=row.due_at,
                    seconds_left=int((row.due_at - now).total_seconds()),
                )
                for row in soon
                if row.due_at is not None
            ],
            overdue=[row.ticket_id for row in rows if row.due_at is not None and row.due_at <= now],
        )

    # --- credits ----------------------------------------------------------------------------

    def _term_history(
        self, account_id: str, term: int, known: KnownBy
    ) -> tuple[AccountHistory, int]:
        contract = load_contract(self.ledger.reader, account_id, known.upto).contracts[account_id]
        start, end = _whole_months(*term_bounds(contract.terms_versions(), term), contract.timezone)
        histories = load_histories(
            self.ledger.reader,
            [account_id],
            start - _WIDEST_OFFSET,
            min(end, known.query_time) + _WIDEST_OFFSET,
            upto=known.upto,
            query_time=known.query_time,
            tickets=True,
        )
        return histories[account_id], term

    def credits(
        self,
        account_id: str,
        *,
        term: int | None = None,
        at: datetime | None = None,
        as_of: datetime | None = None,
    ) -> CreditStatement:
        """The credit statement of a term: the term numbered `term`, else the one containing
        `at`, else the current one ("if we renewed today")."""
        known = self.known_by(as_of)
        contract = load_contract(self.ledger.reader, account_id, known.upto).contracts[account_id]
        number = term if term is not None else term_at(contract, at or known.query_time)
        history, _ = self._term_history(account_id, number, known)
        return credit_statement(
            history,
            number,
            query_time=known.query_time,
            as_of=known.as_of,
            as_of_position=known.upto,
        )

    def adjustments(self, as_of: datetime | None = None) -> AdjustmentList:
        """Renewed terms whose credit owed now differs from what the renewal applied."""
        known = self.known_by(as_of)
        found = []
        for account in self.ledger.reader.renewal_accounts(known.upto):
            contract = load_contract(self.ledger.reader, account, known.upto).contracts[account]
            for term, renewal in sorted(contract.renewals.items()):
                now = term_credit(
                    self._term_history(account, term, known)[0], term, query_time=known.query_time
                )
                if now.total == renewal.amount:
                    continue
                then_known = KnownBy(renewal.ref.position, renewal.ref.recorded_at, None)
                then = term_credit(
                    self._term_history(account, term, then_known)[0],
                    term,
                    query_time=then_known.query_time,
                )
                found.append(
                    Adjustment(
                        account_id=account,
                        term=term,
                        currency=now.currency,
                        applied=str(renewal.amount),
                        owed_at_renewal=str(then.total),
                        owed_now=str(now.total),
                        difference=str(now.total - renewal.amount),
                        renewal_event_id=renewal.ref.event_id,
                        renewal_recorded_at=renewal.ref.recorded_at,
                        changed_by=self._changed_by(
                            account,
                            then.evidence,
                            now.evidence,
                            renewal.ref.position,
                            known.upto,
                        ),
                    )
                )
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
        as_of: datetime | None = None,
    ) -> Replay:
        """What-if: the months from `first` to `last` under proposed terms beside the actual
        ones, for one account or every account, as known now or at `as_of`. Nothing is
        appended."""
        if last < first:
            raise InvalidQuery(f"--to {last} is before --from {first}")
        known = self.known_by(as_of)
        accounts = [account_id] if account_id else self.ledger.reader.account_ids(known.upto)
        with collector_paused():
            histories = self._replay_histories(account_id, first, last, known)
            if account_id and account_id not in histories:
                raise NotFound(f"unknown account {account_id!r}")
            proposals = _proposals(proposed, [histories[a] for a in accounts if a in histories])
            compared = map_in_processes(
                lambda part: [
                    _compare_account(history, terms, first, last, known.query_time)
                    for history, terms in part
                ],
                proposals,
            )
        months = [month for by_month, _ in compared for month in by_month]
        terms = [term for _, by_term in compared for term in by_term]
        return Replay(
            accounts=accounts,
            from_month=str(first),
            to_month=str(last),
            months=months,
            terms=terms,
            totals=totals_by_currency(terms),
            query_time=known.query_time,
            as_of=known.as_of,
            as_of_position=known.upto,
        )

    def _replay_histories(
        self, account_id: str | None, first: Month, last: Month, known: KnownBy
    ) -> dict[str, AccountHistory]:
        """One account's history in the replayed window, or everyone's: then one streamed pass
        over the log is far cheaper than index lookups for every account."""
        if account_id is None:
            return fold_history(self.ledger.reader.scan_log(known.upto)).by_account()
        start, end = _in_any_zone(first, last)
        return load_histories(
            self.ledger.reader,
            [account_id],
            start,
            min(end, known.query_time + _WIDEST_OFFSET),
            upto=known.upto,
            query_time=known.query_time,
            tickets=True,
        )

    def _month_credit(self, account_id: str, month: Month, known: KnownBy) -> list[TermCredit]:
        """The month's credit in each term it falls in (two when a renewal date cuts it)."""
        contract = load_contract(self.ledger.reader, account_id, known.upto).contracts[account_id]
        terms = _terms_between(contract, month, month, known.query_time) or [
            term_at(contract, month.bounds(contract_zone(contract.timezone))[0])
        ]
        credits = []
        for term in terms:
            history, _ = self._term_history(account_id, term, known)
            credits.append(
                term_credit(history, term, query_time=known.query_time, months=(month, month))
            )
        return credits

    def _changed_by(
        self,
        account_id: str,
        old: list[EventRef],
        new: list[EventRef],
        before: int,
        after: int,
    ) -> list[EventRef]:
        """Rule `changed_by`: the events recorded in (before, after] that either answer rests on:
        new evidence, and later events of every outage, window or ticket behind the earlier
        answer (a correction that moved an outage out of the month is named too)."""
        rows = self.ledger.reader.rows_at(sorted({ref.position for ref in old}))
        entities = sorted({row.originator_id for row in rows} - {contract_id(account_id)})
        later = [
            row for row in self.ledger.reader.rows_for(entities, after) if row.position > before
        ]
        return _by_position(
            [
                *(ref for ref in new if before < ref.position <= after),
                *(event_ref(row) for row in later),
            ]
        )

    def diff(self, account_id: str, month: Month, as_of: datetime, vs: datetime) -> Diff:
        """One account-month as known at two recorded times, and the events that changed it."""
        before, after = self.known_by(as_of), self.known_by(vs)
        credits = self._month_credit(account_id, month, after)
        new = _whole_month_outcome(credits)
        earlier: list[TermCredit] = []
        try:
            earlier = self._month_credit(account_id, month, before)
            old: MonthOutcome | None = _whole_month_outcome(earlier)
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
            changed=changed_fields(old, new),
            changed_by=self._changed_by(
                account_id,
                [ref for credit in earlier for ref in credit.evidence],
                [ref for credit in credits for ref in credit.evidence],
                before.upto,
                after.upto,
            ),
        )


def _in_any_zone(first: Month, last: Month) -> tuple[datetime, datetime]:
    """A window holding the months `first` to `last` in every time zone, for reads made before
    the account's contract (and so its zone) is known."""
    utc = contract_zone("UTC")
    return first.bounds(utc)[0] - _WIDEST_OFFSET, last.bounds(utc)[1] + _WIDEST_OFFSET


def _whole_months(start: datetime, end: datetime, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) widened to whole months: a month cut by a term boundary is measured whole."""
    zone = contract_zone(timezone)
    return (
        Month.containing(start, zone).bounds(zone)[0],
        Month.containing(end - timedelta(microseconds=1), zone).bounds(zone)[1],
    )


def _whole_month_outcome(credits: list[TermCredit]) -> MonthOutcome:
    """A month's outcome from its slices in every term it falls in."""
    currencies = sorted({credit.currency for credit in credits})
    if len(currencies) > 1:
        raise InvalidQuery(
            f"the month is split between terms billed in {' and '.join(currencies)}; "
            "compare each term's credits instead"
        )
    return month_outcome([c for credit in credits for c in credit.months], currencies[0])


def _by_position(refs: Iterable[EventRef]) -> list[EventRef]:
    return sorted({ref.position: ref for ref in refs}.values(), key=lambda ref: ref.position)


def _terms_between(
    contract: ContractHistory, first: Month, last: Month, now: datetime
) -> list[int]:
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
        current = contract.versions[-1].version.terms
        key = (current.timezone, current.term, contract.starts_at, contract.timezone)
        if key not in expanded:
            expanded[key] = proposed_terms(written, contract)
        found.append((history, expanded[key]))
    return found


def _compare_account(
    history: AccountHistory, terms: ContractTerms, first: Month, last: Month, now: datetime
) -> tuple[list[MonthComparison], list[TermComparison]]:
    """One account's months and terms from `first` to `last`, actual beside proposed."""
    assert history.contract is not None
    months: list[MonthComparison] = []
    totals: list[TermComparison] = []
    for term in _terms_between(history.contract, first, last, now):
        old = term_credit(history, term, query_time=now, months=(first, last))
        new = term_credit(history, term, query_time=now, months=(first, last), terms=terms)
        by_month, total = compare_terms(history.account_id, old, new)
        months += by_month
        totals.append(total)
    return months, totals
