"""Words for activity entries: the one place that turns an entry's kind and details into a
sentence, in English or French. The core stores facts only (kind + details); every reader —
the CLI, the HTTP JSON and pages, the host's `csmc_activity_recorded` — gets its text here.

An entry written before entries were pure data carries its stored English sentence; when the
details do not say enough for a template, that sentence is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC
from typing import Any

from calendarspots_mailchimp.core.activity import ActivityEntry
from calendarspots_mailchimp.core.model import SyncKind
from calendarspots_mailchimp.core.services.connect import Connected, ConnectResult
from calendarspots_mailchimp.core.services.explain import ClientStory
from calendarspots_mailchimp.core.services.fleet import FleetView, Glance, Problem
from calendarspots_mailchimp.core.services.nightly import NightlyOutcome
from calendarspots_mailchimp.core.services.sync.limits import MAX_DETAILS
from calendarspots_mailchimp.core.services.sync.report import (
    ClientProblem,
    Failure,
    Reason,
    SyncReport,
    decode,
)

Details = Mapping[str, Any]
Template = Callable[[Details], str]
LANGUAGES = ("en", "fr")

# -- English ------------------------------------------------------------------------------------


def _who(d: Details) -> str:
    email = str(d.get("email", ""))
    name = str(d.get("client_name") or "")
    return f"{name} ({email})" if name else email


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _names_en(merges: Any) -> str:
    if not isinstance(merges, Mapping):
        return "no name given"
    parts = [f"{tag}={merges[tag]!r}" for tag in ("FNAME", "LNAME", "BIRTHDAY") if merges.get(tag)]
    return ", ".join(parts) or "no name given"


_NO_CLIENT_EN = "No client has this address in your client database; nothing to do."
_CLEANED_BECAUSE_EN = {
    "hard": "bounced (the address does not exist or no longer works)",
    "abuse": "was cleaned after a spam complaint",
}
_AUTH_FAILED_EN = {
    "replayed": "This authorization link was already used: click Authorize again to connect.",
    "denied": "MailChimp authorization was not granted{error}: click Authorize again to connect.",
    "incomplete": "MailChimp did not complete the authorization{error}: click Authorize again.",
}


def _unsubscribed_en(d: Details) -> str:
    if d.get("source") == "sync":
        return (
            f"{d['email']} unsubscribed in MailChimp; the client database was updated (found "
            "by the sync)."
        )
    spam = " after marking a newsletter as spam" if d.get("reason") == "abuse" else ""
    after = (
        "The client's record now says unsubscribed; nothing to do."
        if d.get("client_id")
        else _NO_CLIENT_EN
    )
    return f"{_who(d)} unsubscribed from your newsletter in MailChimp{spam}. {after}"


def _cleaned_en(d: Details) -> str:
    if d.get("source") == "sync":
        return (
            f"{d['email']} was cleaned (invalid address) in MailChimp; the client database was "
            "updated (found by the sync)."
        )
    text = _CLEANED_BECAUSE_EN.get(str(d.get("reason", "")), "was found invalid")
    after = (
        "The client's record now says invalid address; ask the client for a new email address "
        "at their next visit."
        if d.get("client_id")
        else _NO_CLIENT_EN
    )
    return f"MailChimp stopped sending to {_who(d)}: the address {text}. {after}"


def _subscribed_en(d: Details) -> str:
    if d.get("client_id"):
        return (
            f"{d['email']}, already a client, subscribed (again) through MailChimp "
            f"({_names_en(d.get('merges'))}). The client database was not changed: update the "
            "client's newsletter choice by hand if relevant."
        )
    return (
        f"New subscriber {d['email']} in MailChimp ({_names_en(d.get('merges'))}). Not added to "
        "the client database: add the client by hand if relevant."
    )


def _summary_en(d: Details) -> str:
    c = d["counts"]
    text = (
        f"{'Dry run: would send' if d.get('dry_run') else 'Sync finished'}: "
        f"{c['created']} added, {c['updated']} updated, {c['unchanged']} unchanged, "
        f"{c['skipped']} skipped, {c['failed']} failed"
    )
    if c.get("unsubscribed") or c.get("cleaned"):
        text += f"; {c['unsubscribed']} unsubscribed and {c['cleaned']} cleaned in MailChimp"
    if d.get("webhook_problem"):
        text += ". The webhook is not installed: see the activity log"
    return text


def _repaired_en(d: Details) -> str:
    if d.get("moved"):
        return (
            "The MailChimp webhook was given a new address: its secret is no longer stored in "
            "the database. Nothing to do."
        )
    what = ", ".join(map(str, d.get("what") or [])) or "changed"
    return (
        f"The MailChimp webhook was altered in MailChimp ({what}); it was restored. Please do not "
        "delete or edit it (Audience → Settings → Webhooks)."
    )


def _refused_en(d: Details) -> str:
    if d.get("audience_id"):
        return (
            f"A MailChimp {d['type']} event for another audience ({d['list_id']}) was refused: "
            "only the connected audience's events are accepted. If you connected a different "
            "audience, remove the old audience's webhook in MailChimp (Audience → Settings → "
            "Webhooks)."
        )
    return (
        f"A MailChimp {d['type']} event was refused: no MailChimp audience is connected yet. "
        "Click Authorize (Settings → Advanced → Newsletters) to connect one."
    )


def _removed_en(d: Details) -> str:
    action = (
        f"{d['archived']} archived in MailChimp"
        if d.get("archive")
        else "left as they are in MailChimp"
    )
    return f"{d['count']} client(s) removed from the platform are no longer synced; {action}."


def _failed_why(d: Details) -> str:
    failure = d.get("failure", "")
    if failure == "revoked":
        return "MailChimp refused the plugin's authorization (it was revoked); the owner must authorize again."
    if failure == "audience_gone":
        return _gone(str(d.get("list_name", "calendarspots")))
    if failure == "mailchimp":
        return f"MailChimp did not answer well ({d['error']}); it is tried again later."
    if failure == "deadline":
        return _DEADLINE_EN
    return str(d["error"])


_DEADLINE_EN = (
    "it ran past its time limit and stopped between two batches. What MailChimp received is "
    "recorded; the rest is sent by the next sync, which comes soon."
)


def _auth_failed_en(d: Details) -> str:
    error = f" ({d['error']})" if d.get("error") else ""
    return _AUTH_FAILED_EN[str(d["reason"])].format(error=error)


def held_message(d: Details, tenant_id: str = "TENANT") -> str:
    what = []
    if d["update_percent"] > d["update_limit"]:
        what.append(
            f"{d['updates']} of {d['members']} members would be updated ({d['update_percent']} %, "
            f"more than {d['update_limit']} %)"
        )
    if d["archive_percent"] > d["archive_limit"]:
        what.append(
            f"{d['archives']} of {d['members']} members would be archived "
            f"({d['archive_percent']} %, more than {d['archive_limit']} %)"
        )
    return (
        "Held by the mass-change guard: "
        + " and ".join(what)
        + f"; nothing was sent. Check the client database, then run `cs-mailchimp sync "
        f"{tenant_id} --confirm` to send it."
    )


ENGLISH: dict[str, Template] = {
    "authorization.granted": lambda d: f"MailChimp account {d['account'] or d['dc']} authorized.",
    "authorization.failed": _auth_failed_en,
    "authorization.disconnected": lambda d: (
        "MailChimp was disconnected: "
        + (
            f"the plugin's webhook could not be removed ({d['error']}): delete it in MailChimp "
            "(Audience → Settings → Webhooks); "
            if d.get("error")
            else "the plugin's webhook was removed from the audience; "
        )
        + "its access was forgotten and the clients stay in your client database. Click "
        "Authorize to connect again."
    ),
    "authorization.revoked": lambda d: (
        "MailChimp refused the plugin's authorization (it was revoked). The owner must "
        "authorize again: Settings → Advanced → Newsletters → Authorize."
    ),
    "check.passed": lambda d: (
        f"Check passed: the audience {d['list_name']!r} (id {d['audience_id']}) has EMAIL, "
        "FNAME, LNAME and BIRTHDAY."
    ),
    "check.failed": lambda d: _capital(_failed_why(d)),
    "check.fixed": lambda d: (
        f"Added the missing audience field(s) {', '.join(map(str, d['fields']))} in MailChimp."
    ),
    "webhook.installed": lambda d: (
        "The webhook was added to your MailChimp audience. Please do not delete or edit it."
    ),
    "webhook.repaired": _repaired_en,
    "webhook.failed": lambda d: (
        f"The webhook could not be installed in MailChimp ({d['error']}). MailChimp must be "
        f"able to reach {d['public_url']}: check that the plugin's web server is running. It "
        "will be tried again at the next sync."
    ),
    "webhook.refused": _refused_en,
    "sync.succeeded": _summary_en,
    "sync.partial": _summary_en,
    "sync.failed": lambda d: f"Sync failed: {_failed_why(d)}",
    "sync.held": lambda d: held_message(d, str(d.get("tenant", "TENANT"))),
    "contact.unsubscribed": _unsubscribed_en,
    "contact.cleaned": _cleaned_en,
    "contact.removed": _removed_en,
    "contact.email_changed": lambda d: (
        f"{d['old_email']} changed address to {d['new_email']}: the same MailChimp member "
        "follows the client."
    ),
    "mailchimp.subscribe.recorded": _subscribed_en,
    "mailchimp.profile.recorded": lambda d: (
        f"{d['email']} updated their profile in MailChimp ({_names_en(d.get('merges'))}). The "
        "client database was not changed: copy the new values by hand if relevant."
    ),
    "mailchimp.upemail.recorded": lambda d: (
        f"{d['old_email']} changed their address to {d['new_email']} in MailChimp. The client "
        "database was not changed: update the client's email by hand if relevant."
    ),
    "mailchimp.campaign.recorded": lambda d: (
        f"MailChimp campaign event: {d['campaign'].get('subject', '')} "
        f"({d['campaign'].get('status', '')})."
    ),
}

# -- French ------------------------------------------------------------------------------------


def _names_fr(merges: Any) -> str:
    if not isinstance(merges, Mapping):
        return "aucun nom donné"
    labels = {"FNAME": "prénom", "LNAME": "nom", "BIRTHDAY": "anniversaire"}
    parts = [f"{label} « {merges[tag]} »" for tag, label in labels.items() if merges.get(tag)]
    return ", ".join(parts) or "aucun nom donné"


_NO_CLIENT_FR = "Aucun client n'a cette adresse dans votre base de données clients ; rien à faire."


def _unsubscribed_fr(d: Details) -> str:
    found = "la fiche du client indique maintenant « désabonné » ; rien à faire."
    if d.get("source") == "sync":
        return (
            f"{_who(d)} s'est désabonné dans MailChimp (constaté par la synchronisation) : {found}"
        )
    spam = " en signalant une infolettre comme indésirable" if d.get("reason") == "abuse" else ""
    tail = found.capitalize() if d.get("client_id") else _NO_CLIENT_FR
    return f"{_who(d)} s'est désabonné de votre infolettre dans MailChimp{spam}. {tail}"


def _cleaned_fr(d: Details) -> str:
    fix = (
        "La fiche du client indique maintenant « adresse invalide » ; demandez-lui une nouvelle "
        "adresse courriel à sa prochaine visite."
    )
    if d.get("source") == "sync":
        return f"MailChimp a retiré {_who(d)} (adresse invalide), constaté par la synchronisation. {fix}"
    text = {
        "hard": "l'adresse n'existe pas ou ne fonctionne plus",
        "abuse": "une plainte pour courriel indésirable a été reçue",
    }.get(str(d.get("reason", "")), "l'adresse est invalide")
    tail = fix if d.get("client_id") else _NO_CLIENT_FR
    return f"MailChimp n'envoie plus à {_who(d)} : {text}. {tail}"


_EVENT_FR = {
    "subscribe": "inscription",
    "unsubscribe": "désabonnement",
    "profile": "profil modifié",
    "upemail": "changement d'adresse",
    "cleaned": "adresse invalide",
    "campaign": "campagne",
}


def _refused_fr(d: Details) -> str:
    d = {**d, "type": _EVENT_FR.get(str(d.get("type", "")), "événement")}
    if d.get("audience_id"):
        return (
            f"Un événement MailChimp « {d['type']} » pour une autre liste a été "
            "refusé : seuls les événements de la liste connectée sont acceptés. Si vous avez "
            "connecté une autre liste, supprimez le webhook de l'ancienne dans MailChimp "
            "(Audience → Settings → Webhooks)."
        )
    return (
        f"Un événement MailChimp « {d['type']} » a été refusé : aucune liste MailChimp n'est "
        "connectée. Cliquez sur Autoriser sur la page Infolettres."
    )


FRENCH: dict[str, Template] = {
    "contact.unsubscribed": _unsubscribed_fr,
    "contact.cleaned": _cleaned_fr,
    "mailchimp.subscribe.recorded": lambda d: (
        f"Nouvel abonné {d['email']} dans MailChimp ({_names_fr(d.get('merges'))}). Il n'a pas "
        "été ajouté à votre base de données clients : ajoutez le client à la main si pertinent."
    ),
    "mailchimp.profile.recorded": lambda d: (
        f"{d['email']} a modifié son profil dans MailChimp ({_names_fr(d.get('merges'))}). La "
        "base de données clients n'a pas été modifiée : recopiez les nouvelles valeurs à la "
        "main si pertinent."
    ),
    "mailchimp.upemail.recorded": lambda d: (
        f"{d['old_email']} a changé son adresse pour {d['new_email']} dans MailChimp. La base de "
        "données clients n'a pas été modifiée : mettez à jour le courriel du client à la main "
        "si pertinent."
    ),
    "webhook.refused": _refused_fr,
    "webhook.installed": lambda d: (
        "Le webhook a été ajouté à votre liste MailChimp. Merci de ne pas le supprimer ni le "
        "modifier."
    ),
    "webhook.repaired": lambda d: (
        "Le webhook MailChimp avait été supprimé ou modifié ; il a été rétabli. Merci de ne pas "
        "le supprimer ni le modifier (Audience → Settings → Webhooks)."
    ),
    "authorization.granted": lambda d: f"Compte MailChimp {d['account'] or d['dc']} autorisé.",
    "authorization.disconnected": lambda d: (
        "MailChimp a été déconnecté : "
        + (
            f"le webhook n'a pas pu être retiré ({d['error']}) : supprimez-le dans MailChimp "
            "(Audience → Settings → Webhooks) ; "
            if d.get("error")
            else "le webhook a été retiré de la liste ; "
        )
        + "l'accès est oublié et les clients restent dans votre base de données clients. "
        "Cliquez sur Autoriser pour le reconnecter."
    ),
    "check.passed": lambda d: "Vérification réussie : la liste MailChimp est conforme.",
    "check.fixed": lambda d: (
        f"Champ(s) manquant(s) ajouté(s) dans MailChimp : {', '.join(map(str, d['fields']))}."
    ),
    "contact.removed": lambda d: (
        f"{d['count']} client(s) retiré(s) de la plateforme ne sont plus synchronisés."
    ),
}


def _plural_fr(n: Any, one: str, many: str) -> str:
    """French: 0 and 1 take the singular."""
    return f"{n}\u00a0{one if int(n) < 2 else many}"


def _percent_fr(value: Any) -> str:
    """21.0 → "21 %", 20.5 → "20,5 %" (French decimals and a non-breaking space)."""
    number = float(value)
    shown = str(int(number)) if number.is_integer() else str(number).replace(".", ",")
    return shown + "\u00a0%"


def _failed_why_fr(d: Details) -> str:
    failure = d.get("failure", "")
    if failure == "revoked":
        return (
            "MailChimp a refusé l'accès de calendarspots.com (l'autorisation a été révoquée) : "
            "cliquez sur Reconnecter."
        )
    if failure == "audience_gone":
        name = d.get("list_name", "calendarspots")
        return (
            f"la liste MailChimp « {name} » a disparu. Ne supprimez pas cette liste : recréez-la "
            "dans MailChimp, puis cliquez sur Autoriser."
        )
    if failure == "mailchimp":
        return "MailChimp n'a pas répondu correctement ; un nouvel essai aura lieu plus tard."
    if failure == "deadline":
        return (
            "elle a dépassé sa durée maximale et s'est arrêtée entre deux envois. Ce que "
            "MailChimp a reçu est enregistré ; le reste part à la prochaine synchronisation, "
            "qui vient bientôt."
        )
    if failure == "contract" or d.get("problems") is not None:
        return (
            "la liste MailChimp n'a pas les champs attendus (courriel, prénom, nom, "
            "anniversaire) : cliquez sur « Vérifier et réparer »."
        )
    return "une erreur est survenue ; un nouvel essai aura lieu à la prochaine synchronisation."


def _held_fr(d: Details) -> str:
    what = []
    if d["update_percent"] > d["update_limit"]:
        what.append(
            f"{d['updates']} contacts sur {d['members']} seraient modifiés "
            f"({_percent_fr(d['update_percent'])}, plus de {_percent_fr(d['update_limit'])})"
        )
    if d["archive_percent"] > d["archive_limit"]:
        what.append(
            f"{d['archives']} contacts sur {d['members']} seraient archivés "
            f"({_percent_fr(d['archive_percent'])}, plus de {_percent_fr(d['archive_limit'])})"
        )
    return (
        "Synchronisation retenue par précaution : "
        + " et ".join(what)
        + " ; rien n'a été envoyé. Vérifiez votre base de données clients, puis cliquez sur "
        "« Confirmer et envoyer » sur la page Infolettres."
    )


def _summary_fr_counted(d: Details) -> str:
    c = d["counts"]
    text = (
        "Synchronisation : "
        f"{_plural_fr(c.get('created', 0), 'ajouté', 'ajoutés')}, "
        f"{_plural_fr(c.get('updated', 0), 'mis à jour', 'mis à jour')}, "
        f"{_plural_fr(c.get('unchanged', 0), 'inchangé', 'inchangés')}, "
        f"{_plural_fr(c.get('skipped', 0), 'ignoré', 'ignorés')}, "
        f"{_plural_fr(c.get('failed', 0), 'refusé', 'refusés')}"
    )
    opted = c.get("unsubscribed", 0) or c.get("cleaned", 0)
    if opted:
        text += (
            f" ; reçus de MailChimp : {_plural_fr(c.get('unsubscribed', 0), 'désabonnement', 'désabonnements')}"
            f" et {_plural_fr(c.get('cleaned', 0), 'adresse invalide', 'adresses invalides')}"
        )
    if d.get("webhook_problem"):
        text += ". Le webhook de MailChimp n'est pas en place : il sera remis à la prochaine synchronisation"
    return text + "."


FRENCH.update(
    {
        "authorization.failed": lambda d: {
            "replayed": "Ce lien d'autorisation a déjà servi : cliquez de nouveau sur Autoriser.",
            "denied": "MailChimp n'a pas donné l'autorisation : cliquez de nouveau sur Autoriser.",
            "incomplete": (
                "MailChimp n'a pas terminé l'autorisation : cliquez de nouveau sur Autoriser."
            ),
        }[str(d["reason"])],
        "authorization.revoked": lambda d: (
            "MailChimp a refusé l'accès de calendarspots.com (l'autorisation a été révoquée) : "
            "cliquez sur Reconnecter sur la page Infolettres."
        ),
        "check.failed": lambda d: _capital(_failed_why_fr(d)),
        "sync.succeeded": _summary_fr_counted,
        "sync.partial": _summary_fr_counted,
        "sync.failed": lambda d: f"Échec de la synchronisation : {_failed_why_fr(d)}",
        "sync.held": _held_fr,
        "sync.requested": lambda d: (
            "Synchronisation demandée depuis la page Infolettres : elle aura lieu dans quelques "
            "instants."
        ),
        "contact.email_changed": lambda d: (
            f"{d['old_email']} a changé d'adresse pour {d['new_email']} : le même contact "
            "MailChimp suit le client."
        ),
        "contact.rejected": lambda d: f"MailChimp a refusé le contact {_who(d)}.",
        "webhook.failed": lambda d: (
            "Le webhook n'a pas pu être installé dans MailChimp ; un nouvel essai aura lieu à la "
            "prochaine synchronisation."
        ),
        "mailchimp.campaign.recorded": lambda d: (
            f"Campagne MailChimp : {d['campaign'].get('subject', '')}."
        ),
    }
)
ENGLISH["sync.requested"] = lambda d: (
    "Sync requested from the Newsletters page: it runs in a few moments."
)
ENGLISH["contact.rejected"] = lambda d: f"MailChimp refused the contact {_who(d)}."

# What the owner reads where the operator's sentence names a command or a screen the owner does
# not have (the owner's pages); other kinds read as above.
OWNER_ENGLISH: dict[str, Template] = {
    "sync.held": lambda d: (
        held_message(d).split("; nothing was sent.")[0]
        + "; nothing was sent. Check your client database, then click “Confirm and send” on "
        "the Newsletters page."
    ),
    "authorization.revoked": lambda d: (
        "MailChimp refused calendarspots.com's access (the authorization was revoked): click "
        "Reconnect on the Newsletters page."
    ),
}

CATALOGS: dict[str, dict[str, Template]] = {"en": ENGLISH, "fr": FRENCH}


def render(entry: ActivityEntry, lang: str = "en", owner: bool = False) -> str:
    """The entry's sentence in `lang` (English where French has no template yet); `owner`:
    as the owner's pages say it (no command, no operator's screen)."""
    catalogs = [CATALOGS.get(lang, ENGLISH), ENGLISH]
    if owner and lang != "fr":
        catalogs.insert(0, OWNER_ENGLISH)
    for catalog in catalogs:
        template = catalog.get(str(entry.kind))
        if template is None:
            continue
        try:
            return template(entry.details)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # an entry from before entries were data: its stored sentence
    return entry.message


def worded(entry: ActivityEntry, lang: str = "en") -> ActivityEntry:
    """The entry with its sentence in `message`."""
    return replace(entry, message=render(entry, lang))


def entry_json(entry: ActivityEntry, lang: str = "en") -> dict[str, Any]:
    """As the CLI and the HTTP API print it: {at, kind, message, details}."""
    return worded(entry, lang).as_json()


# -- the end of an authorization (the callback page and its JSON) -------------------------------

_CONNECT_EN = {
    "replayed": "This authorization link was already used: click Authorize again to connect.",
    "denied": "MailChimp authorization was not granted{error}: click Authorize again to connect.",
    "incomplete": "MailChimp did not complete the authorization{error}: click Authorize again.",
    "check_failed": "MailChimp is connected, but {bare}",
    "sync_failed": "MailChimp is connected, but the initial sync failed: {bare}",
}
_CONNECT_FR = {
    "replayed": "Ce lien d'autorisation a déjà servi : cliquez de nouveau sur Autoriser.",
    "denied": "MailChimp n'a pas donné l'autorisation{error} : cliquez de nouveau sur Autoriser.",
    "incomplete": "MailChimp n'a pas terminé l'autorisation{error} : cliquez de nouveau sur "
    "Autoriser.",
    "check_failed": "MailChimp est connecté, mais la liste ne convient pas : {bare}",
    "sync_failed": "MailChimp est connecté, mais la synchronisation initiale a échoué : {bare}",
}


def connect_message(result: ConnectResult, lang: str = "en") -> str:
    if result.outcome != Connected.SYNCED or result.sync is None:
        table = _CONNECT_FR if lang == "fr" else _CONNECT_EN
        error = f" ({result.error})" if result.error else ""
        bare = result.error
        if result.outcome == Connected.SYNC_FAILED and result.sync is not None:
            bare = failure_message(result.sync, result.list_name)
        return table[str(result.outcome)].format(error=error, bare=bare)
    c = result.sync.counts
    if lang == "fr":
        done = "a réussi" if c.failed == 0 else "s'est terminée avec des problèmes"
        return (
            f"MailChimp est connecté et la synchronisation initiale {done} : {c.created} contacts "
            f"ajoutés et {c.updated} mis à jour dans la liste « {result.list_name} », "
            f"{c.skipped} ignorés, {c.failed} refusés par MailChimp. Désormais, la "
            "synchronisation a lieu chaque nuit."
        )
    done = "succeeded" if c.failed == 0 else "finished with problems"
    return (
        f"MailChimp is connected and the initial sync {done}: {c.created} contacts added and "
        f"{c.updated} updated in the audience {result.list_name!r}, {c.skipped} skipped, "
        f"{c.failed} refused by MailChimp. From now on the sync runs every night."
    )


def connect_json(result: ConnectResult, lang: str = "en") -> dict[str, Any]:
    data: dict[str, Any] = {"ok": result.ok, "message": connect_message(result, lang)}
    if result.tenant_id:
        data["tenant"] = result.tenant_id
    if result.sync is not None:
        data["sync"] = report_json(result.sync)
    return data


def callback_state(result: ConnectResult) -> str:
    """Which heading the callback page gives: ok, partly, replayed or failed."""
    if result.outcome == Connected.REPLAYED:
        return "replayed"
    if result.outcome in (Connected.DENIED, Connected.INCOMPLETE):
        return "failed"
    return "ok" if result.ok else "partly"


# -- sync reports: the summary, a failure, each client's reason, a dry run's plan ---------------

_REASONS_EN = {
    "invalid_email": "invalid email address",
    "same_email": "another client has the same email address",
    "opted_out": "{detail} in MailChimp: never re-subscribed",
    "not_subscribed_here": "{detail} in the client database",
    "left_audience": (
        "no longer in the MailChimp audience under this address (archived, deleted or moved to "
        "another address there): not added again; update the client by hand if relevant"
    ),
    "refused_before": (
        "refused by MailChimp at an earlier sync ({earlier}); not sent again until the "
        "client's details change"
    ),
    "fake_or_invalid": "MailChimp refused the address as fake or invalid: check the client's email",
    "forgotten": (
        "this address was permanently deleted from MailChimp and cannot be re-imported; the "
        "client must sign up again through a MailChimp form"
    ),
    "birthday_refused": "MailChimp refused the birthday: it must be month/day",
    "field_refused": "MailChimp refused the field {detail}",
    "refused": "MailChimp refused this contact: {detail}",
    "no_result": "MailChimp returned no result for this contact",
    "old_address_kept": "old address kept: {earlier}",
}


_REASONS_FR = {
    "invalid_email": "adresse courriel invalide",
    "same_email": "un autre client a la même adresse courriel",
    "opted_out": "désabonné ou adresse invalide dans MailChimp : jamais réabonné",
    "not_subscribed_here": "désabonné dans votre base de données clients",
    "left_audience": (
        "n'est plus dans la liste MailChimp sous cette adresse (archivé, supprimé ou changé "
        "d'adresse) : pas rajouté ; mettez la fiche à jour à la main si pertinent"
    ),
    "refused_before": (
        "refusé par MailChimp lors d'une synchronisation précédente ({earlier}) ; pas renvoyé "
        "tant que la fiche ne change pas"
    ),
    "fake_or_invalid": "MailChimp juge l'adresse fausse ou invalide : vérifiez le courriel du client",
    "forgotten": (
        "cette adresse a été supprimée définitivement de MailChimp : le client doit se "
        "réinscrire par un formulaire MailChimp"
    ),
    "birthday_refused": "MailChimp a refusé l'anniversaire : il doit être mois/jour",
    "field_refused": "MailChimp a refusé un champ de la fiche",
    "refused": "MailChimp a refusé ce contact",
    "no_result": "MailChimp n'a rien répondu pour ce contact",
    "old_address_kept": "ancienne adresse gardée : {earlier}",
}


def reason_text(code: str, lang: str = "en") -> str:
    """A stored reason (`reason:detail`) in words; a sentence stored before, as it is."""
    decoded = decode(code)
    if decoded is None:
        return code
    reason, detail = decoded
    if reason == Reason.OPTED_OUT and not detail:
        detail = "unsubscribed or cleaned"
    table = _REASONS_FR if lang == "fr" else _REASONS_EN
    return table[str(reason)].format(
        detail=detail, earlier=reason_text(detail, lang) if detail else "—"
    )


_FIXES_EN = {
    "invalid_email": "Correct the address in the client's record; the next sync sends it.",
    "same_email": "Give each client their own address (or merge the duplicate records).",
    "opted_out": "Nothing to do: only the client can subscribe again, with MailChimp's form.",
    "not_subscribed_here": "Nothing to do.",
    "left_audience": "If the client should be in the audience, add them back in MailChimp.",
    "fake_or_invalid": "Check the address with the client and correct it.",
    "forgotten": "The client must sign up again through MailChimp's signup form.",
    "birthday_refused": "Correct the birthday (month and day) in the client's record.",
    "field_refused": "Correct the client's record; the next sync sends it again.",
    "refused": "Correct the client's record; the next sync sends it again.",
    "no_result": "Nothing to do: the next sync tries again.",
    "old_address_kept": "Nothing to do.",
}
_FIXES_FR = {
    "invalid_email": "Corrigez l'adresse dans la fiche du client ; la prochaine synchronisation "
    "l'enverra.",
    "same_email": "Donnez à chaque client sa propre adresse (ou fusionnez les fiches en double).",
    "opted_out": "Rien à faire : seul le client peut se réabonner, par le formulaire MailChimp.",
    "not_subscribed_here": "Rien à faire.",
    "left_audience": "Si le client doit être dans la liste, rajoutez-le dans MailChimp.",
    "fake_or_invalid": "Vérifiez l'adresse avec le client et corrigez-la.",
    "forgotten": "Le client doit se réinscrire par le formulaire d'inscription MailChimp.",
    "birthday_refused": "Corrigez l'anniversaire (mois et jour) dans la fiche du client.",
    "field_refused": "Corrigez la fiche du client ; la prochaine synchronisation la renverra.",
    "refused": "Corrigez la fiche du client ; la prochaine synchronisation la renverra.",
    "no_result": "Rien à faire : la prochaine synchronisation réessaiera.",
    "old_address_kept": "Rien à faire.",
}


def reason_fix(code: str, lang: str = "en") -> str:
    """What the owner does about a client's stored reason ("" for a sentence stored before)."""
    decoded = decode(code)
    if decoded is None:
        return ""
    reason, detail = decoded
    if reason == Reason.REFUSED_BEFORE:
        return reason_fix(detail, lang) if detail else ""
    return (_FIXES_FR if lang == "fr" else _FIXES_EN).get(str(reason), "")


def problem_json(problem: ClientProblem) -> dict[str, str]:
    return {
        "client_id": problem.client_id,
        "email": problem.email,
        "reason": reason_text(problem.code),
        "code": str(problem.reason),
    }


def failure_message(report: SyncReport, list_name: str = "calendarspots") -> str:
    if report.failure == Failure.REVOKED:
        return ENGLISH["authorization.revoked"]({})
    if report.failure == Failure.AUDIENCE_GONE:
        return _gone(list_name)
    if report.failure == Failure.DEADLINE:
        return (
            "the sync ran past its time limit (CS_MAILCHIMP_RUN_DEADLINE) and stopped between "
            "batches: what MailChimp acknowledged is recorded, the rest is sent by the next run "
            "(the tenant stays due)"
        )
    if report.failure == Failure.MAILCHIMP:
        return f"MailChimp did not answer well ({report.error}); " + (
            "the nightly sync tries again later tonight"
            if report.kind == SyncKind.NIGHTLY
            else "try again later (the nightly sync will also try)"
        )
    return report.error


def _gone(list_name: str) -> str:
    return (
        f"the MailChimp audience {list_name!r} disappeared during the sync. Do not delete the "
        f"{list_name!r} audience: create it again, then authorize again."
    )


def _numbers(values: Mapping[str, str]) -> dict[str, float | int]:
    return {k: float(v) if "percent" in k or "limit" in k else int(v) for k, v in values.items()}


def report_message(report: SyncReport) -> str:
    if report.held is not None:
        return held_message(report.held, report.tenant_id)
    if not report.ok:
        return failure_message(report)
    counts = report.counts.as_dict()
    return _summary_en(
        {"counts": counts, "dry_run": report.dry_run, "webhook_problem": report.webhook_problem}
    )


_WEBHOOK_PLAN = {
    "install": "the webhook would be installed",
    "readdress": "the webhook would be given a new address (its secret leaves the database)",
    "restore": "the webhook is missing: it would be put back",
    "repair": "the webhook was edited or duplicated: it would be repaired",
}


def plan_lines(report: SyncReport) -> dict[str, list[str]]:
    """A dry run's plan as the CLI and the JSON show it."""
    plan = report.plan
    skips = [f"{p.email}: {reason_text(p.code)}" for p in report.problems]
    skips += [
        f"client {client_id}: removed from the platform" for client_id in plan.get("removed", [])
    ]
    opt_outs = []
    for line in plan.get("opt_out", []):
        email, _, status = line.rpartition(" ")
        opt_outs.append(f"{email}: {status} in MailChimp")
    held = dict(line.split("=", 1) for line in plan.get("held", []))
    return {
        **({"held": [held_message(_numbers(held), report.tenant_id)]} if held else {}),
        "create": list(plan.get("create", [])),
        "update": list(plan.get("update", [])),
        "skip": skips,
        "webhook": [_WEBHOOK_PLAN.get(code, code) for code in plan.get("webhook", [])],
        "opt_out": opt_outs,
    }


def report_json(report: SyncReport) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tenant": report.tenant_id,
        "kind": str(report.kind),
        "status": str(report.status),
        "dry_run": report.dry_run,
        "counts": report.counts.as_dict(),
        "message": report_message(report),
        "api_calls": report.api_calls,
        "problems": [problem_json(p) for p in report.problems[:MAX_DETAILS]],
    }
    if report.failure:
        data["failure"] = str(report.failure)
    if report.held is not None:
        data["held"] = report.held
    if report.dry_run:
        data["plan"] = plan_lines(report)
    return data


def night_message(outcome: NightlyOutcome) -> str:
    return report_message(outcome.report) if outcome.report is not None else outcome.error


# -- a first sync in progress (issue 11 point 8) ------------------------------------------------

_FIRST_SYNC = {
    "en": (
        "First sync in progress: your clients are being sent to MailChimp. If it was "
        "interrupted, it resumes by itself within minutes."
    ),
    "fr": (
        "Première synchronisation en cours\u00a0: vos clients sont envoyés à MailChimp. Si elle "
        "a été interrompue, elle reprend d'elle-même dans les minutes qui suivent."
    ),
}


def first_sync_text(lang: str) -> str:
    return _FIRST_SYNC[lang if lang in _FIRST_SYNC else "en"]


# -- status: the fleet at a glance ---------------------------------------------------------------

_ATTENTION_FIX_EN = {
    "reauthorize": (
        "The owner must authorize again: send them the link `cs-mailchimp connect {t}` prints "
        "(or Settings → Advanced → Newsletters → Authorize)."
    ),
    "audience_gone": (
        "Have the owner create the audience {list!r} again in MailChimp (fields EMAIL, FNAME, "
        "LNAME, BIRTHDAY), then authorize again: `cs-mailchimp connect {t}`."
    ),
    "audience": (
        "Have the owner put the audience right in MailChimp as the reason says "
        "(`cs-mailchimp check {t} --fix` adds missing fields), then run `cs-mailchimp check {t}`: "
        "the tenant is connected again once the check passes."
    ),
    "webhook_missing": (
        "Run `cs-mailchimp sync {t}`: a sync installs the webhook. If it still fails, MailChimp "
        "cannot reach CS_MAILCHIMP_PUBLIC_URL (see `cs-mailchimp activity {t} --kind "
        "webhook.failed`)."
    ),
    "sync_held": (
        "Check the client database (`cs-mailchimp activity {t} --kind sync.held` gives the "
        "numbers), then send it with `cs-mailchimp sync {t} --confirm`."
    ),
    "overdue": (
        "See why with `cs-mailchimp activity {t} --kind sync.failed`, sync now with "
        "`cs-mailchimp sync {t}`, and check that `cs-mailchimp nightly` runs from cron every "
        "~10 minutes."
    ),
}


def attention_why(problem: Problem) -> str:
    code, facts = str(problem.code), problem.facts
    if code == "reauthorize":
        revoked = "MailChimp refused the plugin's authorization (it was revoked)."
        return revoked if problem.reason in ("", "revoked") else problem.reason
    if code == "audience_gone":
        return _capital(_gone(str(facts.get("list", "calendarspots"))))
    if code == "sync_held":
        return (
            "The mass-change guard held the last sync: it would have changed much of the "
            "audience, so nothing was sent."
        )
    if code == "webhook_missing":
        return (
            "Connected, but the plugin's webhook is not installed in the audience: unsubscribes "
            "made in MailChimp reach the client database only at the next sync."
        )
    if code == "overdue":
        missed, last = facts.get("nights_missed"), facts.get("last_ok")
        text = (
            f"No successful sync for {missed} nights (the last one for {last})."
            if missed is not None
            else "Connected, but no sync has succeeded yet."
        )
        return text + (f" The last failed sync said: {problem.reason}" if problem.reason else "")
    return _capital(problem.reason) or "The audience does not meet the plugin's needs."


def attention_fix(problem: Problem) -> str:
    return _ATTENTION_FIX_EN[str(problem.code)].format(
        t=problem.tenant_id, list=str(problem.facts.get("list", "calendarspots"))
    )


# What the owner should do, for csmc_attention_needed: the host shows it to the business's owner,
# so it speaks of the Newsletters page, never of commands.
_OWNER_FIX = {
    "en": {
        "reauthorize": (
            "MailChimp refused calendarspots.com's access: open the Newsletters page and click "
            "Reconnect."
        ),
        "audience_gone": (
            "Your MailChimp audience “{list}” no longer exists: create it again in MailChimp, "
            "then click Check and repair on the Newsletters page."
        ),
        "audience": (
            "Your MailChimp audience “{list}” is not as the sync needs it (a field is missing, "
            "or there are two audiences of that name): click Check and repair on the "
            "Newsletters page."
        ),
        "sync_held": (
            "The last sync would have changed much of your audience, so nothing was sent: "
            "check your client database, then click Confirm and send on the Newsletters page."
        ),
        "overdue": (
            "Your clients have not reached MailChimp for two nights: click Sync now on the "
            "Newsletters page; if it fails again, contact our support team."
        ),
    },
    "fr": {
        "reauthorize": (
            "MailChimp a refusé l'accès de calendarspots.com\u00a0: ouvrez la page Infolettres "
            "et cliquez sur Reconnecter."
        ),
        "audience_gone": (
            "Votre liste MailChimp «\u00a0{list}\u00a0» n'existe plus\u00a0: recréez-la dans "
            "MailChimp, puis cliquez sur Vérifier et réparer dans la page Infolettres."
        ),
        "audience": (
            "Votre liste MailChimp «\u00a0{list}\u00a0» n'est pas comme la synchronisation en "
            "a besoin (un champ manque, ou deux listes portent ce nom)\u00a0: cliquez sur "
            "Vérifier et réparer dans la page Infolettres."
        ),
        "sync_held": (
            "La dernière synchronisation aurait modifié une grande partie de votre liste, "
            "rien n'a donc été envoyé\u00a0: vérifiez votre base de données clients, puis "
            "cliquez sur Confirmer et envoyer dans la page Infolettres."
        ),
        "overdue": (
            "Vos clients n'ont pas été envoyés à MailChimp depuis deux nuits\u00a0: cliquez "
            "sur Synchroniser maintenant dans la page Infolettres\u00a0; si cela échoue "
            "encore, contactez notre équipe de support."
        ),
    },
}


def owner_fix(code: str, locale: str, list_name: str) -> str:
    """What the owner should do about an attention code, in their language."""
    words = _OWNER_FIX[locale if locale in _OWNER_FIX else "fr"]
    return words[code].format(list=list_name)


def _glance_json(g: Glance) -> dict[str, Any]:
    t = g.tenant
    return {
        "tenant": t.tenant_id,
        "name": t.name,
        "timezone": t.timezone,
        "state": str(t.state),
        "last_night": {"date": g.night.isoformat(), "sync": g.last_night or None},
        "last_sync_at": t.last_sync_at.isoformat() if t.last_sync_at else None,
        "last_successful_night": g.last_ok.isoformat() if g.last_ok else None,
        "nights_missed": g.nights_missed,
        "overdue": g.overdue,
        "attention": [str(p.code) for p in g.problems],
        "first_sync_in_progress": g.onboarding,
    }


def status_json(view: FleetView) -> dict[str, Any]:
    return {
        "at": view.at.isoformat(),
        "count": len(view.tenants),
        "by_state": view.by_state(),
        "last_night": view.last_night(),
        "overdue": [
            {
                "tenant": g.tenant.tenant_id,
                "last_successful_night": g.last_ok.isoformat() if g.last_ok else None,
                "nights_missed": g.nights_missed,
            }
            for g in view.overdue()
        ],
        "attention": attention_json(view),
        "tenants": [_glance_json(g) for g in view.tenants],
    }


def attention_json(view: FleetView) -> list[dict[str, str]]:
    return [
        {
            "tenant": p.tenant_id,
            "code": str(p.code),
            "reason": p.reason,
            "why": attention_why(p),
            "fix": attention_fix(p),
        }
        for p in view.attention()
    ]


def _tenant_lines(g: Glance) -> list[str]:
    t = g.tenant
    last = t.last_sync_at.isoformat(timespec="seconds") if t.last_sync_at else "never"
    night = g.last_night.replace("_", " ") if g.last_night else "— (not connected)"
    lines = [
        f"Tenant {t.tenant_id} ({t.name}, {t.timezone}): {t.state}",
        f"  last sync: {last}; last successful night: {g.last_ok or 'none'}",
        f"  last night ({g.night}): {night}",
    ]
    if g.onboarding:
        lines.append(f"  {first_sync_text('en')}")
    return lines


def status_lines(view: FleetView, one: bool = False) -> list[str]:
    """`status` as text: one tenant's block, or the fleet's counts; then overdue and attention."""
    at = view.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    states = ", ".join(f"{n} {state}" for state, n in view.by_state().items())
    night = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in view.last_night().items())
    lines = (
        _tenant_lines(view.tenants[0])
        if one
        else [
            f"Fleet at {at}: {len(view.tenants)} tenant(s)",
            f"By state: {states}",
            f"Last night (each connected tenant's latest nightly sync): {night}",
        ]
    )
    overdue = view.overdue()
    lines.append(f"Overdue (connected, no successful sync for two local nights): {len(overdue)}")
    for g in overdue:
        missed = (
            f"{g.nights_missed} nights missed" if g.nights_missed is not None else "never synced"
        )
        lines.append(
            f"  {g.tenant.tenant_id:<16} last successful night {g.last_ok or '—'}, {missed}"
        )
    problems = view.attention()
    lines.append(f"Needs attention: {len({p.tenant_id for p in problems})} tenant(s)")
    for p in problems:
        lines.append(f"  {p.tenant_id:<16} {p.code}")
        lines.append(f"  {'':<16} why: {attention_why(p)}")
        lines.append(f"  {'':<16} fix: {attention_fix(p)}")
    return lines


# -- clients explain: one client's story ---------------------------------------------------------

_STORY_EN = {
    "not_connected": (
        "The business is not connected to MailChimp ({detail}): nothing is sent until the owner "
        "authorizes.",
        "Send the owner the link `cs-mailchimp connect {t}` prints.",
    ),
    "invalid_email": (
        "{email!r} is not a valid email address: every sync skips this client.",
        "Correct the client's email in the client database; the next sync sends it.",
    ),
    "will_be_sent": (
        "Not in the MailChimp audience yet: the next sync adds them.",
        "Nothing to do: tonight's sync adds them (or run `cs-mailchimp sync {t}` now).",
    ),
    "opted_out:unsubscribed": (
        "They unsubscribed in MailChimp. The plugin never subscribes them again (R10) and no "
        "longer sends their details.",
        "Nothing to do. Only they can subscribe again, through the audience's MailChimp signup "
        "form.",
    ),
    "opted_out:cleaned": (
        "MailChimp cleaned the address (it bounced or was reported invalid): MailChimp does not "
        "send to it any more, and the plugin never subscribes it again.",
        "Ask the client for a new email address at their next visit; a new address is added "
        "at the next sync.",
    ),
    "not_subscribed_here": (
        "The client database says {detail}: the plugin does not add them to MailChimp.",
        "Nothing to do. If they want the newsletter, they can subscribe through the audience's "
        "MailChimp signup form.",
    ),
    "subscribed_there_only": (
        "The client database says {detail}, but MailChimp has them subscribed (they may have "
        "subscribed again through a MailChimp form). MailChimp holds consent: the plugin never "
        "unsubscribes anyone.",
        "Nothing to do, unless they ask to stop: then they unsubscribe with the link in any "
        "newsletter, or the owner unsubscribes them in MailChimp.",
    ),
    "left_audience": (
        "The plugin added them before, but MailChimp no longer has them at this address "
        "(archived or deleted there, or they changed address in MailChimp). They are not "
        "added again, so as not to undo that choice.",
        "If they should be in the audience, add them back in MailChimp by hand; if they changed "
        "address, update their email in the client database.",
    ),
    "refused": (
        "MailChimp refused this contact at an earlier sync: {refusal}. It is not sent again "
        "until the client's details change.",
        "Correct the client's details in the client database; the next sync sends them again.",
    ),
    "in_audience:subscribed": (
        "In the MailChimp audience, subscribed: the newsletter reaches them.",
        "Nothing to do.",
    ),
    "in_audience:pending": (
        "In the MailChimp audience, pending: MailChimp sent them a confirmation email (double "
        "opt-in) and waits for them to confirm.",
        "Nothing to do: they must click the link in MailChimp's confirmation email (ask them "
        "to look in their spam folder).",
    ),
    "in_audience": (
        "In the MailChimp audience as {detail}.",
        "Nothing to do.",
    ),
}
_REFUSED_FIX_EN = {
    "fake_or_invalid": "Check the client's email address with them and correct it.",
    "forgotten": "They must sign up again through the audience's MailChimp signup form.",
    "birthday_refused": "Correct the client's birthday (month and day).",
}
_NEXT_EN = {
    "nothing": "nothing: the business is not connected",
    "add": "adds them to the audience",
    "update": "updates their name and birthday in MailChimp (they changed since the last push)",
    "unchanged": "nothing to send",
    "skip": "skips them: {reason}",
}
_LIVE_SKIPPED_EN = {
    "not_connected": "not asked: the business is not connected",
    "no_audience": "not asked: no audience is known yet (no sync has run)",
}


# The owner's page tells the same story without the operator's commands and rule numbers.
_STORY_OWNER_EN = {
    "not_connected": (
        "Your business is not connected to MailChimp: nothing is sent to it.",
        "Click Authorize on the Newsletters page.",
    ),
    "will_be_sent": (
        "Not in the MailChimp audience yet: the next sync adds them.",
        "Nothing to do: tonight's sync adds them (or click Sync now).",
    ),
    "opted_out:unsubscribed": (
        "They unsubscribed in MailChimp. calendarspots.com never subscribes them again and no "
        "longer sends their details.",
        _STORY_EN["opted_out:unsubscribed"][1],
    ),
}
_STATUS_FR = {
    "subscribed": "abonné",
    "unsubscribed": "désabonné",
    "cleaned": "adresse invalide",
    "pending": "en attente de confirmation",
    "transactional": "transactionnel",
    "archived": "archivé",
}
_STORY_FR = {
    "not_connected": (
        "Votre entreprise n'est pas connectée à MailChimp : rien n'y est envoyé.",
        "Cliquez sur Autoriser sur la page Infolettres.",
    ),
    "invalid_email": (
        "« {email} » n'est pas une adresse courriel valide : chaque synchronisation ignore ce "
        "client.",
        "Corrigez le courriel dans la fiche du client ; la prochaine synchronisation l'enverra.",
    ),
    "will_be_sent": (
        "Pas encore dans la liste MailChimp : la prochaine synchronisation l'ajoutera.",
        "Rien à faire : la synchronisation de cette nuit l'ajoutera (ou cliquez sur "
        "Synchroniser maintenant).",
    ),
    "opted_out:unsubscribed": (
        "Ce client s'est désabonné dans MailChimp. calendarspots.com ne le réabonne jamais et "
        "n'envoie plus ses informations.",
        "Rien à faire. Seul le client peut se réabonner, par le formulaire d'inscription "
        "MailChimp.",
    ),
    "opted_out:cleaned": (
        "MailChimp a retiré l'adresse (elle ne fonctionne pas ou a été signalée invalide) : "
        "MailChimp n'y envoie plus rien, et calendarspots.com ne la réabonne jamais.",
        "Demandez au client une nouvelle adresse courriel à sa prochaine visite ; elle sera "
        "ajoutée à la synchronisation suivante.",
    ),
    "opted_out": (
        "Ce client ne reçoit plus l'infolettre dans MailChimp ({detail}) : calendarspots.com "
        "ne le réabonne jamais.",
        "Rien à faire.",
    ),
    "not_subscribed_here": (
        "Votre base de données clients indique « {detail} » : ce client n'est pas ajouté à "
        "MailChimp.",
        "Rien à faire. S'il veut l'infolettre, il peut s'inscrire par le formulaire "
        "d'inscription MailChimp.",
    ),
    "subscribed_there_only": (
        "Votre base de données clients indique « {detail} », mais MailChimp l'a comme abonné "
        "(il s'est peut-être réinscrit par un formulaire MailChimp). MailChimp garde le "
        "consentement : calendarspots.com ne désabonne jamais personne.",
        "Rien à faire, sauf s'il demande à ne plus recevoir l'infolettre : il se désabonne par "
        "le lien présent dans chaque infolettre, ou vous le désabonnez dans MailChimp.",
    ),
    "left_audience": (
        "Ce client avait été ajouté, mais MailChimp ne l'a plus à cette adresse (archivé ou "
        "supprimé dans MailChimp, ou adresse changée là-bas). Il n'est pas rajouté, pour "
        "respecter ce choix.",
        "S'il doit être dans la liste, rajoutez-le dans MailChimp ; s'il a changé d'adresse, "
        "mettez à jour son courriel dans sa fiche.",
    ),
    "refused": (
        "MailChimp a refusé ce contact lors d'une synchronisation précédente ({refusal}). Il "
        "n'est pas renvoyé tant que sa fiche ne change pas.",
        "Corrigez la fiche du client ; la prochaine synchronisation la renverra.",
    ),
    "in_audience:subscribed": (
        "Dans la liste MailChimp, abonné : l'infolettre lui parvient.",
        "Rien à faire.",
    ),
    "in_audience:pending": (
        "Dans la liste MailChimp, en attente : MailChimp lui a envoyé un courriel de "
        "confirmation et attend sa réponse.",
        "Rien à faire : le client doit cliquer sur le lien du courriel de confirmation de "
        "MailChimp (qu'il regarde aussi dans ses courriels indésirables).",
    ),
    "in_audience": ("Dans la liste MailChimp ({detail}).", "Rien à faire."),
}
_NEXT_FR = {
    "nothing": "rien : l'entreprise n'est pas connectée",
    "add": "l'ajoute à la liste",
    "update": "met à jour son nom et son anniversaire dans MailChimp (ils ont changé)",
    "unchanged": "rien à envoyer",
    "skip": "l'ignore : {reason}",
}


def story_texts(story: ClientStory, lang: str = "en", owner: bool = False) -> tuple[str, str, str]:
    """(why, what to do, what the next sync does) in words; `owner`: as the owner's page says
    it (no command; French is always the owner's)."""
    e = story.explanation
    code, detail = str(e.story), e.detail
    french = lang == "fr"
    table = _STORY_FR if french else {**_STORY_EN, **(_STORY_OWNER_EN if owner else {})}
    key = f"{code}:{detail}" if f"{code}:{detail}" in table else code
    why, fix = table[key]
    refusal = reason_text(detail, lang) if code == "refused" else ""
    shown = _STATUS_FR.get(detail, detail) if french else detail
    fields = {"detail": shown, "t": story.tenant.tenant_id, "email": story.client.email}
    why, fix = why.format(refusal=refusal, **fields), fix.format(**fields)
    if code == "refused":
        fix = (
            reason_fix(detail, lang) or fix
            if french
            else _REFUSED_FIX_EN.get(detail.partition(":")[0], fix)
        )
    if code == "in_audience" and story.up_to_date is False:
        why += (
            " Ses informations ont changé depuis le dernier envoi : la prochaine synchronisation "
            "les mettra à jour."
            if french
            else " Their details changed since the last push: the next sync updates them."
        )
    reason = reason_text(e.next_reason, lang) if e.next_reason else ""
    then = (_NEXT_FR if french else _NEXT_EN)[str(e.next)].format(reason=reason)
    return why, fix, then


def _live_text(story: ClientStory) -> str:
    live = story.live
    if live.skipped:
        return _LIVE_SKIPPED_EN.get(live.skipped, live.skipped)
    if live.error:
        why = (
            "MailChimp refused the plugin's authorization"
            if live.error == "revoked"
            else live.error
        )
        return f"could not ask: {why}"
    if live.member is None:
        return "not in the audience at this address"
    m = live.member
    changed = (
        f", last changed {m.last_changed.isoformat(timespec='seconds')}" if m.last_changed else ""
    )
    return f"{m.status}{changed} ({_names_en(m.merge_fields)})"


def _ledger_text(story: ClientStory) -> str:
    entry = story.ledger
    if entry is None:
        return "nothing pushed yet"
    fresh = "up to date" if story.up_to_date else "the client changed since"
    error = reason_text(entry.last_error) if entry.last_error else "none"
    return (
        f"last pushed as {entry.email} (content {entry.content_hash[:12]}…, {fresh}); member "
        f"status {entry.member_status or 'unknown'}; last error: {error}"
    )


def explain_lines(story: ClientStory) -> list[str]:
    c, t = story.client, story.tenant
    why, fix, then = story_texts(story)
    birthday = c.birthday.iso() if c.birthday else "none"
    name = " ".join(part for part in (c.first_name, c.last_name) if part) or "no name"
    lines = [
        f"Client {c.client_id} of {t.tenant_id} ({t.name}, {t.state})",
        f"  platform:  {c.email} · {name} · birthday {birthday} · newsletter {c.newsletter}",
        f"  ledger:    {_ledger_text(story)}",
        f"  MailChimp: {_live_text(story)}",
        f"  activity:  {len(story.entries)} entr{'y' if len(story.entries) == 1 else 'ies'}"
        + (" (only the newest entries were searched)" if story.entries_truncated else ""),
    ]
    for entry in story.entries:
        lines.append(f"    {entry.at.isoformat(timespec='seconds')}  {entry.kind}  {render(entry)}")
    lines += [f"  why:       {why}", f"  next sync: {then}", f"  to do:     {fix}"]
    return lines


def explain_json(story: ClientStory, client: dict[str, Any]) -> dict[str, Any]:
    why, fix, then = story_texts(story)
    e, entry, live = story.explanation, story.ledger, story.live
    member = live.member
    return {
        "tenant": story.tenant.tenant_id,
        "tenant_state": str(story.tenant.state),
        "client": client,
        "ledger": None
        if entry is None
        else {
            "client_id": entry.client_id,
            "email": entry.email,
            "content_hash": entry.content_hash,
            "up_to_date": story.up_to_date,
            "member_status": str(entry.member_status) if entry.member_status else None,
            "last_error": entry.last_error or None,
        },
        "mailchimp": {
            "read": live.read,
            "skipped": live.skipped or None,
            "error": live.error or None,
            "member": None
            if member is None
            else {
                "email": member.email,
                "status": str(member.status),
                "last_changed": member.last_changed.isoformat() if member.last_changed else None,
                "merge_fields": member.merge_fields,
            },
            "text": _live_text(story),
        },
        "activity": [entry_json(a) for a in story.entries],
        "activity_truncated": story.entries_truncated,
        "why": {"code": str(e.story), "detail": e.detail, "text": why},
        "next_sync": {"action": str(e.next), "reason": e.next_reason or None, "text": then},
        "fix": fix,
    }
