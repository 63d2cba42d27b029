"""The HTTP API: `create_app` serves the ledger's services over FastAPI.

Nothing is built at import time. The lifespan opens the services (`api.bootstrap`), starts the
projection runner in a background thread (unless told not to) and closes both on shutdown.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi_offline import FastAPIOffline

from api.bootstrap import open_services
from api.errors import register_errors
from api.limits import RequestLimits
from api.observe import METRICS, configure_logging, log_event
from api.routes import ROUTERS
from api.settings import Settings, settings_from_environment
from api.version import VERSION
from api.web import routes as web
from api.web.exports import add_exports
from ledger.store.leadership import FollowerLock

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The SLA Ledger HTTP API on the configured store (`settings`, else the environment's)."""
    config = settings or settings_from_environment()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(config.log_level)
        services = open_services(config)
        app.state.sla = services
        stop = threading.Event()
        lock = FollowerLock(config.database_url)
        app.state.follower_lock = lock
        follower = threading.Thread(
            target=services.runner.follow, args=(stop, config.poll_seconds, _leading(lock)),
            name="read-models", daemon=True,
        )  # fmt: skip
        if config.follow:
            follower.start()
        try:
            yield
        finally:
            stop.set()
            if follower.is_alive():
                follower.join(timeout=10)
            lock.release()
            services.close()

    app = FastAPIOffline(  # /docs and /redoc from the package's assets, not a CDN
        title="SLA Ledger",
        version=VERSION,
        summary="An event-sourced ledger of service-level agreements.",
        description=(
            "Record the facts behind SLAs (contracts, outages, maintenance, support tickets, "
            "renewals) and read availability, ticket clocks and credits - as they stand now or "
            "as they were known at any recorded time (`as_of`). Authenticate with "
            "`Authorization: Bearer <key>` or `X-API-Key: <key>`."
        ),
        lifespan=lifespan,
    )
    app.state.ui_secret = config.ui_secret or secrets.token_urlsafe(32)
    app.state.settings = config
    app.middleware("http")(_timed)
    register_errors(app)
    add_exports(app)
    app.add_middleware(RequestLimits)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(web.router)
    return app


def _leading(lock: FollowerLock) -> Callable[[], bool]:
    """`lock.held`, logging when this process starts or stops keeping the read models current."""
    was = False

    def leading() -> bool:
        nonlocal was
        now = lock.held()
        if now != was:
            log_event("follower", pid=os.getpid(), follows=now, exclusive=lock.exclusive)
            was = now
        return now

    return leading


async def _timed(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Request latency per route template (`/accounts/{account_id}/...`, not each account)."""
    started = time.perf_counter()
    response = await call_next(request)
    route = getattr(request.scope.get("route"), "path", "unmatched")
    METRICS.latency.labels(request.method, route).observe(time.perf_counter() - started)
    return response
