"""Answering questions: the one service the CLI and the HTTP API both call.

Current-state questions read the materialised tables (after catching them up, unless a background
runner keeps them current). `as_of` questions recompute from the log, using only the events
recorded at or before that instant. Rules live in the read models' packages; the report service
only reads what they need and hands it to them.
"""

from projections.reports.accounts import AccountReports
from projections.reports.base import KnownBy
from projections.reports.credits import CreditReports
from projections.reports.replays import ReplayReports

__all__ = ["KnownBy", "Reports"]


class Reports(AccountReports, CreditReports, ReplayReports):
    """Reports for accounts, months, tickets and terms, current or as of a past recorded time."""
