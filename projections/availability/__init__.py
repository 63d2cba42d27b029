"""The availability read model: monthly availability per account (the cloud video SLA).

`rules` holds the SLA's rules as pure functions; `month` strings them into one typed result per
account-month (`MonthAvailability`); `report` turns that into the reports users read; `table`
keeps it in the read-model table.
"""

from projections.availability.month import MonthAvailability, monthly_availability
from projections.availability.report import (
    AvailabilityReport,
    Breach,
    BreachList,
    availability_report,
    breach_list,
    measure_month,
)

__all__ = [
    "AvailabilityReport",
    "Breach",
    "BreachList",
    "MonthAvailability",
    "availability_report",
    "breach_list",
    "measure_month",
    "monthly_availability",
]
