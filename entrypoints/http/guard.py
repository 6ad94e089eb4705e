"""Route parameters checked before any route runs, by the rules of core/validation.py, so a
request answers the same on SQLite and PostgreSQL (which refuses NUL in any text it is
handed): a tenant id no tenant can have, or a path holding a control character, is the
404 of an unknown tenant; a query parameter holding one (or longer than 1,000 characters)
is a 400. Nothing is looked up, nothing is logged with the value."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from calendarspots_mailchimp.core.validation import is_route_text, is_tenant_id
from calendarspots_mailchimp.entrypoints.http.access import not_found
from calendarspots_mailchimp.entrypoints.i18n import translate
from calendarspots_mailchimp.entrypoints.messages import error_words

# Routes whose segment after this prefix is a tenant id.
TENANT_PREFIXES = ("/tenants/", "/webhooks/mailchimp/")
# Query parameters that name a tenant.
TENANT_PARAMETERS = ("tenant",)


def refusal(scope: Scope) -> Response | None:
    """The answer for a request whose parameters no route may read, or None."""
    path: str = scope.get("path", "")
    if not is_route_text(path):
        return not_found()
    for prefix in TENANT_PREFIXES:
        if path.startswith(prefix):
            tenant_id = path[len(prefix) :].split("/", 1)[0]
            if not is_tenant_id(tenant_id):
                return not_found()
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if not (is_route_text(name) and is_route_text(value)):
            said = error_words("query_parameter", {}, translate("en"))  # JSON: English
            return JSONResponse({"error": said, "code": "query_parameter"}, status_code=400)
        if name in TENANT_PARAMETERS and value.strip() and not is_tenant_id(value.strip()):
            return not_found()
    return None


class InputGuard:
    """Pure ASGI middleware: answers `refusal(scope)` instead of routing, when there is one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            answer = refusal(scope)
            if answer is not None:
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)
