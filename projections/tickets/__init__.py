"""The support-ticket read model: business-time clocks (the studio-hardware SLA).

`clock` counts a metric's business time; `rules` holds the priority-change, due and state rules;
`measure` strings them into one typed result per ticket (`TicketClock`); `report` and `listing`
are what users read; `table` keeps it in the read-model table.
"""

from projections.tickets.listing import AtRisk, AtRiskList, TicketLine, TicketMonth
from projections.tickets.measure import TicketClock, clock_for_ticket, measure_ticket
from projections.tickets.report import TicketReport, ticket_report

__all__ = [
    "AtRisk",
    "AtRiskList",
    "TicketClock",
    "TicketLine",
    "TicketMonth",
    "TicketReport",
    "clock_for_ticket",
    "measure_ticket",
    "ticket_report",
]
