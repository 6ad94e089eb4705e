"""Who may act for a tenant over HTTP."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from calendarspots_mailchimp.entrypoints.container import Container

SESSION_COOKIE = "csmc_owner"


def caller(container: Container, request: Request, tenant_id: str) -> str | None:
    """Who vouches for this request about `tenant_id`: "host" (its auth hook said yes), "admin"
    (the bearer token), "owner" (the session `owner-link` opened), or None. The host's no wins
    over everything."""
    decided = container.hooks().authorize_request(
        tenant_id, request.method, request.url.path, dict(request.headers)
    )
    if decided is not None:
        return "host" if decided else None
    expected = container.settings().admin_token
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if expected and scheme.lower() == "bearer":
        if hmac.compare_digest(token.strip().encode(), expected.encode()):
            return "admin"
        return None
    session = request.cookies.get(SESSION_COOKIE, "")
    if session and container.owner_access().session_tenant(session) == tenant_id:
        return "owner"
    return None
