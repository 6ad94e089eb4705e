"""Small HTML pages (English and French): the OAuth result and "View activity"."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import quote, urlencode

from starlette.requests import Request

from calendarspots_mailchimp.core.model import ActivityEntry
from calendarspots_mailchimp.entrypoints.i18n import LANGUAGES, N_, translate
from calendarspots_mailchimp.entrypoints.messages import render

# Each role's English msgid; the French is in the catalog (entrypoints/locales).
TEXT = {
    "title": N_("Newsletters — activity"),
    "heading": N_("Newsletters → View activity"),
    "when": N_("When"),
    "what": N_("What"),
    "message": N_("Details"),
    "empty": N_("No activity yet."),
    "ok": N_("MailChimp is connected"),
    "partly": N_("MailChimp is connected, but needs your attention"),
    "replayed": N_("This authorization link was already used"),
    "failed": N_("MailChimp is not connected"),
    "back": N_("Back to the Newsletters page"),
    "not_done": N_("That could not be done"),
    "newer": N_("Newer"),
    "older": N_("Older"),
    "shown": N_("entries {a}–{b} of {n}"),
}

# Each kind in the owner's words (the code stays in the cell's title).
KINDS = {
    "authorization.granted": N_("Authorization granted"),
    "authorization.revoked": N_("Authorization revoked"),
    "authorization.failed": N_("Authorization failed"),
    "authorization.disconnected": N_("MailChimp disconnected"),
    "check.passed": N_("Check passed"),
    "check.failed": N_("Check failed"),
    "check.fixed": N_("Fields added"),
    "webhook.installed": N_("Webhook added"),
    "webhook.repaired": N_("Webhook repaired"),
    "webhook.refused": N_("Event refused"),
    "webhook.failed": N_("Webhook not installed"),
    "sync.succeeded": N_("Sync succeeded"),
    "sync.partial": N_("Sync partly done"),
    "sync.failed": N_("Sync failed"),
    "sync.held": N_("Sync held"),
    "contact.unsubscribed": N_("Unsubscribed"),
    "contact.cleaned": N_("Invalid address"),
    "contact.rejected": N_("Contact refused"),
    "contact.removed": N_("Clients removed"),
    "contact.email_changed": N_("Email changed"),
    "mailchimp.subscribe.recorded": N_("New subscriber (noted)"),
    "mailchimp.profile.recorded": N_("Profile edited (noted)"),
    "mailchimp.upemail.recorded": N_("Email changed in MailChimp (noted)"),
    "mailchimp.campaign.recorded": N_("Campaign (noted)"),
}

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
    "padding:.4rem;text-align:left;vertical-align:top}th{background:#f5f5f5}"
    ".kind{font-family:monospace;white-space:nowrap}.ok{color:#176b2c}.bad{color:#a11}"
)


def language(request: Request, default: str = "en") -> str:
    """`?lang=`, else the browser's Accept-Language, else `default` (the tenant's locale)."""
    asked = request.query_params.get("lang", "").lower()
    if asked in LANGUAGES:
        return asked
    header = request.headers.get("accept-language", "").lower()
    for part in header.split(","):
        code = part.split(";")[0].strip()[:2]
        if code in LANGUAGES:
            return code
    return default if default in LANGUAGES else "en"


def _page(lang: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


def callback_page(state: str, message: str, lang: str, tenant_id: str = "") -> str:
    """`state`: ok, partly (connected, with something to fix), replayed or failed. With the
    tenant known, a link back to its Newsletters page."""
    heading = translate(lang)._(TEXT[state])
    css = "ok" if state == "ok" else "bad"
    back = _back(tenant_id, lang) if tenant_id else ""
    body = f'<h1 class="{css}">{escape(heading)}</h1><p>{escape(message)}</p>{back}'
    return _page(lang, heading, body)


def problem_page(message: str, lang: str, tenant_id: str) -> str:
    """An action of the owner's page that could not be done: why, and the way back."""
    heading = translate(lang)._(TEXT["not_done"])
    body = f'<h1 class="bad">{escape(heading)}</h1><p>{escape(message)}</p>{_back(tenant_id, lang)}'
    return _page(lang, heading, body)


def _back(tenant_id: str, lang: str) -> str:
    href = f"/tenants/{quote(tenant_id)}/newsletters"
    return f'<p><a href="{escape(href)}">{escape(translate(lang)._(TEXT["back"]))}</a></p>'


def activity_page(
    tenant_id: str,
    entries: list[ActivityEntry],
    total: int,
    limit: int,
    offset: int,
    lang: str,
    kinds: Sequence[str] = (),
) -> str:
    w = translate(lang)
    t = {role: w._(msgid) for role, msgid in TEXT.items()}
    rows = []
    for e in entries:
        kind = str(e.kind)
        label = w._(KINDS[kind]) if kind in KINDS else kind
        message = render(e, lang)
        rows.append(
            f"<tr><td>{escape(e.at.isoformat(timespec='seconds'))}</td>"
            f'<td class="kind" title="{escape(kind)}">{escape(label)}</td>'
            f"<td>{escape(message)}</td></tr>"
        )
    table = (
        f"<table><thead><tr><th>{t['when']}</th><th>{t['what']}</th><th>{t['message']}</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else f"<p>{t['empty']}</p>"
    )

    def link(to: int, text: str) -> str:
        query = [("lang", lang), ("limit", str(limit)), ("offset", str(to)), ("format", "html")]
        query += [("kind", k) for k in kinds]
        return f'<a href="?{escape(urlencode(query))}">{escape(text)}</a>'

    nav = []
    if offset > 0:
        nav.append(link(max(0, offset - limit), t["newer"]))
    if offset + limit < total:
        nav.append(link(offset + limit, t["older"]))
    shown = w._(
        TEXT["shown"],
        a=w.number(offset + 1 if entries else 0),
        b=w.number(offset + len(entries)),
        n=w.number(total),
    )
    body = (
        f"<h1>{escape(t['heading'])}</h1><p>{escape(tenant_id)} — {escape(shown)}</p>"
        f"{table}<p>{' · '.join(nav)}</p>"
    )
    return _page(lang, t["title"], body)
