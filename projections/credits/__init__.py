"""Service credits: per term, exactly (`rules`), as a statement (`statement`), and compared under
other terms or at other times (`comparisons`)."""

from projections.credits.comparisons import Adjustment, AdjustmentList, Diff, Replay
from projections.credits.statement import CreditStatement, credit_statement
from projections.credits.term import TermCredit, term_credit

__all__ = [
    "Adjustment",
    "AdjustmentList",
    "CreditStatement",
    "Diff",
    "Replay",
    "TermCredit",
    "credit_statement",
    "term_credit",
]
