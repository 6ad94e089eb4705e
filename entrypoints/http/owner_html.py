"""The Newsletters page in HTML, in French or English: plain forms, no JavaScript."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from calendarspots_mailchimp.core.model import ConnectionState
from calendarspots_mailchimp.core.services.explain import ClientStory
from calendarspots_mailchimp.core.services.newsletters import PageView
from calendarspots_mailchimp.entrypoints.messages import first_sync_text, reason_fix, reason_text

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Infolettres",
        "sync_title": "Synchronisation",
        "held": (
            "La dernière synchronisation aurait modifié une grande partie de votre liste : rien "
            "n'a été envoyé. Vérifiez votre base de données clients, puis confirmez."
        ),
        "confirm": "Confirmer et envoyer",
        "not_connected": "MailChimp n'est pas encore connecté.",
        "connected": (
            "Connecté au compte MailChimp «\u00a0{account}\u00a0»\u00a0: liste "
            "«\u00a0{list}\u00a0», {n}\u00a0contacts."
        ),
        "needs_attention": "MailChimp est connecté, mais demande votre attention.",
        "needs_reauthorization": "MailChimp a refusé l'accès de calendarspots.com : reconnectez-le.",
        "disconnected": "MailChimp est déconnecté. Vos clients restent dans votre base de données.",
        "last": "Dernière synchronisation\u00a0: le {date} à {time}, heure de {place}.",
        "counts": "{created}, {updated}, {skipped}, {failed}.",
        "never": "Aucune synchronisation pour l'instant.",
        "next": "Prochaine synchronisation\u00a0: la nuit du {date}, à partir de {time}.",
        "skipped": "Clients non envoyés à MailChimp",
        "webhook_ok": "Le webhook de MailChimp est en place.",
        "webhook_missing": "Le webhook de MailChimp manque : il sera remis à la prochaine synchronisation.",
        "doi_on": "Les nouveaux contacts reçoivent un courriel de confirmation (double opt-in).",
        "doi_off": "Les nouveaux contacts sont abonnés directement.",
        "authorize": "Autoriser",
        "reconnect": "Reconnecter",
        "check": "Vérifier et réparer",
        "sync": "Synchroniser maintenant",
        "disconnect": "Déconnecter",
        "doi_turn_on": "Demander une confirmation aux nouveaux contacts",
        "doi_turn_off": "Ne plus demander de confirmation",
        "activity": "Voir l'activité",
        "attention_gone": (
            "La liste MailChimp «\u00a0{list}\u00a0» a disparu : recréez-la dans MailChimp, "
            "puis cliquez sur « Vérifier et réparer »."
        ),
        "attention_fields": (
            "La liste MailChimp n'a pas les champs attendus (courriel, prénom, nom, "
            "anniversaire) : cliquez sur « Vérifier et réparer »."
        ),
        "explain_title": "Un client n'est pas dans MailChimp ?",
        "explain_label": "Adresse courriel ou numéro du client",
        "explain": "Expliquer",
        "story_title": "Ce client et MailChimp",
        "story_client": "Client\u00a0: {who}",
        "story_why": "Pourquoi",
        "story_next": "À la prochaine synchronisation",
        "story_fix": "Que faire",
        "back": "Retour à la page Infolettres",
    },
    "en": {
        "title": "Newsletters",
        "sync_title": "Sync",
        "held": (
            "The last sync would have changed much of your audience: nothing was sent. Check "
            "your client database, then confirm."
        ),
        "confirm": "Confirm and send",
        "not_connected": "MailChimp is not connected yet.",
        "connected": "Connected to the MailChimp account “{account}”: audience “{list}”, {n} contacts.",
        "needs_attention": "MailChimp is connected, but needs your attention.",
        "needs_reauthorization": "MailChimp refused calendarspots.com's access: reconnect it.",
        "disconnected": "MailChimp is disconnected. Your clients stay in your client database.",
        "last": "Last sync: {date} at {time}, {place} time.",
        "counts": "{created}, {updated}, {skipped}, {failed}.",
        "never": "No sync yet.",
        "next": "Next sync: the night of {date}, from {time}.",
        "skipped": "Clients not sent to MailChimp",
        "webhook_ok": "MailChimp's webhook is in place.",
        "webhook_missing": "MailChimp's webhook is missing: the next sync puts it back.",
        "doi_on": "New contacts get a confirmation email (double opt-in).",
        "doi_off": "New contacts are subscribed directly.",
        "authorize": "Authorize",
        "reconnect": "Reconnect",
        "check": "Check and repair",
        "sync": "Sync now",
        "disconnect": "Disconnect",
        "doi_turn_on": "Ask new contacts to confirm",
        "doi_turn_off": "Stop asking new contacts to confirm",
        "activity": "View activity",
        "attention_gone": (
            "The MailChimp audience “{list}” is gone: create it again in MailChimp, then click "
            "“Check and repair”."
        ),
        "attention_fields": (
            "The MailChimp audience lacks the expected fields (email, first name, last name, "
            "birthday): click “Check and repair”."
        ),
        "explain_title": "Isn't a client in MailChimp?",
        "explain_label": "Client's email address or client number",
        "explain": "Explain",
        "story_title": "This client and MailChimp",
        "story_client": "Client: {who}",
        "story_why": "Why",
        "story_next": "At the next sync",
        "story_fix": "What to do",
        "back": "Back to the Newsletters page",
    },
}

DONE: dict[str, dict[str, str]] = {
    "fr": {
        "check": "Vérification faite.",
        "sync": "Synchronisation faite.",
        "sync-queued": "Synchronisation demandée : elle aura lieu dans quelques instants.",
        "disconnect": "MailChimp est déconnecté.",
        "double-opt-in": "Choix enregistré.",
    },
    "en": {
        "check": "Check done.",
        "sync": "Sync done.",
        "sync-queued": "Sync queued: it runs in a few moments.",
        "disconnect": "MailChimp is disconnected.",
        "double-opt-in": "Choice saved.",
    },
}

# Why an action of the page could not be done, in the page's language (the core's errors are
# English, for operators): by the error's kind; "other" in French says no more than that.
PROBLEMS: dict[str, dict[str, str]] = {
    "fr": {
        "expired": "Le formulaire a expiré : rechargez la page, puis recommencez.",
        "too_soon": (
            "Une synchronisation a été lancée il y a moins de 15 minutes : réessayez dans "
            "{minutes}\u00a0min."
        ),
        "busy": "Une synchronisation est déjà en cours : réessayez dans quelques minutes.",
        "not_connected": "MailChimp n'est pas connecté : cliquez sur Autoriser.",
        "no_key": "Entrez l'adresse courriel ou le numéro du client.",
        "no_client": (
            "Aucun client n'a cette adresse ou ce numéro dans votre base de données clients."
        ),
        "other": "Cela n'a pas pu être fait pour l'instant ; réessayez plus tard.",
    },
    "en": {
        "expired": "The form has expired: reload the page, then try again.",
        "too_soon": "A sync was started less than 15 minutes ago: try again in {minutes} min.",
        "busy": "A sync is already running: try again in a few minutes.",
        "not_connected": "MailChimp is not connected: click Authorize.",
        "no_key": "Enter the client's email address or client number.",
        "no_client": "No client has this address or number in your client database.",
        "other": "{error}",
    },
}


def problem_text(code: str, lang: str, minutes: int = 0, error: str = "") -> str:
    words = PROBLEMS[lang if lang in PROBLEMS else "en"]
    return words.get(code, words["other"]).format(minutes=minutes, error=error)


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}"
    "form{display:inline-block;margin:.25rem .5rem .25rem 0}button{padding:.4rem .8rem}"
    ".note{background:#eef6ee;padding:.5rem}.warn{background:#fff3e0;padding:.5rem}"
)


def _form(tenant_id: str, action: str, label: str, csrf: str, extra: str = "") -> str:
    return (
        f'<form method="post" action="/tenants/{escape(tenant_id)}/newsletters/{action}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">{extra}'
        f'<button type="submit">{escape(label)}</button></form>'
    )


MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
COUNTS = {
    "fr": {
        "created": ("ajouté", "ajoutés"),
        "updated": ("mis à jour", "mis à jour"),
        "skipped": ("ignoré", "ignorés"),
        "failed": ("refusé", "refusés"),
    },
    "en": {
        "created": ("added", "added"),
        "updated": ("updated", "updated"),
        "skipped": ("skipped", "skipped"),
        "failed": ("refused", "refused"),
    },
}


def when(at: datetime, zone: str, lang: str) -> tuple[str, str]:
    """The date and time in the tenant's zone, as people write them."""
    local = at.astimezone(ZoneInfo(zone))
    if lang == "fr":
        day = "1er" if local.day == 1 else str(local.day)
        date = f"{day}\u00a0{MONTHS_FR[local.month - 1]} {local.year}"
        return date, f"{local.hour}\u00a0h\u00a0{local.minute:02d}"
    return local.strftime("%B %-d, %Y"), local.strftime("%-I:%M %p")


def client_label(problem: Mapping[str, object], names: Mapping[str, str]) -> str:
    """ "Zoé Roy (zoe@example.com)", or the address alone when the client has no name (or is
    no longer in the client database)."""
    email = str(problem.get("email", ""))
    name = names.get(str(problem.get("client_id", "")), "") or str(problem.get("name", ""))
    return f"{name} ({email})" if name else email


def _counted(counts: dict[str, int], lang: str) -> dict[str, str]:
    """French: 0 or 1 takes the singular."""
    words = COUNTS[lang if lang in COUNTS else "en"]
    return {
        k: f"{n}\u00a0{words[k][0] if lang == 'fr' and n < 2 else words[k][1]}"
        for k, n in counts.items()
    }


def _place(zone: str) -> str:
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def newsletters_page(view: PageView, lang: str, csrf: str, done: str = "") -> str:
    w = WORDS[lang if lang in WORDS else "en"]
    t = view.tenant
    state = t.state
    parts = [f"<h1>{escape(w['title'])} — {escape(t.name)}</h1>"]
    said = DONE[lang if lang in DONE else "en"].get(done)
    if said:
        parts.append(f'<p class="note" role="status">{escape(said)}</p>')
    words = {
        "account": t.account_name,
        "list": t.list_name,
        "n": view.contacts,
        "why": t.state_reason,
    }
    klass = (
        "warn"
        if state in (ConnectionState.NEEDS_ATTENTION, ConnectionState.NEEDS_REAUTHORIZATION)
        else ""
    )
    parts.append(f'<p class="{klass}">{escape(w[str(state)].format(**words))}</p>')
    parts.append("<h2>MailChimp</h2><div>")
    connected = state in (ConnectionState.CONNECTED, ConnectionState.NEEDS_ATTENTION)
    label = "reconnect" if state == ConnectionState.NEEDS_REAUTHORIZATION else "authorize"
    if not connected:
        parts.append(_form(t.tenant_id, "authorize", w[label], csrf))
    else:
        if state == ConnectionState.NEEDS_ATTENTION and t.state_reason not in ("", "held"):
            parts.append(
                f'<p class="warn">{escape(_attention(t.state_reason, t.list_name, w, lang))}</p>'
            )
        if t.state_reason == "held":
            parts.append(f'<p class="warn">{escape(w["held"])}</p>')
            parts.append(_form(t.tenant_id, "confirm", w["confirm"], csrf))
        parts.append(_form(t.tenant_id, "check", w["check"], csrf))
        parts.append(_form(t.tenant_id, "sync", w["sync"], csrf))
        parts.append(_form(t.tenant_id, "disconnect", w["disconnect"], csrf))
    parts.append("</div>")
    parts.append(_sync_section(view, w, lang))
    if connected:
        parts.append(f"<p>{escape(w['webhook_ok'] if t.webhook_id else w['webhook_missing'])}</p>")
    doi = w["doi_on"] if t.double_opt_in else w["doi_off"]
    turn = w["doi_turn_off"] if t.double_opt_in else w["doi_turn_on"]
    value = "0" if t.double_opt_in else "1"
    parts.append(f"<h2>Double opt-in</h2><p>{escape(doi)}</p>")
    parts.append(
        _form(
            t.tenant_id,
            "double-opt-in",
            turn,
            csrf,
            f'<input type="hidden" name="on" value="{value}">',
        )
    )
    parts.append(
        f"<h2>{escape(w['explain_title'])}</h2>"
        f'<form method="post" action="/tenants/{escape(t.tenant_id)}/newsletters/explain">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<label for="explain-client">{escape(w["explain_label"])}</label> '
        f'<input id="explain-client" name="client" type="text" required autocomplete="off"> '
        f'<button type="submit">{escape(w["explain"])}</button></form>'
    )
    activity = f"/tenants/{escape(t.tenant_id)}/activity?format=html&lang={lang}"
    parts.append(f'<p><a href="{activity}">{escape(w["activity"])}</a></p>')
    title = f"{w['title']} — {t.name}"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        + "".join(parts)
        + "</main></body></html>"
    )


def _sync_section(view: PageView, words: dict[str, str], lang: str) -> str:
    zone = view.tenant.timezone
    out = []
    last = view.last_sync
    if view.first_sync_in_progress:
        out.append(f'<p role="status">{escape(first_sync_text(lang))}</p>')
    elif last is None:
        out.append(f"<p>{escape(words['never'])}</p>")
    else:
        date, time = when(datetime.fromisoformat(str(last["at"])), zone, lang)
        kinds = ("created", "updated", "skipped", "failed")
        counts = {k: int(last["counts"].get(k, 0)) for k in kinds}
        said = words["last"].format(date=date, time=time, place=_place(zone))
        out.append(
            f"<p>{escape(said)} {escape(words['counts'].format(**_counted(counts, lang)))}</p>"
        )
        problems = list(last.get("problems", []))
        if problems:
            items = "".join(
                f"<li>{escape(client_label(p, {}))} — "
                f"{escape(reason_text(str(p.get('reason', '')), lang))}"
                f"{_todo(str(p.get('reason', '')), lang)}</li>"
                for p in problems
            )
            out.append(f"<h3>{escape(words['skipped'])}</h3><ul>{items}</ul>")
    if view.next_sync is not None:
        date, time = when(view.next_sync, zone, lang)
        out.append(f"<p>{escape(words['next'].format(date=date, time=time))}</p>")
    return f"<h2>{escape(words['sync_title'])}</h2>" + "".join(out)


def _todo(code: str, lang: str) -> str:
    fix = reason_fix(code, lang)
    return f"<br><small>{escape(fix)}</small>" if fix else ""


def explain_page(story: ClientStory, lang: str, why: str, fix: str, then: str) -> str:
    """One client's story for the owner: who, why, what the next sync does, what to do."""
    w = WORDS[lang if lang in WORDS else "en"]
    c, t = story.client, story.tenant
    name = " ".join(p for p in (c.first_name, c.last_name) if p)
    who = client_label({"email": c.email, "name": name}, {})
    href = f"/tenants/{escape(t.tenant_id)}/newsletters"
    body = (
        f"<h1>{escape(w['story_title'])}</h1>"
        f"<p>{escape(w['story_client'].format(who=who))}</p>"
        f"<h2>{escape(w['story_why'])}</h2><p>{escape(why)}</p>"
        f"<h2>{escape(w['story_next'])}</h2><p>{escape(then[:1].upper() + then[1:])}.</p>"
        f"<h2>{escape(w['story_fix'])}</h2><p>{escape(fix)}</p>"
        f'<p><a href="{href}">{escape(w["back"])}</a></p>'
    )
    title = f"{w['story_title']} — {t.name}"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        + body
        + "</main></body></html>"
    )


def _attention(reason: str, list_name: str, words: dict[str, str], lang: str) -> str:
    """What needs doing, in the page's words: the stored reason is a code ("audience_gone") or
    an operator's English sentence about the audience's fields (shown as is in English)."""
    if reason == "audience_gone":
        return words["attention_gone"].format(list=list_name)
    return reason if lang == "en" else words["attention_fields"]
