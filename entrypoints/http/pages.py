"""Small HTML pages (English and French): the OAuth result and "View activity"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import quote, urlencode

from starlette.requests import Request

from calendarspots_mailchimp.core.model import ActivityEntry, Tenant
from calendarspots_mailchimp.core.services.owner_activity import OwnerActivityPage
from calendarspots_mailchimp.entrypoints.http.owner_html import client_label
from calendarspots_mailchimp.entrypoints.i18n import LANGUAGES, N_, translate
from calendarspots_mailchimp.entrypoints.messages import reason_fix, reason_text, render

DEFAULT_LIMIT = 20

# Each role's English msgid; the French is in the catalog (entrypoints/locales).
TEXT = {
    "title": N_("Newsletters — activity"),
    "heading": N_("View activity"),
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
    "shown": N_("Entries {a} to {b}, newest first."),
    "at": N_("{date} at {time}"),
    "other": N_("Other"),
    "filters": N_("Show"),
    "paging": N_("Pages"),
    "all": N_("Everything"),
    "problems": N_("Problems"),
    "opt_outs": N_("Unsubscribes"),
    "syncs": N_("Syncs"),
    "older_hidden": N_("Older entries are not shown here."),
    "bad_paging": N_("This page of the activity does not exist: go back to its first page."),
}

# Each kind in the owner's words.
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
    "sync.requested": N_("Sync requested"),
    "contact.unsubscribed": N_("Unsubscribe"),
    "contact.cleaned": N_("Invalid address"),
    "contact.rejected": N_("Contact refused"),
    "contact.removed": N_("Clients removed"),
    "contact.email_changed": N_("Email changed"),
    "mailchimp.subscribe.recorded": N_("New subscriber (noted)"),
    "mailchimp.profile.recorded": N_("Profile changed (noted)"),
    "mailchimp.upemail.recorded": N_("Email changed in MailChimp (noted)"),
    "mailchimp.campaign.recorded": N_("Campaign (noted)"),
}

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
    "padding:.4rem;text-align:left;vertical-align:top}th{background:#f5f5f5}"
    ".ok{color:#176b2c}.bad{color:#a11}.filters{list-style:none;padding:0}"
    ".filters li{display:inline;margin-right:1rem}a[aria-current]{font-weight:bold}"
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


def words(lang: str) -> dict[str, str]:
    """The pages' words (TEXT's roles) in `lang`."""
    w = translate(lang)
    return {role: w._(msgid) for role, msgid in TEXT.items()}


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


# A one-use link we issued, opened again or too late: (link, used) → heading, why; then what
# to do. Nothing of the tenant (its name, its state) is said: only what the link's holder knew.
SPENT: dict[tuple[str, bool], tuple[str, str]] = {
    ("owner", True): (
        N_("This link was already used"),
        N_("For your security, a link to your Newsletters page opens it only once."),
    ),
    ("owner", False): (
        N_("This link has expired"),
        N_("For your security, a link to your Newsletters page works for {minutes} minutes only."),
    ),
    ("start", True): (
        TEXT["replayed"],
        N_(
            "For your security, an authorization link works only once. If you have already "
            "authorized MailChimp with it, there is nothing more to do."
        ),
    ),
    ("start", False): (
        N_("This authorization link has expired"),
        N_("For your security, an authorization link works for {minutes} minutes only."),
    ),
}
SPENT_FIX = N_("To get a new link, contact our support team.")
SPENT_FIX_USED_START = N_("Otherwise, to get a new link, contact our support team.")


def spent_link_page(link: str, used: bool, lang: str, minutes: int) -> str:
    """A one-use link (`start`: the authorization link; `owner`: the Newsletters page's) used
    already or expired: what happened and what to do, without any other link or tenant fact."""
    w = translate(lang)
    heading, why = (w._(msgid, minutes=w.number(minutes)) for msgid in SPENT[(link, used)])
    fix = w._(SPENT_FIX_USED_START if (link, used) == ("start", True) else SPENT_FIX)
    body = (
        f'<main><h1 class="bad">{escape(heading)}</h1><p>{escape(why)}</p>'
        f"<p>{escape(fix)}</p></main>"
    )
    return _page(w.lang, heading, body)


def _back(tenant_id: str, lang: str) -> str:
    href = f"/tenants/{quote(tenant_id)}/newsletters"
    return f'<p><a href="{escape(href)}">{escape(translate(lang)._(TEXT["back"]))}</a></p>'


def activity_page(
    tenant: Tenant,
    page: OwnerActivityPage,
    lang: str,
    show: str = "all",
    kinds: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
) -> str:
    """The owner's "View activity": local times in words, owner words, filters and paging as
    plain links (no JavaScript). `names`: client_id → the client's name, for the clients a
    sync entry lists."""
    w = translate(lang)
    lang = w.lang
    t = words(lang)
    rows = []
    for e in page.entries:
        kind = str(e.kind)
        at = w._(TEXT["at"], date=w.date(e.at, tenant.timezone), time=w.time(e.at, tenant.timezone))
        label = w._(KINDS[kind]) if kind in KINDS else t["other"]
        rows.append(
            f"<tr><td>{escape(at)}</td><td>{escape(label)}</td>"
            f"<td>{escape(render(e, lang, owner=True))}{_clients(e, lang, names or {})}</td></tr>"
        )
    table = (
        f'<table><thead><tr><th scope="col">{t["when"]}</th><th scope="col">{t["what"]}</th>'
        f'<th scope="col">{t["message"]}</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        if rows
        else f"<p>{t['empty']}</p>"
    )

    def href(group: str, offset: int) -> str:
        query = [("format", "html"), ("lang", lang), ("show", group)]
        query += [("offset", str(offset))] if offset else []
        query += [("limit", str(page.limit))] if page.limit != DEFAULT_LIMIT else []
        query += [("kind", k) for k in kinds]
        return escape("?" + urlencode(query))

    filters = []
    for group in ("all", "problems", "opt_outs", "syncs"):
        current = ' aria-current="page"' if group == show else ""
        filters.append(f'<li><a href="{href(group, 0)}"{current}>{escape(t[group])}</a></li>')
    nav = []
    if page.has_newer:
        nav.append(f'<a href="{href(show, max(0, page.offset - page.limit))}">{t["newer"]}</a>')
    if page.has_older:
        nav.append(f'<a href="{href(show, page.offset + page.limit)}">{t["older"]}</a>')
    first = page.offset + 1 if page.entries else 0
    shown = w._(TEXT["shown"], a=w.number(first), b=w.number(page.offset + len(page.entries)))
    older = f"<p>{escape(t['older_hidden'])}</p>" if page.truncated and not page.has_older else ""
    body = (
        f"<main><h1>{escape(t['heading'])} — {escape(tenant.name)}</h1>"
        f'<nav aria-label="{escape(t["filters"])}"><ul class="filters">{"".join(filters)}</ul></nav>'
        f"<p>{escape(shown)}</p>{table}{older}"
        f'<nav aria-label="{escape(t["paging"])}"><p>{" · ".join(nav)}</p></nav>'
        f"{_back(tenant.tenant_id, lang)}</main>"
    )
    return _page(lang, f"{t['title']} — {tenant.name}", body)


def _clients(entry: ActivityEntry, lang: str, names: Mapping[str, str]) -> str:
    """A sync entry's clients not sent (as the owner view keeps them), by name and address."""
    problems = entry.details.get("problems")
    if not isinstance(problems, list) or not problems:
        return ""
    items = []
    for p in problems:
        if not isinstance(p, dict):
            continue
        code = str(p.get("reason", ""))
        fix = reason_fix(code, lang)
        items.append(
            f"<li>{escape(client_label(p, names))} — {escape(reason_text(code, lang))}"
            + (f"<br><small>{escape(fix)}</small>" if fix else "")
            + "</li>"
        )
    return f"<ul>{''.join(items)}</ul>"
