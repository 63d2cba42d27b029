"""The ledger's errors.

    LedgerError
    ├── RejectedFacts          some submitted facts are invalid; nothing was appended (HTTP 422)
    ├── ConflictingFacts       an event_id was reused with different content (HTTP 409)
    ├── NotFound               an unknown account, outage, ticket or term (HTTP 404)
    ├── InvalidQuery           a report was asked for with arguments that cannot be answered (422)
    └── StoreUnavailable       the database cannot be reached or set up (HTTP 503)

For one fact, `FactRejected` (malformed: the import format's validation) and `RuleViolation`
(it breaks a rule of the domain) are raised; the application collects them as `LineError`s into
a `RejectedFacts` that names every bad line.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ConflictingFacts",
    "FactRejected",
    "InvalidQuery",
    "LedgerError",
    "LineError",
    "NotFound",
    "RejectedFacts",
    "RuleViolation",
    "StoreUnavailable",
    "UnknownReference",
]


class LedgerError(Exception):
    """Base class of every error the ledger reports to its users."""


@dataclass(frozen=True)
class LineError:
    """One reason a submitted fact was refused: where (line and field) and why.

    `unknown` marks a reference to an account, outage, maintenance window or ticket that does not
    exist (the HTTP API answers those 404 when the identifier is in the URL).
    """

    line: int
    field: str
    reason: str
    unknown: bool = False

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


class FactRejected(ValueError):
    """One fact is malformed; `problems` are (field, reason) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems))
        self.problems = problems

    def line_errors(self, line: int) -> list[LineError]:
        return [LineError(line, field, reason) for field, reason in self.problems]


class RuleViolation(ValueError):
    """A fact breaks a rule of the domain (raised for one fact, by domain code)."""

    unknown = False

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnknownReference(RuleViolation):
    """A fact names an account, outage, maintenance window or ticket the ledger does not know."""

    unknown = True


class RejectedFacts(LedgerError):
    """Submitted facts were invalid. Nothing was appended."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        lines = "; ".join(str(error) for error in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} invalid fact(s), nothing appended: {lines}{more}")


class ConflictingFacts(LedgerError):
    """An event id was already used for different content. Nothing was appended."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))


class NotFound(LedgerError):
    """The ledger knows no such account, outage, ticket, maintenance window or term."""


class InvalidQuery(LedgerError):
    """A report was asked for with arguments that cannot be answered."""


class StoreUnavailable(LedgerError):
    """The event store cannot be reached, or its URL is not usable."""
