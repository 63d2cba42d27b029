"""How figures read for a person: local times with their offset, human durations, money in the
currency's minor unit, met / MISSED, plurals. Pure functions shared by the terminal (`api.show`),
the web view and the exports; JSON keeps the exact values.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from ledger.money import round_to_minor_unit
from ledger.timevalues import contract_zone

__all__ = ["duration", "local", "money", "plural", "verdict"]


def local(value: datetime | None, zone: str | None) -> str:
    """`2026-04-24 15:00 +02:00`: the instant on the contract's clock, with its offset (seconds
    only when there are any); `-` for none."""
    if value is None:
        return "-"
    shown = value.astimezone(contract_zone(zone or "UTC"))
    offset = shown.strftime("%z")
    clock = "%Y-%m-%d %H:%M:%S" if shown.second else "%Y-%m-%d %H:%M"
    return f"{shown.strftime(clock)} {offset[:3]}:{offset[3:]}"


def duration(seconds: int | None) -> str:
    """`1 h 05 min`, `4 h 00 min`, `45 min`, `1 h 00 min 30 s`, `30 s`; `-` for none."""
    if seconds is None:
        return "-"
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = (
        [f"{hours:,} h", f"{minutes:02d} min"] if hours else ([f"{minutes} min"] * bool(minutes))
    )
    if secs or not parts:
        parts.append(f"{secs} s")
    return sign + " ".join(parts)


def money(amount: str | Decimal | None, currency: str) -> str:
    """`1,370.97 EUR`: rounded half up to the currency's minor unit, for display only."""
    if amount is None:
        return "-"
    try:
        exact = Decimal(amount)
    except InvalidOperation:
        return str(amount)
    rounded = round_to_minor_unit(exact, currency)
    return f"{rounded:,} {currency}"


def verdict(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "MISSED")


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 event`, `5 events`, `0 accounts`."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"
