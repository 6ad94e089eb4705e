"""The plugin's ASGI app: health, OAuth, MailChimp webhooks and the activity view."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from calendarspots_mailchimp.core.errors import (
    CalendarspotsError,
    InvalidInput,
    LinkSpent,
    NotFound,
)
from calendarspots_mailchimp.core.services.webhooks.events import (
    EVENT_TYPES,
    MAX_FIELDS,
    ForeignList,
)
from calendarspots_mailchimp.entrypoints.container import Container, runtime, stop_background
from calendarspots_mailchimp.entrypoints.errors import http_status, one_line
from calendarspots_mailchimp.entrypoints.http import pages
from calendarspots_mailchimp.entrypoints.http.access import (
    caller,
    not_found,
    spent_link,
    wants_html,
    wants_json,
)
from calendarspots_mailchimp.entrypoints.http.guard import InputGuard
from calendarspots_mailchimp.entrypoints.http.metrics import Metrics
from calendarspots_mailchimp.entrypoints.http.owner import owner_activity, owner_routes
from calendarspots_mailchimp.entrypoints.http.redaction import redact_access_log
from calendarspots_mailchimp.entrypoints.messages import (
    callback_state,
    connect_json,
    connect_message,
    entry_json,
)

log = logging.getLogger("calendarspots_mailchimp.http")

MAX_WEBHOOK_BODY = 64 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def read_body(request: Request) -> bytes | None:
    """The body, or None past MAX_WEBHOOK_BODY (refused before reading it all when declared)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_WEBHOOK_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_WEBHOOK_BODY:
            return None
    return bytes(body)


def parse_form(body: bytes) -> dict[str, str] | None:
    """A strict application/x-www-form-urlencoded parser: None for anything malformed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _BAD_PERCENT.search(text):
        return None
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        return None
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)  # MailChimp's own sample repeats a key: first wins (§6.3)
    return form


def event_type(form: dict[str, str]) -> str:
    """A metric label: MailChimp's event type, never whatever a sender made up."""
    kind = form.get("type", "")
    return kind if kind in EVENT_TYPES else "other"


def create_app(container: Container) -> Starlette:
    metrics = Metrics(container)
    telemetry = container.telemetry()

    async def health(request: Request) -> Response:
        def probe() -> None:
            with container.uow()() as uow:
                uow.tenants.list()

        try:
            await run_in_threadpool(probe)
        except Exception:
            log.exception("health check: database unavailable")
            return JSONResponse({"status": "error", "database": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    def authorized(request: Request, tenant_id: str) -> bool:
        return caller(container, request, tenant_id) is not None

    async def oauth_start(request: Request) -> Response:
        """Redirects to MailChimp only for a caller vouched for (the host's auth hook, the
        admin token) or holding the one-use link `connect` printed. Anything else is the same
        404 for a known and an unknown tenant, and writes nothing: an open start route would
        let anyone connect a business's client list to their own MailChimp account. A browser
        that opens a link we issued for this tenant, used or expired, is told so on that 404."""
        tenant_id = request.query_params.get("tenant", "").strip()
        link_token = request.query_params.get("link_token", "")
        if not tenant_id:
            return problem(400, "the tenant query parameter is required")
        links = container.start_links()
        try:
            if link_token:
                url = await run_in_threadpool(links.redeem, tenant_id, link_token)
            elif authorized(request, tenant_id):
                url = await run_in_threadpool(links.authorize_url, tenant_id)
            else:
                return not_found()
        except NotFound:
            return not_found()
        except LinkSpent as spent:
            # The contract: anything but a vouched caller or a live link gets the unknown
            # tenant's 404. A browser (the owner) gets that 404 with a page saying the link
            # was used or has expired and what to do; anything else, the plain 404.
            if not wants_html(request):
                return not_found()
            return await spent_link(container, request, tenant_id, spent, status=404)
        except CalendarspotsError as exc:
            return problem(http_status(exc), one_line(exc))
        return RedirectResponse(url, status_code=302)

    async def oauth_callback(request: Request) -> Response:
        params = request.query_params
        lang = pages.language(request)
        try:
            result = await run_in_threadpool(
                container.connect_service().callback,
                params.get("code", ""),
                params.get("state", ""),
                params.get("error", ""),
            )
        except CalendarspotsError as exc:
            status = http_status(exc)
            if wants_json(request):
                return JSONResponse({"ok": False, "message": one_line(exc)}, status_code=status)
            return HTMLResponse(
                pages.callback_page("failed", one_line(exc, lang), lang), status_code=status
            )
        if wants_json(request):
            # JSON speaks English unless `?lang=` asks otherwise (a machine's stable words).
            return JSONResponse(connect_json(result, request.query_params.get("lang", "en")))
        tenant = await run_in_threadpool(container.tenants().get, result.tenant_id)
        lang = pages.language(request, tenant.locale)
        return HTMLResponse(
            pages.callback_page(
                callback_state(result), connect_message(result, lang), lang, result.tenant_id
            )
        )

    async def webhook(request: Request) -> Response:
        tenant_id = request.path_params["tenant_id"]
        secret = request.path_params["secret"]
        inbound = container.inbound_service()
        try:
            body = b"" if request.method in ("GET", "HEAD") else await read_body(request)
        except ClientDisconnect:
            # The sender left before its body came: nothing was stored, MailChimp retries.
            log.info("webhook: the client disconnected before sending its whole body")
            return problem(400, "incomplete body")
        if body is None:
            return problem(413, "body too large")
        # A tenant this process read a moment ago and the right secret: no database read.
        tenant = inbound.authenticate_cached(tenant_id, secret)
        if tenant is None:
            try:
                tenant = await run_in_threadpool(inbound.authenticate, tenant_id, secret)
            except NotFound:
                return not_found()
        if not body:
            # MailChimp's URL validator: a GET, or an empty POST (docs/mailchimp-api.md §6.2).
            return PlainTextResponse("ok")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != FORM_TYPE:
            return problem(415, f"expected {FORM_TYPE}")
        form = parse_form(body)
        if form is None:
            return problem(400, "malformed form body")
        try:
            checked = inbound.check(tenant, form)
            if checked.foreign:
                checked = await run_in_threadpool(inbound.refuse, checked)
            # The one durable write: answered once the inbox row is committed.
            event_id = await asyncio.wrap_future(inbound.submit(checked))
        except NotFound:
            return not_found()
        except ForeignList as exc:
            # Refused and logged, but answered 2xx: a 4xx would make MailChimp retry for 75
            # minutes and may get the webhook disabled (docs/mailchimp-api.md §6.5).
            telemetry.webhook_event(event_type(form), "refused")
            return JSONResponse({"ok": False, "outcome": "refused", "error": exc.message})
        except InvalidInput as exc:
            return problem(400, exc.message)
        except Exception:
            # Not stored: a 5xx makes MailChimp deliver it again later (docs/mailchimp-api.md §6.5).
            log.exception("storing a webhook event for tenant %s failed", tenant_id)
            return problem(503, "temporarily unavailable")
        receipt = inbound.receipt(event_id)
        telemetry.webhook_event(event_type(form), str(receipt.outcome))
        return JSONResponse(
            {"ok": True, "outcome": receipt.outcome, "duplicate": receipt.duplicate}
        )

    async def activity(request: Request) -> Response:
        tenant_id = request.path_params["tenant_id"]
        if not authorized(request, tenant_id):
            return JSONResponse(
                {"error": "authentication required"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        accept = request.headers.get("accept", "")
        if "text/html" in accept or request.query_params.get("format") == "html":
            return await owner_activity(container, request, tenant_id)
        try:
            limit = int(request.query_params.get("limit", "50"))
            offset = int(request.query_params.get("offset", "0"))
        except ValueError:
            return problem(400, "limit and offset must be whole numbers")
        kinds = [k for k in request.query_params.getlist("kind") if k]
        try:
            entries, total = await run_in_threadpool(
                container.tenants().activity, tenant_id, limit, offset, kinds
            )
        except CalendarspotsError as exc:
            return problem(http_status(exc), one_line(exc))
        # The body is the list of entries ({at, kind, message, details}, as the CLI prints
        # them); paging travels in headers so the body stays that plain list.
        headers = {"Cache-Control": "no-store", "X-Total-Count": str(total)}
        if offset + len(entries) < total:
            query = urlencode(
                [("limit", limit), ("offset", offset + limit)] + [("kind", k) for k in kinds]
            )
            headers["Link"] = f'<{request.url.path}?{query}>; rel="next"'
        return JSONResponse([entry_json(e) for e in entries], headers=headers)

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/oauth/mailchimp/start", oauth_start, methods=["GET"]),
        Route("/oauth/mailchimp/callback", oauth_callback, methods=["GET"]),
        Route("/webhooks/mailchimp/{tenant_id}/{secret}", webhook, methods=["GET", "HEAD", "POST"]),
        Route("/tenants/{tenant_id}/activity", activity, methods=["GET"]),
        Route("/metrics", metrics.endpoint, methods=["GET"]),
        *owner_routes(container),
    ]
    redact_access_log()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        # A server stopping (SIGTERM) writes what it took in and ends its batch; kill -9
        # loses nothing either: what was answered is committed, the rest was not answered.
        await run_in_threadpool(stop_background, container)

    app = Starlette(routes=routes, middleware=[Middleware(InputGuard)], lifespan=lifespan)
    # Applies stored events off the request path; at once what a killed process left.
    container.inbox_applier().start()
    app.state.container = container
    return app


def runtime_app() -> Starlette:
    """The app of this process's runtime: `serve --workers N` builds one in each process."""
    app = create_app(runtime())
    settle_heap()
    return app


def settle_heap() -> None:
    """Called once a serving process has built its app: what exists now (modules, the schema,
    the container) lives as long as the process, so Python's cyclic collector stops scanning
    it. Its full collections over that heap stalled every request in flight for ~100 ms
    (benchmarks/webhook_load.py at 50 connections: p99 104-216 ms before, ~60 ms after)."""
    gc.freeze()


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)
