"""Availability and ticket reports: the read-model table when it holds the answer, else
recomputed from the log as of the moment asked ("what did we know, and tell the customer,
then?"). Rules are in the read models' packages; here only which rows to read."""

from __future__ import annotations

from datetime import datetime, timedelta

from ledger.store.ports import ALL_ACCOUNTS
from ledger.timevalues import Month, contract_zone
from projections.availability import (
    AvailabilityReport,
    BreachList,
    MonthAvailability,
    availability_report,
    breach_list,
    measure_month,
    monthly_availability,
)
from projections.availability.table import month_from_stored
from projections.credits.terms_view import ContractTermsView, contract_terms
from projections.evidence import EventRef, event_ref
from projections.history import History
from projections.loader import (
    load_account_history,
    load_contract,
    load_histories,
    load_ticket,
    tickets_opened,
)
from projections.reports.base import KnownBy, ReportBase, in_any_zone
from projections.tickets import (
    AtRisk,
    AtRiskList,
    TicketLine,
    TicketMonth,
    TicketReport,
    clock_for_ticket,
    ticket_report,
)
from projections.tickets.listing import ticket_line, ticket_month
from projections.tickets.table import report_from_stored

__all__ = ["AccountReports"]


class AccountReports(ReportBase):
    """Reports for accounts and months, current or as of a past recorded time."""

    # --- availability ---------------------------------------------------------------------

    def availability(
        self, account_id: str, month: Month, as_of: datetime | None = None
    ) -> AvailabilityReport:
        """The availability report of an account-month (see projections.availability)."""
        if self.from_tables(as_of):
            self.current_tables()
        known = self.known_by(as_of)
        if self.from_tables(as_of):
            row = self.runner.view.availability_row(account_id, str(month))
            if row is not None and not row.has_open:
                stored = month_from_stored(row.report, self._event_refs)
                return availability_report(stored).model_copy(
                    update={"query_time": known.query_time, "as_of_position": known.upto}
                )
        start, end = in_any_zone(month, month)
        history = load_account_history(
            self.reader, account_id, start, end, upto=known.upto, query_time=known.query_time
        )
        measured = measure_month(
            history,
            month,
            query_time=known.query_time,
            as_of=known.as_of,
            as_of_position=known.upto,
        )
        return availability_report(measured)

    def breaches(self, month: Month, as_of: datetime | None = None) -> BreachList:
        """Every account whose month missed its target, worst first."""
        if self.from_tables(as_of):
            self.current_tables()
        known = self.known_by(as_of)
        if self.from_tables(as_of):
            rows = {row.account_id: row for row in self.runner.view.availability_rows(str(month))}
            # Rows of months with an open outage were computed at an earlier "now": redo them.
            recompute = {account for account, row in rows.items() if row.has_open}
            recompute |= self._accounts_with_open_outages(known.upto)
            stored = [
                month_from_stored(row.report, None)
                for account, row in rows.items()
                if not row.met and account not in recompute
            ]
            months = stored + self._months(sorted(recompute), month, known)
        else:
            months = self._months(self.reader.account_ids(known.upto), month, known)
        return breach_list(
            months,
            month,
            query_time=known.query_time,
            as_of=known.as_of,
            as_of_position=known.upto,
        )

    def _accounts_with_open_outages(self, upto: int) -> set[str]:
        keys = set(self.reader.open_outage_accounts(upto))
        if ALL_ACCOUNTS in keys:
            return set(self.reader.account_ids(upto))
        return keys

    def _event_refs(self, positions: list[int]) -> dict[int, EventRef]:
        return {row.position: event_ref(row) for row in self.reader.rows_at(positions)}

    def _months(self, accounts: list[str], month: Month, known: KnownBy) -> list[MonthAvailability]:
        if not accounts:
            return []
        start, end = in_any_zone(month, month)
        histories = load_histories(
            self.reader, accounts, start, end, upto=known.upto, query_time=known.query_time
        )
        months: list[MonthAvailability] = []
        for history in histories.values():
            found = monthly_availability(
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
        if self.from_tables(as_of):
            self.current_tables()
        known = self.known_by(as_of)
        if self.from_tables(as_of):
            row = self.runner.view.ticket_row(ticket_id)
            if row is not None and not row.live:
                return report_from_stored(row.report).model_copy(
                    update={"query_time": known.query_time, "as_of_position": known.upto}
                )
        history = load_ticket(self.reader, ticket_id, known.upto)
        clock = clock_for_ticket(
            history, ticket_id, known.query_time, as_of=known.as_of, as_of_position=known.upto
        )
        return ticket_report(clock)

    def tickets(self, account_id: str, month: Month, as_of: datetime | None = None) -> TicketMonth:
        """The tickets an account opened in a month, counted by priority and state."""
        if self.from_tables(as_of):
            self.current_tables()
        known = self.known_by(as_of)
        history = tickets_opened(self.reader, account_id, *in_any_zone(month, month), known.upto)
        zone_name = history.contracts[account_id].timezone
        zone = contract_zone(zone_name)
        names = [
            name
            for name, ticket in history.tickets.items()
            if Month.containing(ticket.opened_at, zone) == month
        ]
        lines = [
            self._ticket_line(history, name, known, current=self.from_tables(as_of))
            for name in names
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

    def _ticket_line(
        self, history: History, name: str, known: KnownBy, current: bool
    ) -> TicketLine:
        if current:
            row = self.runner.view.ticket_row(name)
            if row is not None and not row.live:
                return ticket_line(report_from_stored(row.report))
        return ticket_line(ticket_report(clock_for_ticket(history, name, known.query_time)))

    def at_risk(self, within_seconds: int) -> AtRiskList:
        """Open tickets whose running clock reaches its target within the window, soonest first."""
        self.current_tables()
        now = self.clock()
        rows = self.runner.view.running_tickets(now + timedelta(seconds=within_seconds))
        soon = [row for row in rows if row.due_at is not None and row.due_at > now]
        upto = self.known_by(None).upto
        return AtRiskList(
            query_time=now,
            within_seconds=within_seconds,
            tickets=[
                self._at_risk(row.ticket_id, row.account_id, row.priority, row.due_at, now, upto)
                for row in soon
                if row.due_at is not None
            ],
            overdue=[row.ticket_id for row in rows if row.due_at is not None and row.due_at <= now],
        )

    def _at_risk(
        self,
        ticket_id: str,
        account_id: str,
        priority: str,
        due_at: datetime,
        now: datetime,
        upto: int,
    ) -> AtRisk:
        """One at-risk ticket, its clock recomputed now: the business time its target has left
        and the calendar's zone (the stored row holds only when it is due)."""
        history = load_ticket(self.reader, ticket_id, upto)
        report = ticket_report(clock_for_ticket(history, ticket_id, now))
        due = [t for t in report.targets if t.running and t.due_at == due_at]
        target = due[0] if due else None
        return AtRisk(
            ticket_id=ticket_id,
            account_id=account_id,
            priority=priority,
            due_at=due_at,
            seconds_left=int((due_at - now).total_seconds()),
            business_seconds_left=target.remaining_seconds if target else report.remaining_seconds,
            timezone=target.calendar_timezone if target else report.calendar_timezone,
        )  # fmt: skip

    def terms(
        self, account_id: str, at: datetime | None = None, as_of: datetime | None = None
    ) -> ContractTermsView:
        """The account's terms in force at `at` (default: the query time) and every version with
        its effective and recorded time and what it changed, as known at `as_of`.

        Raises:
            NotFound: the account had no contract by then.
        """
        known = self.known_by(as_of)
        contract = load_contract(self.reader, account_id, known.upto).contracts[account_id]
        return contract_terms(
            contract,
            at or known.query_time,
            query_time=known.query_time,
            as_of=known.as_of,
            as_of_position=known.upto,
        )
