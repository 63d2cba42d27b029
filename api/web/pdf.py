"""PDF statements rendered from the web view's HTML by WeasyPrint (no browser process needed)."""

from __future__ import annotations

from pydantic import BaseModel

from api.web.render import month_html, statement_html
from projections.availability import AvailabilityReport
from projections.credits import CreditStatement

__all__ = ["pdf_of"]


def pdf_of(report: BaseModel) -> bytes:
    """The PDF of an account-month statement or a credit statement.

    Raises:
        ValueError: another report (only those two have a PDF form).
    """
    if isinstance(report, AvailabilityReport):
        html = month_html(report, pdf=True)
    elif isinstance(report, CreditStatement):
        html = statement_html(report, pdf=True)
    else:
        raise ValueError("only the availability and credits reports have a PDF form")
    from weasyprint import HTML  # imported here: loading pango is slow and only PDFs need it

    rendered: bytes = HTML(string=html).write_pdf()
    return rendered
