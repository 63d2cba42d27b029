"""Answering questions: the one service the CLI and the HTTP API both call.

Current-state questions read the materialised tables (after catching them up, unless a background
runner keeps them current). `as_of` questions recompute from the log, using only the events
recorded at or before that instant: "what did we know, and tell the customer, then?"
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson

from ledger.application import SlaLedger
from ledger.records import ALL_ACCOUNTS
from ledger.timevalues import Month, contract_zone, utc_now
from projections.availability import (
    AvailabilityReport,
    BreachList,
    Document,
    availability_report,
    breach_list,
    from_stored_form,
    monthly_documents,
)
from projections.history import EventRef, event_ref
from projections.loader import load_account_history, load_histories
from projections.runner import ReadModelRunner

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
        self._catching_up = threading.Lock()

    def known_by(self, as_of: datetime | None) -> KnownBy:
        if as_of is None:
            return KnownBy(self.ledger.reader.head()[0], self.clock(), None)
        return KnownBy(self.ledger.reader.position_at(as_of), as_of, as_of)

    def _current_tables(self) -> None:
        if self.catch_up_before_reading:
            with self._catching_up:
                self.runner.catch_up()

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
        # The account's zone is unknown before its contract is read: load the widest window.
        start, end = month.bounds(contract_zone("UTC"))
        history = load_account_history(
            self.ledger.reader,
            account_id,
            start - _WIDEST_OFFSET,
            end + _WIDEST_OFFSET,
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
            documents = stored + self._month_documents(sorted(recompute), month, known)
        else:
            accounts = self.ledger.reader.account_ids(known.upto)
            documents = self._month_documents(accounts, month, known)
        return breach_list(
            documents,
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

    def _month_documents(self, accounts: list[str], month: Month, known: KnownBy) -> list[Document]:
        if not accounts:
            return []
        start, end = month.bounds(contract_zone("UTC"))
        histories = load_histories(
            self.ledger.reader,
            accounts,
            start - _WIDEST_OFFSET,
            end + _WIDEST_OFFSET,
            upto=known.upto,
            query_time=known.query_time,
        )
        documents: list[Document] = []
        for history in histories.values():
            found = monthly_documents(
                history,
                [month],
                query_time=known.query_time,
                as_of=known.as_of,
                as_of_position=known.upto,
            )
            documents += found.values()
        return documents
