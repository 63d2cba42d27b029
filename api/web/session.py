"""Signing in to the web view: the API key is checked once, then the browser holds a signed,
timed, HttpOnly, SameSite=Strict cookie naming the key (never the key itself). A revoked key's
cookie stops working on the next page."""

from __future__ import annotations

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.bootstrap import Services
from api.keys import ApiKey

__all__ = ["COOKIE", "MAX_AGE_SECONDS", "signed_in", "ticket_for"]

COOKIE = "sla_ledger_session"
MAX_AGE_SECONDS = 8 * 3600  # one working day
_SALT = "sla-ledger-ui-session"


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.ui_secret, salt=_SALT)


def ticket_for(request: Request, key: ApiKey) -> str:
    """The cookie value for a key that just signed in."""
    return str(_serializer(request).dumps(key.key_id))


def signed_in(request: Request, services: Services) -> ApiKey | None:
    """The key behind the request's cookie, if the cookie is genuine, fresh, and the key is
    still valid."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        key_id = _serializer(request).loads(value, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    key = services.keys.get(str(key_id))
    return key if key is not None and key.revoked_at is None else None
