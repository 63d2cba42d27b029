"""Watching the ledger itself: Prometheus metrics and one JSON log line per write or refusal.

Counters live in this process (`METRICS`); the gauges (read-model lag, open outages, tickets at
risk) are read from the store at each scrape, so every server process reports the same values.
Log lines go to stderr through the `sla_ledger` logger (`configure_logging`).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from api.bootstrap import Services
from ledger.application import RecordOutcome
from ledger.errors import ConflictingFacts, LedgerError, NotFound, RejectedFacts

__all__ = [
    "AT_RISK_SECONDS",
    "METRICS",
    "READ_MODELS",
    "configure_logging",
    "exposition",
    "log_event",
    "observe_refusal",
    "observe_write",
]

AT_RISK_SECONDS = 3600  # `sla_ledger_tickets_at_risk`: running tickets due within this hour
READ_MODELS = ("availability", "tickets", "credits")
log = logging.getLogger("sla_ledger")
_LISTED = 100  # a write's log line lists the first 100 event ids and positions


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.recorded = Counter(
            "sla_ledger_facts_recorded", "Facts recorded (not duplicates), by type.",
            ["type"], registry=self.registry,
        )  # fmt: skip
        self.refused = Counter(
            "sla_ledger_facts_refused", "Writes refused, by reason (invalid, conflict, not_found).",
            ["reason"], registry=self.registry,
        )  # fmt: skip
        self.alerts = Counter(
            "sla_ledger_alerts", "Alertmanager alerts received, by outcome.",
            ["outcome"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "sla_ledger_request_duration_seconds", "HTTP request latency, by route.",
            ["method", "route"], registry=self.registry,
        )  # fmt: skip


METRICS = Metrics()


class _StoreGauges(Collector):
    """The gauges read from the store at scrape time."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[GaugeMetricFamily]:
        reader = self.services.ledger.reader
        view = self.services.runner.view
        head = reader.head()[0]
        tracked = view.tracked_position()
        behind = reader.read_log(tracked, 1) if tracked < head else []
        now = datetime.now(UTC)
        seconds = (now - behind[0].recorded_at).total_seconds() if behind else 0.0
        positions = GaugeMetricFamily(
            "sla_ledger_read_model_lag_positions", "Events recorded but not yet applied.",
            labels=["read_model"],
        )  # fmt: skip
        age = GaugeMetricFamily(
            "sla_ledger_read_model_lag_seconds",
            "Age of the oldest event not yet applied (0 when current).", labels=["read_model"],
        )  # fmt: skip
        for name in READ_MODELS:
            positions.add_metric([name], head - tracked)
            age.add_metric([name], max(seconds, 0.0))
        yield positions
        yield age
        yield GaugeMetricFamily(
            "sla_ledger_open_outages",
            'Accounts with an open outage ("*", a service-wide outage, counts once).',
            value=len(set(reader.open_outage_accounts(head))),
        )
        running = view.running_tickets(now + timedelta(seconds=AT_RISK_SECONDS))
        due = [row.due_at for row in running if row.due_at is not None]
        yield GaugeMetricFamily(
            "sla_ledger_tickets_at_risk", "Running tickets due within the next hour.",
            value=sum(1 for at in due if at > now),
        )  # fmt: skip
        yield GaugeMetricFamily(
            "sla_ledger_tickets_overdue", "Running tickets past their target.",
            value=sum(1 for at in due if at <= now),
        )  # fmt: skip


def exposition(services: Services) -> bytes:
    """The text exposition format: this process's counters and the store's gauges."""
    gauges = CollectorRegistry()
    gauges.register(_StoreGauges(services))
    return generate_latest(METRICS.registry) + generate_latest(gauges)


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "event": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        return json.dumps(line, default=str, separators=(",", ":"))


def configure_logging(level: str) -> None:
    """JSON lines on stderr from the `sla_ledger` loggers, at `level` and above."""
    if not any(isinstance(handler.formatter, _JsonLines) for handler in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_JsonLines())
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(level)


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    log.log(level, event, extra={"fields": fields})


def observe_write(actor: str, outcome: RecordOutcome) -> None:
    """A batch was written (or was all duplicates): count it and log one line."""
    for fact in outcome.facts:
        if fact.status == "recorded":
            METRICS.recorded.labels(fact.type).inc()
    facts = outcome.facts
    log_event(
        "write",
        actor=actor,
        recorded=outcome.recorded,
        duplicates=outcome.duplicates,
        event_ids=[fact.event_id for fact in facts[:_LISTED]],
        positions=[fact.position for fact in facts[:_LISTED]],
        **(
            {"listed": _LISTED, "last_position": facts[-1].position} if len(facts) > _LISTED else {}
        ),
    )


def observe_refusal(actor: str, error: LedgerError) -> None:
    """A batch was refused: nothing appended. Count it and log one line."""
    reason = (
        "conflict" if isinstance(error, ConflictingFacts)
        else "not_found" if isinstance(error, NotFound)
        else "invalid" if isinstance(error, RejectedFacts) else "other"
    )  # fmt: skip
    METRICS.refused.labels(reason).inc()
    log_event("refused", logging.WARNING, actor=actor, reason=reason, error=str(error))
