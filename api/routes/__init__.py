"""The HTTP API's routers, one per resource."""

from api.routes import (
    accounts,
    events,
    health,
    integrations,
    maintenance,
    outages,
    proof,
    reports,
    tickets,
)

ROUTERS = (
    outages.router,
    maintenance.router,
    tickets.router,
    accounts.router,
    events.router,
    reports.router,
    proof.router,
    health.router,
    integrations.router,
)

__all__ = ["ROUTERS"]
