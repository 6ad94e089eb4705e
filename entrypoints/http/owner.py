"""The owner's Newsletters page (`/tenants/{id}/newsletters`) and its actions.

Standalone, the one-use link `owner-link` prints opens the page once and leaves a session
cookie for that tenant only (HttpOnly, SameSite=Lax, Secure under https, its path the tenant's
own). Hosted, the host's auth hook decides. A caller nobody vouches for gets the same 404 as
for an unknown tenant; the holder of a link we issued that was used or has expired is told so
(410), or, already let in, sent to the page. The actions are POST forms: with the session,
each carries the CSRF token the page gave (a missing or stale one changes nothing).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from calendarspots_mailchimp.core.errors import (
    CalendarspotsError,
    InvalidInput,
    LinkSpent,
    NotConnected,
    NotFound,
    SyncInProgress,
    TooSoon,
)
from calendarspots_mailchimp.core.model import SyncKind
from calendarspots_mailchimp.entrypoints.container import Container
from calendarspots_mailchimp.entrypoints.errors import http_status, one_line
from calendarspots_mailchimp.entrypoints.http import pages
from calendarspots_mailchimp.entrypoints.http.access import (
    SESSION_COOKIE,
    caller,
    not_found,
    spent_link,
    tenant_language,
    wants_json,
)
from calendarspots_mailchimp.entrypoints.http.owner_html import (
    explain_page,
    newsletters_page,
    problem_text,
)
from calendarspots_mailchimp.entrypoints.i18n import N_, translate
from calendarspots_mailchimp.entrypoints.messages import report_message, story_texts
from calendarspots_mailchimp.entrypoints.worker.dispatch import queue_sync_now, worker_configured

_PROBLEM_CODES = {TooSoon: "too_soon", SyncInProgress: "busy", NotConnected: "not_connected"}
ACTIONS = ("authorize", "check", "sync", "confirm", "disconnect", "double-opt-in", "explain")


def owner_routes(container: Container) -> list[Route]:
    async def page(request: Request) -> Response:
        tenant_id = request.path_params["tenant_id"]
        token = request.query_params.get("owner_token", "")
        if token:
            return await _open_session(request, tenant_id, token)
        if caller(container, request, tenant_id) is None:
            return not_found()
        try:
            view = await run_in_threadpool(container.owner_page().view, tenant_id)
        except NotFound:
            return not_found()
        if wants_json(request):
            return JSONResponse(view.as_json(), headers={"Cache-Control": "no-store"})
        lang = pages.language(request, view.tenant.locale)
        session = request.cookies.get(SESSION_COOKIE, "")
        csrf = container.owner_access().csrf_token(session) if session else ""
        done = request.query_params.get("done", "")
        html = newsletters_page(view, lang, csrf, done)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def _open_session(request: Request, tenant_id: str, token: str) -> Response:
        try:
            session = await run_in_threadpool(
                container.owner_access().open_session, tenant_id, token
            )
        except NotFound:
            return not_found()
        except LinkSpent as spent:
            if caller(container, request, tenant_id) is not None:
                # Already let in (the session the link opened): the page, not a dead end.
                return RedirectResponse(f"/tenants/{tenant_id}/newsletters", status_code=303)
            return await spent_link(container, request, tenant_id, spent)
        answer = RedirectResponse(f"/tenants/{tenant_id}/newsletters", status_code=303)
        answer.set_cookie(
            SESSION_COOKIE,
            session.cookie,
            max_age=int((session.expires_at - container.clock().now()).total_seconds()),
            path=f"/tenants/{tenant_id}",
            httponly=True,
            samesite="lax",
            secure=container.settings().public_url.startswith("https://")
            or request.url.scheme == "https",
        )
        return answer

    async def act(request: Request) -> Response:
        tenant_id, action = request.path_params["tenant_id"], request.path_params["action"]
        who = caller(container, request, tenant_id)
        if who is None or action not in ACTIONS:
            return not_found()
        form = await request.form()
        if who == "owner":
            session = request.cookies.get(SESSION_COOKIE, "")
            if not container.owner_access().csrf_ok(session, str(form.get("csrf", ""))):
                return await _answer(request, tenant_id, 403, EXPIRED, "expired")
        if action == "explain":
            return await _explain(request, tenant_id, str(form.get("client", "")).strip())
        try:
            result = await run_in_threadpool(_do, container, tenant_id, action, dict(form))
        except NotFound:
            return not_found()
        except CalendarspotsError as exc:
            minutes = exc.minutes if isinstance(exc, TooSoon) else 0
            code = _PROBLEM_CODES.get(type(exc), "other")
            return await _answer(request, tenant_id, http_status(exc), exc, code, minutes)
        if isinstance(result, str):  # authorize: off to MailChimp
            return RedirectResponse(result, status_code=303)
        if wants_json(request):
            return JSONResponse({"ok": True, "action": action, **result})
        done = "sync-queued" if result.get("queued") else action
        if result.get("synced") is False:  # failed, or held by the guard
            done = "sync-failed"
        elif result.get("checked") is False:
            done = "check-failed"
        return RedirectResponse(f"/tenants/{tenant_id}/newsletters?done={done}", status_code=303)

    async def _explain(request: Request, tenant_id: str, key: str) -> Response:
        """ "Why isn't this client in MailChimp?": the story, in the page's language, without
        the operator's parts (the ledger's hashes, the raw member, the log, the commands)."""
        if not key:
            return await _answer(request, tenant_id, 400, NO_KEY, "no_key")
        try:
            story = await run_in_threadpool(container.explain_client().explain, tenant_id, key)
        except NotFound:
            return await _answer(request, tenant_id, 404, NO_CLIENT, "no_client")
        tenant = story.tenant
        lang = pages.language(request, tenant.locale)
        why, fix, then = story_texts(story, lang, owner=True)
        if wants_json(request):
            data = {"client": story.client.client_id, "why": why, "next_sync": then, "fix": fix}
            return JSONResponse({"ok": True, "action": "explain", **data})
        html = explain_page(story, lang, why, fix, then)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def _answer(
        request: Request,
        tenant_id: str,
        status: int,
        error: CalendarspotsError | str,
        code: str,
        minutes: int = 0,
    ) -> Response:
        """`error`: an exception (worded from its code) or a msgid: the operator's English for
        JSON callers; a browser gets the page's words for a problem of kind `code`."""

        def said(lang: str) -> str:
            if isinstance(error, str):
                return translate(lang)._(error)
            return one_line(error, lang)

        if wants_json(request):
            return JSONResponse({"ok": False, "error": said("en")}, status_code=status)
        lang = await tenant_language(container, request, tenant_id)
        shown = problem_text(code, lang, minutes, said(lang))
        return HTMLResponse(pages.problem_page(shown, lang, tenant_id), status_code=status)

    return [
        Route("/tenants/{tenant_id}/newsletters", page, methods=["GET"]),
        Route("/tenants/{tenant_id}/newsletters/{action}", act, methods=["POST"]),
    ]


EXPIRED = N_("the form has expired: reload the page")
NO_KEY = N_("give an email or a client id")
NO_CLIENT = N_("no such client")


async def owner_activity(container: Container, request: Request, tenant_id: str) -> Response:
    """ "View activity" for browsers (the caller is vouched for): the owner's view of the log
    (core/services/owner_activity.py says what it hides), in the tenant's language and time."""
    params = request.query_params
    show = params.get("show", "all")
    kinds = [k for k in params.getlist("kind") if k]
    try:
        tenant = await run_in_threadpool(container.tenants().get, tenant_id)
    except NotFound:
        return not_found()
    lang = pages.language(request, tenant.locale)
    try:
        limit = int(params.get("limit", str(pages.DEFAULT_LIMIT)))
        offset = int(params.get("offset", "0"))
        page = await run_in_threadpool(
            container.owner_activity().page, tenant_id, show, limit, offset, kinds
        )
    except (ValueError, InvalidInput):
        html = pages.problem_page(pages.words(lang)["bad_paging"], lang, tenant_id)
        return HTMLResponse(html, status_code=400, headers={"Cache-Control": "no-store"})
    html = pages.activity_page(tenant, page, lang, show or "all", kinds, page.names)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _do(container: Container, tenant_id: str, action: str, form: dict[str, Any]) -> Any:
    if action == "authorize":
        return container.start_links().authorize_url(tenant_id)
    if action == "check":
        check = container.check_service().check(tenant_id, fix=True)
        return {"checked": check.ok, "message": check.message, "fixed": check.fixed}
    if action in ("sync", "confirm"):
        if action == "sync":
            container.owner_page().may_sync_now(tenant_id)
            if worker_configured() and queue_sync_now(tenant_id):
                container.owner_page().note_sync_requested(tenant_id)
                return {"queued": True}
        report = container.sync_service().sync(
            tenant_id, SyncKind.MANUAL, confirm=action == "confirm"
        )
        return {"synced": report.ok, "message": report_message(report)}
    if action == "disconnect":
        return container.disconnect_service().disconnect(tenant_id).as_json()
    on = str(form.get("on", "")).lower() in ("1", "true", "on", "yes")
    tenant = container.owner_page().set_double_opt_in(tenant_id, on)
    return {"double_opt_in": tenant.double_opt_in}
