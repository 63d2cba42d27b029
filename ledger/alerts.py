"""Alertmanager's webhook (payload version 4) translated into outage facts.

Rules (README "Rules", *Alertmanager*):
- `alert_accounts`: the accounts an alert concerns come from its labels: `<scope label>="all"`
  (every account) or `<accounts label>="a,b"` (those accounts); an alert with neither concerns
  no account and records nothing.
- `alert_outage_id`: one outage per alert firing, named `am-<fingerprint>-<startsAt in UTC>`, so a
  repeated notification or a retry names the same outage.
- `alert_facts`: firing records `outage.started` at `startsAt`; resolved records the same start
  (a duplicate if it is stored) and `outage.ended` at `endsAt`. Each event_id derives from the
  fingerprint, `startsAt` and the status, so nothing is recorded twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = [
    "Alert",
    "AlertmanagerPayload",
    "LabelMapping",
    "alert_accounts",
    "alert_facts",
    "alert_outage_id",
]


class Alert(BaseModel):
    """One alert of a notification (the fields the ledger reads; the others are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    startsAt: AwareDatetime
    endsAt: AwareDatetime | None = None
    fingerprint: str = Field(pattern=r"^[0-9a-f]{1,64}$")


class AlertmanagerPayload(BaseModel):
    """A webhook notification: a group of alerts."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: Literal["4"]
    status: Literal["firing", "resolved"]
    receiver: str = ""
    alerts: list[Alert] = Field(max_length=1000)


@dataclass(frozen=True)
class LabelMapping:
    scope_label: str = "sla_scope"
    accounts_label: str = "sla_accounts"


def alert_accounts(labels: dict[str, str], mapping: LabelMapping) -> Literal["all"] | list[str]:
    """Rule `alert_accounts`: "all", or the accounts named (empty: the alert concerns none)."""
    if labels.get(mapping.scope_label, "").strip().lower() == "all":
        return "all"
    named = labels.get(mapping.accounts_label, "")
    return list(dict.fromkeys(part.strip() for part in named.split(",") if part.strip()))


def _stamp(instant: datetime) -> str:
    utc = instant.astimezone(UTC)
    fraction = f".{utc.microsecond:06d}" if utc.microsecond else ""
    return utc.strftime("%Y%m%dT%H%M%S") + fraction + "Z"


def alert_outage_id(alert: Alert) -> str:
    """Rule `alert_outage_id`: the outage an alert's firing is (at most 87 characters)."""
    return f"am-{alert.fingerprint}-{_stamp(alert.startsAt)}"


def alert_facts(alert: Alert, accounts: Literal["all"] | list[str]) -> list[dict[str, Any]]:
    """Rule `alert_facts`: the facts (import format) one alert records for `accounts`.

    `accounts` must not be empty (an alert that concerns no account records nothing).
    """
    outage_id = alert_outage_id(alert)
    name = alert.labels.get("alertname", "alert")
    scope: dict[str, Any] = {"scope": "all"} if accounts == "all" else {"accounts": accounts}
    started = {
        "type": "outage.started",
        "event_id": f"{outage_id}-firing",
        "outage_id": outage_id,
        "at": alert.startsAt.isoformat(),
        "source": f"alertmanager: {name}"[:2000],
        **scope,
    }
    if alert.status == "firing" or alert.endsAt is None:
        return [started]
    ended = {
        "type": "outage.ended",
        "event_id": f"{outage_id}-resolved",
        "outage_id": outage_id,
        "at": alert.endsAt.isoformat(),
    }
    return [started, ended]
