"""French activity messages, rendered from an entry's details. The stored (English) message
stays the record; the French page shows these when the details carry what they need."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from calendarspots_mailchimp.core.model import ActivityEntry


def _who(d: Mapping[str, Any]) -> str:
    email = str(d.get("email", ""))
    name = str(d.get("client_name", "") or "")
    return f"{name} ({email})" if name else email


def _names(merges: Any) -> str:
    if not isinstance(merges, Mapping):
        return "aucun nom donné"
    labels = {"FNAME": "prénom", "LNAME": "nom", "BIRTHDAY": "anniversaire"}
    parts = [f"{label} « {merges[tag]} »" for tag, label in labels.items() if merges.get(tag)]
    return ", ".join(parts) or "aucun nom donné"


def _unsubscribed(d: Mapping[str, Any]) -> str:
    found = "la fiche du client indique maintenant « désabonné » ; rien à faire."
    if d.get("source") == "sync":
        return (
            f"{_who(d)} s'est désabonné dans MailChimp (constaté par la synchronisation) : {found}"
        )
    spam = " en signalant une infolettre comme indésirable" if d.get("reason") == "abuse" else ""
    tail = found.capitalize() if d.get("client_id") else _NO_CLIENT
    return f"{_who(d)} s'est désabonné de votre infolettre dans MailChimp{spam}. {tail}"


_NO_CLIENT = "Aucun client n'a cette adresse dans votre base de données clients ; rien à faire."


def _cleaned(d: Mapping[str, Any]) -> str:
    fix = (
        "La fiche du client indique maintenant « adresse invalide » ; demandez-lui une nouvelle "
        "adresse courriel à sa prochaine visite."
    )
    if d.get("source") == "sync":
        return f"MailChimp a retiré {_who(d)} (adresse invalide), constaté par la synchronisation. {fix}"
    reason = d.get("reason")
    text = (
        "l'adresse n'existe pas ou ne fonctionne plus"
        if reason == "hard"
        else "une plainte pour courriel indésirable a été reçue"
        if reason == "abuse"
        else "l'adresse est invalide"
    )
    tail = fix if d.get("client_id") else _NO_CLIENT
    return f"MailChimp n'envoie plus à {_who(d)} : {text}. {tail}"


def _sync(d: Mapping[str, Any]) -> str:
    c = d.get("counts")
    if not isinstance(c, Mapping):
        raise KeyError("counts")
    return (
        f"Synchronisation : {c.get('created', 0)} ajoutés, {c.get('updated', 0)} mis à jour, "
        f"{c.get('unchanged', 0)} inchangés, {c.get('skipped', 0)} ignorés, "
        f"{c.get('failed', 0)} en échec, {c.get('unsubscribed', 0)} désabonnements et "
        f"{c.get('cleaned', 0)} adresses invalides reçus de MailChimp."
    )


def _refused(d: Mapping[str, Any]) -> str:
    if d.get("audience_id"):
        return (
            f"Un événement MailChimp « {d['type']} » pour une autre liste ({d['list_id']}) a été "
            "refusé : seuls les événements de la liste connectée sont acceptés. Si vous avez "
            "connecté une autre liste, supprimez le webhook de l'ancienne dans MailChimp "
            "(Audience → Settings → Webhooks)."
        )
    return (
        f"Un événement MailChimp « {d['type']} » a été refusé : aucune liste MailChimp n'est "
        "connectée. Cliquez sur Autoriser (Paramètres → Avancé → Infolettres)."
    )


TEMPLATES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "contact.unsubscribed": _unsubscribed,
    "contact.cleaned": _cleaned,
    "mailchimp.subscribe.recorded": lambda d: (
        f"Nouvel abonné {d['email']} dans MailChimp ({_names(d.get('merges'))}). Il n'a pas été "
        "ajouté à votre base de données clients : ajoutez le client à la main si pertinent."
    ),
    "mailchimp.profile.recorded": lambda d: (
        f"{d['email']} a modifié son profil dans MailChimp ({_names(d.get('merges'))}). La base "
        "de données clients n'a pas été modifiée : recopiez les nouvelles valeurs à la main si "
        "pertinent."
    ),
    "mailchimp.upemail.recorded": lambda d: (
        f"{d['old_email']} a changé son adresse pour {d['new_email']} dans MailChimp. La base de "
        "données clients n'a pas été modifiée : mettez à jour le courriel du client à la main si "
        "pertinent."
    ),
    "webhook.refused": _refused,
    "webhook.installed": lambda d: (
        "Le webhook a été ajouté à votre liste MailChimp. Merci de ne pas le supprimer ni le "
        "modifier."
    ),
    "webhook.repaired": lambda d: (
        "Le webhook MailChimp avait été supprimé ou modifié ; il a été rétabli. Merci de ne pas "
        "le supprimer ni le modifier (Audience → Settings → Webhooks)."
    ),
    "authorization.granted": lambda d: f"Compte MailChimp {d['account'] or d['dc']} autorisé.",
    "check.passed": lambda d: "Vérification réussie : la liste MailChimp est conforme.",
    "check.fixed": lambda d: (
        f"Champ(s) manquant(s) ajouté(s) dans MailChimp : {', '.join(map(str, d['fields']))}."
    ),
    "sync.succeeded": _sync,
    "sync.partial": lambda d: (
        _sync(d)
        + " Certains contacts n'ont pas pu être envoyés : le détail est dans la version JSON."
    ),
    "contact.removed": lambda d: (
        f"{d['count']} client(s) retiré(s) de la plateforme ne sont plus synchronisés."
    ),
}


def french_message(entry: ActivityEntry) -> str:
    """The French text for the entry, or its stored message when no template fits."""
    template = TEMPLATES.get(str(entry.kind))
    if template is None:
        return entry.message
    try:
        return template(entry.details)
    except (KeyError, TypeError, ValueError):
        return entry.message
