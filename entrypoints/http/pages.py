"""Small HTML pages (English and French): the OAuth result and "View activity"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import quote, urlencode

from starlette.requests import Request

from calendarspots_mailchimp.core.model import ActivityEntry, Tenant
from calendarspots_mailchimp.core.services.owner_activity import OwnerActivityPage
from calendarspots_mailchimp.entrypoints.http.owner_html import client_label, when
from calendarspots_mailchimp.entrypoints.messages import reason_fix, reason_text, render

DEFAULT_LIMIT = 20

TEXT = {
    "en": {
        "title": "Newsletters — activity",
        "heading": "View activity",
        "when": "When",
        "what": "What",
        "message": "Details",
        "empty": "No activity yet.",
        "ok": "MailChimp is connected",
        "partly": "MailChimp is connected, but needs your attention",
        "replayed": "This authorization link was already used",
        "failed": "MailChimp is not connected",
        "back": "Back to the Newsletters page",
        "not_done": "That could not be done",
        "newer": "Newer",
        "older": "Older",
        "shown": "Entries {a} to {b}, newest first.",
        "at": "{date} at {time}",
        "other": "Other",
        "filters": "Show",
        "paging": "Pages",
        "all": "Everything",
        "problems": "Problems",
        "opt_outs": "Unsubscribes",
        "syncs": "Syncs",
        "older_hidden": "Older entries are not shown here.",
        "bad_paging": "This page of the activity does not exist: go back to its first page.",
    },
    "fr": {
        "title": "Infolettres — activité",
        "heading": "Voir l'activité",
        "when": "Quand",
        "what": "Quoi",
        "message": "Détails",
        "empty": "Aucune activité pour l'instant.",
        "ok": "MailChimp est connecté",
        "partly": "MailChimp est connecté, mais demande votre attention",
        "replayed": "Ce lien d'autorisation a déjà servi",
        "failed": "MailChimp n'est pas connecté",
        "back": "Retour à la page Infolettres",
        "not_done": "Cela n'a pas pu être fait",
        "newer": "Plus récentes",
        "older": "Plus anciennes",
        "shown": "Entrées {a} à {b}, les plus récentes d'abord.",
        "at": "le {date} à {time}",
        "other": "Autre",
        "filters": "Afficher",
        "paging": "Pages",
        "all": "Tout",
        "problems": "Problèmes",
        "opt_outs": "Désabonnements",
        "syncs": "Synchronisations",
        "older_hidden": "Les entrées plus anciennes ne sont pas affichées ici.",
        "bad_paging": "Cette page de l'activité n'existe pas : revenez à la première page.",
    },
}

KIND_FR = {
    "authorization.granted": "Autorisation accordée",
    "authorization.revoked": "Autorisation révoquée",
    "authorization.failed": "Autorisation échouée",
    "authorization.disconnected": "MailChimp déconnecté",
    "check.passed": "Vérification réussie",
    "check.failed": "Vérification échouée",
    "check.fixed": "Champs ajoutés",
    "webhook.installed": "Webhook ajouté",
    "webhook.repaired": "Webhook réparé",
    "webhook.refused": "Événement refusé",
    "sync.succeeded": "Synchronisation réussie",
    "sync.partial": "Synchronisation partielle",
    "sync.failed": "Synchronisation échouée",
    "contact.unsubscribed": "Désabonnement",
    "contact.cleaned": "Adresse invalide",
    "contact.rejected": "Contact refusé",
    "contact.removed": "Clients retirés",
    "contact.email_changed": "Courriel modifié",
    "mailchimp.subscribe.recorded": "Nouvel abonné (noté)",
    "mailchimp.profile.recorded": "Profil modifié (noté)",
    "mailchimp.upemail.recorded": "Courriel modifié dans MailChimp (noté)",
    "mailchimp.campaign.recorded": "Campagne (notée)",
    "webhook.failed": "Webhook non installé",
    "sync.held": "Synchronisation retenue",
    "sync.requested": "Synchronisation demandée",
}
KIND_EN = {
    "authorization.granted": "Authorization granted",
    "authorization.revoked": "Authorization revoked",
    "authorization.failed": "Authorization failed",
    "authorization.disconnected": "MailChimp disconnected",
    "check.passed": "Check passed",
    "check.failed": "Check failed",
    "check.fixed": "Fields added",
    "webhook.installed": "Webhook added",
    "webhook.repaired": "Webhook repaired",
    "webhook.refused": "Event refused",
    "webhook.failed": "Webhook not installed",
    "sync.succeeded": "Sync succeeded",
    "sync.partial": "Sync partly done",
    "sync.failed": "Sync failed",
    "sync.held": "Sync held",
    "sync.requested": "Sync requested",
    "contact.unsubscribed": "Unsubscribe",
    "contact.cleaned": "Invalid address",
    "contact.rejected": "Contact refused",
    "contact.removed": "Clients removed",
    "contact.email_changed": "Email changed",
    "mailchimp.subscribe.recorded": "New subscriber (noted)",
    "mailchimp.profile.recorded": "Profile changed (noted)",
    "mailchimp.upemail.recorded": "Email changed in MailChimp (noted)",
    "mailchimp.campaign.recorded": "Campaign (noted)",
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
    if asked in TEXT:
        return asked
    header = request.headers.get("accept-language", "").lower()
    for part in header.split(","):
        code = part.split(";")[0].strip()[:2]
        if code in TEXT:
            return code
    return default if default in TEXT else "en"


def _page(lang: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


def callback_page(state: str, message: str, lang: str, tenant_id: str = "") -> str:
    """`state`: ok, partly (connected, with something to fix), replayed or failed. With the
    tenant known, a link back to its Newsletters page."""
    heading = TEXT[lang][state]
    css = "ok" if state == "ok" else "bad"
    back = _back(tenant_id, lang) if tenant_id else ""
    body = f'<h1 class="{css}">{escape(heading)}</h1><p>{escape(message)}</p>{back}'
    return _page(lang, heading, body)


def problem_page(message: str, lang: str, tenant_id: str) -> str:
    """An action of the owner's page that could not be done: why, and the way back."""
    heading = TEXT[lang]["not_done"]
    body = f'<h1 class="bad">{escape(heading)}</h1><p>{escape(message)}</p>{_back(tenant_id, lang)}'
    return _page(lang, heading, body)


def _back(tenant_id: str, lang: str) -> str:
    href = f"/tenants/{quote(tenant_id)}/newsletters"
    return f'<p><a href="{escape(href)}">{escape(TEXT[lang]["back"])}</a></p>'


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
    t = TEXT[lang]
    labels = KIND_FR if lang == "fr" else KIND_EN
    rows = []
    for e in page.entries:
        kind = str(e.kind)
        date, time = when(e.at, tenant.timezone, lang)
        rows.append(
            f"<tr><td>{escape(t['at'].format(date=date, time=time))}</td>"
            f"<td>{escape(labels.get(kind, t['other']))}</td>"
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
    shown = t["shown"].format(a=first, b=page.offset + len(page.entries))
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
