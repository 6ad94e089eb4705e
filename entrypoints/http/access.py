"""Who may act for a tenant over HTTP, and the answers every route shares."""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from calendarspots_mailchimp.core.errors import LinkSpent, NotFound
from calendarspots_mailchimp.entrypoints.container import Container
from calendarspots_mailchimp.entrypoints.errors import one_line
from calendarspots_mailchimp.entrypoints.http import pages

SESSION_COOKIE = "csmc_owner"


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def not_found() -> Response:
    """Exactly what Starlette answers for a route that does not exist."""
    return PlainTextResponse("Not Found", status_code=404)


def wants_html(request: Request) -> bool:
    """A browser: it asks for HTML by name (a script's */* does not)."""
    return "text/html" in request.headers.get("accept", "")


async def tenant_language(container: Container, request: Request, tenant_id: str) -> str:
    """The language of a page about this tenant: the browser's, else the tenant's (English
    for a tenant that does not exist)."""
    try:
        tenant = await run_in_threadpool(container.tenants().get, tenant_id)
    except NotFound:
        return pages.language(request, "en")
    return pages.language(request, tenant.locale)


async def spent_link(
    container: Container, request: Request, tenant_id: str, spent: LinkSpent, status: int = 410
) -> Response:
    """`status` (410 Gone) for a one-use link we issued for this tenant that was used already
    or has expired: what happened and what to do, in the tenant's language (or the
    browser's), and nothing else about the tenant. Forged links never come here (they are
    NotFound)."""
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    if wants_json(request):
        return JSONResponse({"error": one_line(spent)}, status_code=status, headers=headers)
    lang = await tenant_language(container, request, tenant_id)
    html = pages.spent_link_page(spent.link, spent.used, lang, spent.minutes)
    return HTMLResponse(html, status_code=status, headers=headers)


def admin_token(container: Container, request: Request) -> bool | None:
    """True for the right admin bearer token, False for a wrong one, None when none is
    configured or the request carries no bearer token. Compared in constant time."""
    expected = container.settings().admin_token
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return None
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def caller(container: Container, request: Request, tenant_id: str) -> str | None:
    """Who vouches for this request about `tenant_id`: "host" (its auth hook said yes), "admin"
    (the bearer token), "owner" (the session `owner-link` opened), or None. The host's no wins
    over everything."""
    decided = container.hooks().authorize_request(
        tenant_id, request.method, request.url.path, dict(request.headers)
    )
    if decided is not None:
        return "host" if decided else None
    bearer = admin_token(container, request)
    if bearer is not None:
        return "admin" if bearer else None
    session = request.cookies.get(SESSION_COOKIE, "")
    if session and container.owner_access().session_tenant(session) == tenant_id:
        return "owner"
    return None
