"""The Jinja2 environment of the web view and the PDF: the templates and the display filters."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from api.text import duration, local, money, plural, verdict
from api.web.timeline import WIDTH, month_marks, month_ticks
from projections.availability import AvailabilityReport
from projections.credits import CreditStatement

__all__ = ["COLOURS", "month_html", "page", "statement_html"]

# The marks' colours, as SVG attributes (WeasyPrint's SVG ignores CSS fill).
COLOURS = {
    "counted": "#c62828",
    "ignored": "#f9a825",
    "excluded": "#1565c0",
    "holiday": "#1565c0",
    "open": "#6a1b9a",
    "paused": "#f9a825",
    "closed": "#bbbbbb",
    "stopped": "#bbbbbb",
    "no_target": "#bbbbbb",
}


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("api.web", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
    )
    env.filters.update(local=local, duration=duration, money=money, verdict=verdict)
    env.globals.update(plural=plural, colours=COLOURS)
    return env


def page(template: str, **values: Any) -> str:
    """A page of the web view (`caller_key`: who is signed in, for the sign-out bar)."""
    values.setdefault("caller_key", None)
    values.setdefault("pdf", False)
    return _environment().get_template(template).render(**values)


def month_html(report: AvailabilityReport, **values: Any) -> str:
    """The account-month statement: the same page for the browser and the PDF."""
    values.setdefault("diff", None)
    values.setdefault("as_of_text", "")
    values.setdefault("vs_text", "")
    return page(
        "month.html",
        r=report,
        marks=month_marks(report),
        ticks=month_ticks(report),
        width=WIDTH,
        **values,
    )


def statement_html(statement: CreditStatement, **values: Any) -> str:
    values.setdefault("term", None)
    values.setdefault("adjustments", [])
    values.setdefault("contract", None)  # the account page shows the terms in force
    return page("statement.html", s=statement, **values)
