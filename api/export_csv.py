"""Every report as CSV: one row per item of the report's list, its heading figures repeated as
leading columns so each row stands alone. Exact values, as in the JSON (numbers are strings).

Works on the JSON form (`model_dump(mode="json")`), so the CLI and the HTTP API write the same file.
"""

from __future__ import annotations

import csv
import io
from typing import Any

__all__ = ["report_csv", "report_rows"]

# The list a report's rows come from, by the key that holds it (first match wins).
_ROW_KEYS = ("breaches", "adjustments", "tickets", "months", "timeline", "events")
_PERIODS = (
    ("counted", "unavailable_periods"),
    ("ignored", "ignored_periods"),
    ("excluded", "excluded_periods"),
    ("open", "open_outages"),
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(_cell(_name(item)) for item in value)
    return str(value)


def _name(item: Any) -> Any:
    """A list item's name in one cell: a ticket, maintenance window or event by its id."""
    if not isinstance(item, dict):
        return item
    return item.get("ticket_id") or item.get("maintenance_id") or item.get("event_id", "")


def _flat(item: dict[str, Any], prefix: str = "") -> dict[str, str]:
    row: dict[str, str] = {}
    for key, value in item.items():
        if isinstance(value, dict):
            row.update(_flat(value, f"{prefix}{key}."))
        elif key != "evidence":
            row[f"{prefix}{key}"] = _cell(value)
    return row


def _heading(data: dict[str, Any]) -> dict[str, str]:
    scalars = {key: value for key, value in data.items() if not isinstance(value, list)}
    scalars.pop("page", None)
    return _flat(scalars)


def report_rows(data: dict[str, Any]) -> list[dict[str, str]]:
    """The rows of a report in its JSON form (see the module's docstring)."""
    heading = _heading(data)
    if "unavailable_periods" in data:  # an account-month: one row per period
        rows = []
        for kind, key in _PERIODS:
            for item in data.get(key, []):
                rows.append({**heading, "kind": kind, **_flat(item)})
        return rows or [{**heading, "kind": "none"}]
    if "new" in data and "old" in data:  # a diff: the month then and now
        return [{**heading, "when": when, **_flat(data[when] or {})} for when in ("old", "new")]
    for key in _ROW_KEYS:
        items = data.get(key)
        if isinstance(items, list) and (not items or isinstance(items[0], dict)):
            return [{**heading, **_flat(item)} for item in items]
    return [heading]


def report_csv(data: dict[str, Any]) -> str:
    """The report as CSV text with a header row (columns: the union, in first-seen order)."""
    rows = report_rows(data)
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
