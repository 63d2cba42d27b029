"""The HTTP API: `create_app` serves the ledger's services over FastAPI.

Nothing is built at import time. The lifespan opens the services (`api.bootstrap`), starts the
projection runner in a background thread (unless told not to) and closes both on shutdown.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.bootstrap import open_services
from api.errors import register_errors
from api.limits import RequestLimits
from api.routes import ROUTERS
from api.settings import Settings, settings_from_environment

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The SLA Ledger HTTP API on the configured store (`settings`, else the environment's)."""
    config = settings or settings_from_environment()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = open_services(config)
        app.state.sla = services
        stop = threading.Event()
        follower = threading.Thread(
            target=services.runner.follow, args=(stop, config.poll_seconds), name="read-models",
            daemon=True,
        )  # fmt: skip
        if config.follow:
            follower.start()
        try:
            yield
        finally:
            stop.set()
            if follower.is_alive():
                follower.join(timeout=10)
            services.close()

    app = FastAPI(
        title="SLA Ledger",
        version="1.0",
        summary="An event-sourced ledger of service-level agreements.",
        description=(
            "Record the facts behind SLAs (contracts, outages, maintenance, support tickets, "
            "renewals) and read availability, ticket clocks and credits - as they stand now or "
            "as they were known at any recorded time (`as_of`). Authenticate with "
            "`Authorization: Bearer <key>` or `X-API-Key: <key>`."
        ),
        lifespan=lifespan,
    )
    register_errors(app)
    app.add_middleware(RequestLimits)
    for router in ROUTERS:
        app.include_router(router)
    return app
