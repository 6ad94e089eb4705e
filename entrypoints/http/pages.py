"""Small HTML pages (English and French): the OAuth result and "View activity"."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import quote, urlencode

from starlette.requests import Request

from calendarspots_mailchimp.core.model import ActivityEntry
from calendarspots_mailchimp.entrypoints.messages import render

TEXT = {
    "en": {
        "title": "Newsletters — activity",
        "heading": "Newsletters → View activity",
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
        "shown": "entries {a}–{b} of {n}",
    },
    "fr": {
        "title": "Infolettres — activité",
        "heading": "Infolettres → Voir l'activité",
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
        "shown": "entrées {a} à {b} sur {n}",
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
    tenant_id: str,
    entries: list[ActivityEntry],
    total: int,
    limit: int,
    offset: int,
    lang: str,
    kinds: Sequence[str] = (),
) -> str:
    t = TEXT[lang]
    rows = []
    for e in entries:
        kind = str(e.kind)
        label = KIND_FR.get(kind, kind) if lang == "fr" else kind
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
    shown = t["shown"].format(a=offset + 1 if entries else 0, b=offset + len(entries), n=total)
    body = (
        f"<h1>{escape(t['heading'])}</h1><p>{escape(tenant_id)} — {escape(shown)}</p>"
        f"{table}<p>{' · '.join(nav)}</p>"
    )
    return _page(lang, t["title"], body)
