"""Words for people: the one place that turns facts (activity kinds and details, reports,
reason codes, error codes) into sentences. The core stores facts only; every reader — the CLI,
the HTTP JSON and pages, the host's `csmc_activity_recorded` — gets its text here, in the
reader's language.

How a sentence is written (the pattern for every new one):

    def _removed(d: Details, w: Words) -> str:          # w = translate(lang)
        return w.n_(
            "{n} client removed from the platform is no longer synced.",
            "{n} clients removed from the platform are no longer synced.",
            d["count"],
        )
    TEMPLATES["contact.removed"] = _removed

- ONE English msgid per sentence, with named placeholders (`{email}`, `{n}`): `w._(msgid,
  **facts)`; a count goes through `w.n_(singular, plural, n, **facts)` (no "1 ajoutés"); a
  table of sentences chosen later marks each with `N_(...)` and words it with `w._(table[k])`.
- No f-string or `+` builds a sentence out of English pieces; a joint between two sentences is
  its own msgid (`"{summary}; {opt_outs}"`) so French can place its own punctuation.
- Then `scripts/i18n.sh` (Babel: extracts the msgids, updates
  `entrypoints/locales/fr/LC_MESSAGES/messages.po`) and write the French there:
  `tests/unit/entrypoints/test_catalog.py` fails while a msgid has no French (or a French with
  other placeholders).
- The owner's pages (`render(owner=True)`, `story_texts(owner=True)`) never show a command, an
  operator's screen or MailChimp's own English: a kind whose operator sentence has one gets an
  OWNER_TEMPLATES entry (its own msgid), as `sync.held` does.
- An error is a code and facts (`CalendarspotsError(message, code=, facts=)`, `RowError(...,
  code=, facts=)`, a stored reason `core.errors.coded(code, facts)`): its msgid goes in ERRORS.

An entry written before entries were pure data carries its stored English sentence; when the
details do not say enough for a template, that sentence is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC
from typing import Any

from calendarspots_mailchimp.core.activity import ActivityEntry
from calendarspots_mailchimp.core.errors import CalendarspotsError, decoded
from calendarspots_mailchimp.core.model import SyncKind
from calendarspots_mailchimp.core.services.check import CheckResult
from calendarspots_mailchimp.core.services.client_rows import RowError
from calendarspots_mailchimp.core.services.connect import Connected, ConnectResult
from calendarspots_mailchimp.core.services.explain import ClientStory
from calendarspots_mailchimp.core.services.fleet import FleetView, Glance, Problem
from calendarspots_mailchimp.core.services.nightly import NightlyOutcome
from calendarspots_mailchimp.core.services.sharing import SHARED
from calendarspots_mailchimp.core.services.sync.limits import MAX_DETAILS
from calendarspots_mailchimp.core.services.sync.report import (
    ClientProblem,
    Failure,
    Reason,
    SyncReport,
    decode,
)
from calendarspots_mailchimp.entrypoints.i18n import LANGUAGES, N_, Words, translate
from calendarspots_mailchimp.ports.mailchimp import MailChimpError

Details = Mapping[str, Any]
Template = Callable[[Details, Words], str]
__all__ = ["LANGUAGES", "TEMPLATES", "render", "worded"]

# Words for the statuses and states that facts carry (a client's, a member's, a tenant's).
STATUS = {
    "subscribed": N_("subscribed"),
    "unsubscribed": N_("unsubscribed"),
    "cleaned": N_("cleaned"),
    "pending": N_("pending"),
    "archived": N_("archived"),
    "transactional": N_("transactional"),
    # A tenant's state: its code in English (operators grep it; `--json` has the same),
    # words in French.
    "not_connected": N_("not_connected"),
    "connected": N_("connected"),
    "needs_attention": N_("needs_attention"),
    "needs_reauthorization": N_("needs_reauthorization"),
    "disconnected": N_("disconnected"),
}


def status_word(status: str, w: Words) -> str:
    return w._(STATUS[status]) if status in STATUS else status


# -- activity entries ---------------------------------------------------------------------------


def _who(d: Details) -> str:
    email = str(d.get("email", ""))
    name = str(d.get("client_name") or "")
    return f"{name} ({email})" if name else email


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


_FIELD_NAMES = {"FNAME": N_("first name"), "LNAME": N_("last name"), "BIRTHDAY": N_("birthday")}


def _names(merges: Any, w: Words) -> str:
    if not isinstance(merges, Mapping):
        return w._("no name given")
    parts = [
        w._("{field} “{value}”", field=w._(label), value=merges[tag])
        for tag, label in _FIELD_NAMES.items()
        if merges.get(tag)
    ]
    return ", ".join(parts) or w._("no name given")


_NO_CLIENT = N_("No client has this address in your client database; nothing to do.")
_AUTH_FAILED = {
    "replayed": N_("This authorization link was already used: click Authorize again to connect."),
    "denied": N_(
        "MailChimp authorization was not granted{error}: click Authorize again to connect."
    ),
    "incomplete": N_("MailChimp did not complete the authorization{error}: click Authorize again."),
}
_EVENT = {
    "subscribe": N_("subscribe"),
    "unsubscribe": N_("unsubscribe"),
    "profile": N_("profile"),
    "upemail": N_("upemail"),
    "cleaned": N_("cleaned"),
    "campaign": N_("campaign"),
}
_WEBHOOK_WHAT = {
    "URL changed": N_("URL changed"),
    "events changed": N_("events changed"),
    "sources changed": N_("sources changed"),
    "duplicate removed": N_("duplicate removed"),
    "missing": N_("missing"),
}


def _unsubscribed(d: Details, w: Words) -> str:
    if d.get("source") == "sync":
        return w._(
            "{who} unsubscribed in MailChimp; the client database was updated (found by the sync).",
            who=_who(d),
        )
    said = (
        w._(
            "{who} unsubscribed from your newsletter in MailChimp after marking a newsletter as "
            "spam.",
            who=_who(d),
        )
        if d.get("reason") == "abuse"
        else w._("{who} unsubscribed from your newsletter in MailChimp.", who=_who(d))
    )
    after = (
        w._("The client's record now says unsubscribed; nothing to do.")
        if d.get("client_id")
        else w._(_NO_CLIENT)
    )
    return f"{said} {after}"


def _cleaned(d: Details, w: Words) -> str:
    if d.get("source") == "sync":
        return w._(
            "{who} was cleaned (invalid address) in MailChimp; the client database was updated "
            "(found by the sync).",
            who=_who(d),
        )
    reason = str(d.get("reason", ""))
    if reason == "hard":
        said = w._(
            "MailChimp stopped sending to {who}: the address bounced (the address does not "
            "exist or no longer works).",
            who=_who(d),
        )
    elif reason == "abuse":
        said = w._(
            "MailChimp stopped sending to {who}: the address was cleaned after a spam complaint.",
            who=_who(d),
        )
    else:
        said = w._(
            "MailChimp stopped sending to {who}: the address was found invalid.", who=_who(d)
        )
    after = (
        w._(
            "The client's record now says invalid address; ask the client for a new email "
            "address at their next visit."
        )
        if d.get("client_id")
        else w._(_NO_CLIENT)
    )
    return f"{said} {after}"


def _subscribed(d: Details, w: Words) -> str:
    names = _names(d.get("merges"), w)
    if d.get("client_id"):
        return w._(
            "{email}, already a client, subscribed (again) through MailChimp ({names}). The "
            "client database was not changed: update the client's newsletter choice by hand if "
            "relevant.",
            email=d["email"],
            names=names,
        )
    return w._(
        "New subscriber {email} in MailChimp ({names}). Not added to the client database: add "
        "the client by hand if relevant.",
        email=d["email"],
        names=names,
    )


def _counts(c: Mapping[str, Any], w: Words) -> str:

    def get(key: str) -> int:
        return int(c.get(key, 0))

    parts = [
        w.n_("{n} added", "{n} added", get("created")),
        w.n_("{n} updated", "{n} updated", get("updated")),
        w.n_("{n} unchanged", "{n} unchanged", get("unchanged")),
        w.n_("{n} skipped", "{n} skipped", get("skipped")),
        w.n_("{n} failed", "{n} failed", get("failed")),
    ]
    return ", ".join(parts)


def _summary(d: Details, w: Words) -> str:
    c = d["counts"]
    counts = _counts(c, w)
    text = (
        w._("Dry run: would send: {counts}", counts=counts)
        if d.get("dry_run")
        else w._("Sync finished: {counts}", counts=counts)
    )
    if c.get("unsubscribed") or c.get("cleaned"):
        opt_outs = w._(
            "{unsubscribed} and {cleaned} in MailChimp",
            unsubscribed=w.n_("{n} unsubscribed", "{n} unsubscribed", int(c["unsubscribed"])),
            cleaned=w.n_("{n} cleaned", "{n} cleaned", int(c["cleaned"])),
        )
        text = w._("{summary}; {opt_outs}", summary=text, opt_outs=opt_outs)
    if d.get("webhook_problem"):
        text = w._("{summary}. The webhook is not installed: see the activity log", summary=text)
    return text


def _repaired(d: Details, w: Words) -> str:
    if d.get("moved"):
        return w._(
            "The MailChimp webhook was given a new address: its secret is no longer stored in "
            "the database. Nothing to do."
        )
    what = ", ".join(w._(_WEBHOOK_WHAT.get(str(x), str(x))) for x in d.get("what") or [])
    return w._(
        "The MailChimp webhook was altered in MailChimp ({what}); it was restored. Please do "
        "not delete or edit it (Audience → Settings → Webhooks).",
        what=what or w._("changed"),
    )


def _refused(d: Details, w: Words) -> str:
    if d.get("audience_id"):
        return w._(
            "A MailChimp {type} event for another audience ({list_id}) was refused: only the "
            "connected audience's events are accepted. If you connected a different audience, "
            "remove the old audience's webhook in MailChimp (Audience → Settings → Webhooks).",
            type=_event(d, w),
            list_id=d["list_id"],
        )
    return w._(
        "A MailChimp {type} event was refused: no MailChimp audience is connected yet. To "
        "connect one, run `cs-mailchimp connect {tenant}` and send the owner the link it prints.",
        type=_event(d, w),
        tenant=_tenant(d),
    )


def _event(d: Details, w: Words) -> str:
    kind = str(d.get("type", ""))
    return w._(_EVENT[kind]) if kind in _EVENT else kind


def _refused_owner(d: Details, w: Words) -> str:
    if d.get("audience_id"):
        return w._(
            "A MailChimp “{type}” event for another audience was refused: only the connected "
            "audience's events are accepted. If you connected a different audience, remove the "
            "old audience's webhook in MailChimp (Audience → Settings → Webhooks).",
            type=_event(d, w),
        )
    return w._(
        "A MailChimp “{type}” event was refused: no MailChimp audience is connected. Click "
        "Authorize on the Newsletters page.",
        type=_event(d, w),
    )


def _removed(d: Details, w: Words) -> str:
    count = int(d["count"])
    if d.get("archive"):
        return w.n_(
            "{n} client removed from the platform is no longer synced; {archived} archived in "
            "MailChimp.",
            "{n} clients removed from the platform are no longer synced; {archived} archived "
            "in MailChimp.",
            count,
            archived=w.number(int(d["archived"])),
        )
    return w.n_(
        "{n} client removed from the platform is no longer synced; left as it is in MailChimp.",
        "{n} clients removed from the platform are no longer synced; left as they are in "
        "MailChimp.",
        count,
    )


def _failed_why(d: Details, w: Words) -> str:
    failure = d.get("failure", "")
    if failure == "revoked":
        return w._(
            "MailChimp refused the plugin's authorization (it was revoked); the owner must "
            "authorize again."
        )
    if failure == "audience_gone":
        return _gone(str(d.get("list_name", "calendarspots")), w)
    if failure == "mailchimp":
        return w._(
            "MailChimp did not answer well ({error}); it is tried again later.",
            error=reason_words(str(d["error"]), w.lang),
        )
    if failure == "deadline":
        return w._(_DEADLINE)
    if d.get("code"):
        return error_words(str(d["code"]), d.get("facts") or {}, w) or str(d["error"])
    return reason_words(str(d["error"]), w.lang)


_DEADLINE = N_(
    "it ran past its time limit and stopped between two batches. What MailChimp received is "
    "recorded; the rest is sent by the next sync, which comes soon."
)


def _failed_owner(d: Details, w: Words) -> str:
    """Why a sync or a check failed, as the owner reads it: what to click on the Newsletters
    page, without MailChimp's own (English) words or an operator's command."""
    failure = d.get("failure", "")
    shared = _shared_list(d)
    if shared is not None:
        return shared_owner(shared, w)
    if failure == "revoked":
        return w._(
            "MailChimp refused calendarspots.com's access (the authorization was revoked): "
            "click Reconnect."
        )
    if failure == "audience_gone":
        return w._(
            "the MailChimp audience “{list}” is gone. Do not delete this audience: create it "
            "again in MailChimp, then click Authorize.",
            list=d.get("list_name", "calendarspots"),
        )
    if failure == "mailchimp":
        return w._("MailChimp did not answer well; it is tried again later.")
    if failure == "deadline":
        return w._(_DEADLINE)
    if failure == "contract" or d.get("problems") is not None:
        return w._(_ATTENTION_FIELDS)
    return w._("something went wrong; it is tried again at the next sync.")


_ATTENTION_FIELDS = N_(
    "the MailChimp audience lacks the expected fields (email, first name, last name, "
    "birthday): click “Check and repair”."
)


_SHARED_OWNER = N_(
    "another business already uses the MailChimp audience “{list}” of this MailChimp account, "
    "so your clients are not sent to it (one business's unsubscribes would reach the other's "
    "clients). On the Newsletters page, click Disconnect, then Authorize with a MailChimp "
    "account of your own; or contact our support team."
)


def shared_owner(list_name: str, w: Words, capital: bool = False) -> str:
    """R1: the audience this tenant found is another business's (core/services/sharing.py),
    as its owner reads it: which audience and what to do, never who the other business is."""
    text = w._(_SHARED_OWNER, list=list_name)
    return _capital(text) if capital else text


def _shared_list(d: Details) -> str | None:
    """The audience's name when a check or sync failed because another tenant uses it."""
    if d.get("code"):
        code, facts = str(d["code"]), d.get("facts") or {}
    else:
        code, facts = decoded(str(d.get("error", ""))) or ("", {})
    if code != SHARED:
        return None
    return str(facts.get("list") or d.get("list_name") or "calendarspots")


def _auth_failed(d: Details, w: Words) -> str:
    error = f" ({reason_words(str(d['error']), w.lang)})" if d.get("error") else ""
    return w._(_AUTH_FAILED[str(d["reason"])], error=error)


def _disconnected(d: Details, w: Words) -> str:
    if d.get("error"):
        return w._(
            "MailChimp was disconnected: the plugin's webhook could not be removed ({error}): "
            "delete it in MailChimp (Audience → Settings → Webhooks); its access was forgotten "
            "and the clients stay in your client database. Click Authorize to connect again.",
            error=d["error"],
        )
    return w._(
        "MailChimp was disconnected: the plugin's webhook was removed from the audience; its "
        "access was forgotten and the clients stay in your client database. Click Authorize "
        "to connect again."
    )


# The fix for a revoked authorization, as the operator reads it (CLI, status, JSON), in every
# language: a link for the owner. The owner's pages name their own button instead (Reconnect:
# OWNER_TEMPLATES, _failed_owner, _OWNER_FIX).
_REAUTHORIZE = N_(
    "The owner must authorize again: run `cs-mailchimp connect {tenant}` and send them the "
    "link it prints."
)


def _tenant(d: Details) -> str:
    """The entry's tenant (render() adds it to the details) for a command to type."""
    return str(d.get("tenant") or "TENANT")


def _revoked(d: Details, w: Words) -> str:
    return w._(
        "MailChimp refused the plugin's authorization (it was revoked). {fix}",
        fix=w._(_REAUTHORIZE, tenant=_tenant(d)),
    )


def _check_passed(d: Details, w: Words) -> str:
    return w._(
        "Check passed: the audience “{list_name}” (id {audience_id}) has EMAIL, FNAME, LNAME "
        "and BIRTHDAY.",
        list_name=d["list_name"],
        audience_id=d["audience_id"],
    )


def _check_fixed(d: Details, w: Words) -> str:
    fields = list(map(str, d["fields"]))
    return w.n_(
        "Added the missing audience field {fields} in MailChimp.",
        "Added the missing audience fields {fields} in MailChimp.",
        len(fields),
        fields=", ".join(fields),
    )


def _webhook_failed(d: Details, w: Words) -> str:
    return w._(
        "The webhook could not be installed in MailChimp ({error}). MailChimp must be able to "
        "reach {public_url}: check that the plugin's web server is running. It will be tried "
        "again at the next sync.",
        error=d["error"],
        public_url=d["public_url"],
    )


def _held_what(d: Details, w: Words) -> str:
    what = []
    if d["update_percent"] > d["update_limit"]:
        what.append(
            w._(
                "{count} of {members} members would be updated ({percent} %, more than {limit} %)",
                count=w.number(d["updates"]),
                members=w.number(d["members"]),
                percent=w.number(d["update_percent"]),
                limit=w.number(d["update_limit"]),
            )
        )
    if d["archive_percent"] > d["archive_limit"]:
        what.append(
            w._(
                "{count} of {members} members would be archived ({percent} %, more than {limit} %)",
                count=w.number(d["archives"]),
                members=w.number(d["members"]),
                percent=w.number(d["archive_percent"]),
                limit=w.number(d["archive_limit"]),
            )
        )
    return what[0] if len(what) == 1 else w._("{first} and {second}", first=what[0], second=what[1])


def held_message(d: Details, tenant_id: str = "TENANT", lang: str = "en") -> str:
    w = translate(lang)
    both = _held_what(d, w)
    return w._(
        "Held by the mass-change guard: {what}; nothing was sent. Check the client database, "
        "then run `cs-mailchimp sync {tenant} --confirm` to send it.",
        what=both,
        tenant=tenant_id,
    )


def _held_owner(d: Details, w: Words) -> str:
    """The guard's hold as the owner reads it: the same numbers, then the page's button."""
    return w._(
        "Held by the mass-change guard: {what}; nothing was sent. Check your client database, "
        "then click “Confirm and send” on the Newsletters page.",
        what=_held_what(d, w),
    )


TEMPLATES: dict[str, Template] = {
    "authorization.granted": lambda d, w: w._(
        "MailChimp account “{account}” authorized.", account=d["account"] or d["dc"]
    ),
    "authorization.failed": _auth_failed,
    "authorization.disconnected": _disconnected,
    "authorization.revoked": _revoked,
    "check.passed": _check_passed,
    "check.failed": lambda d, w: _capital(_failed_why(d, w)),
    "check.fixed": _check_fixed,
    "webhook.installed": lambda d, w: w._(
        "The webhook was added to your MailChimp audience. Please do not delete or edit it."
    ),
    "webhook.repaired": _repaired,
    "webhook.failed": _webhook_failed,
    "webhook.refused": _refused,
    "sync.succeeded": _summary,
    "sync.partial": _summary,
    "sync.failed": lambda d, w: w._("Sync failed: {why}", why=_failed_why(d, w)),
    "sync.held": lambda d, w: held_message(d, _tenant(d), w.lang),
    "contact.unsubscribed": _unsubscribed,
    "contact.cleaned": _cleaned,
    "contact.removed": _removed,
    "contact.email_changed": lambda d, w: w._(
        "{old_email} changed address to {new_email}: the same MailChimp member follows the client.",
        old_email=d["old_email"],
        new_email=d["new_email"],
    ),
    "mailchimp.subscribe.recorded": _subscribed,
    "mailchimp.profile.recorded": lambda d, w: w._(
        "{email} updated their profile in MailChimp ({names}). The client database was not "
        "changed: copy the new values by hand if relevant.",
        email=d["email"],
        names=_names(d.get("merges"), w),
    ),
    "mailchimp.upemail.recorded": lambda d, w: w._(
        "{old_email} changed their address to {new_email} in MailChimp. The client database "
        "was not changed: update the client's email by hand if relevant.",
        old_email=d["old_email"],
        new_email=d["new_email"],
    ),
    "mailchimp.campaign.recorded": lambda d, w: w._(
        "MailChimp campaign event: {subject} ({status}).",
        subject=d["campaign"].get("subject", ""),
        status=d["campaign"].get("status", ""),
    ),
    "sync.requested": lambda d, w: w._(
        "Sync requested from the Newsletters page: it runs in a few moments."
    ),
    "contact.rejected": lambda d, w: w._("MailChimp refused the contact {who}.", who=_who(d)),
}

_AUTH_FAILED_OWNER = {
    "replayed": N_("This authorization link was already used: click Authorize again."),
    "denied": N_("MailChimp did not grant the authorization: click Authorize again."),
    "incomplete": N_("MailChimp did not complete the authorization: click Authorize again."),
}

# What the owner reads where the operator's sentence names a command, a screen the owner does
# not have, or MailChimp's own (English) words (the owner's pages); other kinds read as above.
OWNER_TEMPLATES: dict[str, Template] = {
    "authorization.failed": lambda d, w: w._(_AUTH_FAILED_OWNER[str(d["reason"])]),
    "authorization.revoked": lambda d, w: w._(
        "MailChimp refused calendarspots.com's access (the authorization was revoked): click "
        "Reconnect on the Newsletters page."
    ),
    "check.failed": lambda d, w: _capital(_failed_owner(d, w)),
    "sync.failed": lambda d, w: w._("Sync failed: {why}", why=_failed_owner(d, w)),
    "sync.held": _held_owner,
    "webhook.failed": lambda d, w: w._(
        "The webhook could not be installed in MailChimp; it is tried again at the next sync."
    ),
    "webhook.refused": _refused_owner,
    "mailchimp.campaign.recorded": lambda d, w: w._(
        "MailChimp campaign: {subject}.", subject=d["campaign"].get("subject", "")
    ),
}


def render(entry: ActivityEntry, lang: str = "en", owner: bool = False) -> str:
    """The entry's sentence in `lang`; `owner`: as the owner's pages say it (no command, no
    operator's screen, no MailChimp English)."""
    kind, details = str(entry.kind), {"tenant": entry.tenant_id, **entry.details}
    template = (OWNER_TEMPLATES.get(kind) if owner else None) or TEMPLATES.get(kind)
    try:
        if template is not None:
            return template(details, translate(lang))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        pass  # an entry from before entries were data: its stored sentence
    return entry.message


def worded(entry: ActivityEntry, lang: str = "en") -> ActivityEntry:
    """The entry with its sentence in `message`."""
    return replace(entry, message=render(entry, lang))


def entry_json(entry: ActivityEntry, lang: str = "en") -> dict[str, Any]:
    """As the CLI and the HTTP API print it: {at, kind, message, details}."""
    return worded(entry, lang).as_json()


# -- errors: a code and its facts, worded for the reader ----------------------------------------

ERRORS = {
    "no_tenant": N_("no tenant {tenant!r}"),
    "no_tenant_shown": N_("no tenant {tenant}"),
    "secret_key.tokens": N_(
        "CS_MAILCHIMP_SECRET_KEY is not set: refusing to store MailChimp tokens"
    ),
    "secret_key.link": N_(
        "CS_MAILCHIMP_SECRET_KEY is not set: refusing to store MailChimp tokens (the key "
        "encrypts them and signs the authorization link); set it, then authorize again"
    ),
    "secret_key.webhook": N_(
        "CS_MAILCHIMP_SECRET_KEY is not set: the webhook's secret is derived from it"
    ),
    "client_id.missing": N_(
        "CS_MAILCHIMP_CLIENT_ID is not set: register the platform's app with MailChimp"
    ),
    "setting.number": N_("{name} must be a number, got {value!r}"),
    "setting.url": N_("{name} must be an http(s) URL, got {value!r}"),
    "setting.database_url": N_("{name} must be a SQLAlchemy URL, got {value!r}"),
    "setting.limiter_url": N_(
        "{name} must be a Redis URL (redis://, rediss:// or unix://), got {value!r}"
    ),
    "setting.log_format": N_("{name} must be one of text, json, got {value!r}"),
    "setting.empty": N_("{name} must not be empty"),
    "setting.night": N_(
        "CS_MAILCHIMP_NIGHT_START_HOUR/END_HOUR must satisfy 0 <= start < end <= 24"
    ),
    "setting.percent": N_("{name} must be more than 0 and at most 100"),
    "setting.max_connections": N_("{name} must be between 1 and 10"),
    "setting.run_deadline": N_("{name} must be a number of seconds above 0"),
    "setting.metrics_dir": N_(
        "{name} must name an existing directory the fleet's processes can write to, got {value!r}"
    ),
    "setting.redis_package": N_(
        "{name} needs the redis package: pip install 'calendarspots-mailchimp[worker]'"
    ),
    "secret_key.wrong": N_(
        "stored token cannot be decrypted with CS_MAILCHIMP_SECRET_KEY (was the key changed?): "
        "restore the previous key or have the business authorize MailChimp again"
    ),
    "tenant_exists": N_("tenant {tenant!r} already exists"),
    "cannot_listen": N_(
        "cannot listen on {host}:{port}: {error} (choose another --port, or stop what uses it)"
    ),
    "no_client": N_("no client {client!r} in tenant {tenant!r}"),
    "tenant_id": N_(
        "tenant id {tenant} is not valid: 1-64 letters, digits, '.', '_' or '-', starting "
        "with a letter or digit"
    ),
    "tenant_name": N_("a tenant needs a name (--name)"),
    "tenant_name.control": N_("the tenant's name holds a control character"),
    "text.control": N_("{field} holds a control character"),
    "text.long": N_("{field} is longer than {limit} characters"),
    "guard_percent.update": N_("the guard's update percent must be more than 0 and at most 100"),
    "guard_percent.archive": N_("the guard's archive percent must be more than 0 and at most 100"),
    "guard_percent.not_a_number": N_(
        "{option} must be a percent (e.g. 30) or 'default', got {value!r}"
    ),
    "guard_percent.nothing": N_(
        "nothing to change: give --guard-update-percent or --guard-archive-percent"
    ),
    "activity.show": N_("show must be one of all, problems, opt_outs, syncs"),
    "activity.limit": N_("limit must be between 1 and {most}"),
    "activity.offset": N_("offset must be between 0 and {most}"),
    "database.failed": N_("the database failed: {error}"),
    "database.refused": N_("the database refused the request ({kind})"),
    "database.client_refused": N_("the database refused this client ({kind})"),
    "database.url": N_("CS_MAILCHIMP_DATABASE_URL cannot be used ({why})"),
    "database.url_shown": N_(
        "CS_MAILCHIMP_DATABASE_URL: the database {url} cannot be opened ({why})"
    ),
    "database.port_nan": N_("the port is not a number"),
    "database.port_range": N_("port {port} is not between 1 and 65535"),
    "database.driver": N_("{error}"),
    "query_parameter": N_("a query parameter holds a control character or is too long"),
    "csv.not_utf8": N_(
        "the CSV file is not UTF-8 (line {line}): save it as CSV UTF-8, or as Unicode text"
    ),
    "csv.not_utf16": N_(
        "the CSV file is not UTF-16 (after line {line}): save it again as Unicode text"
    ),
    "csv.empty": N_("the CSV file is empty: expected a header {expected}"),
    "csv.header_unreadable": N_("the CSV header cannot be read: expected {expected}"),
    "csv.header_twice": N_("the CSV header names {columns} twice: keep one column each"),
    "csv.header_lacks": N_("the CSV header lacks {columns}: expected {expected}"),
    "csv.header_unknown": N_("the CSV header has unknown column(s) {columns}"),
    "locale": N_("locale {locale!r} is not one of: {choices}"),
    "timezone": N_("unknown time zone {zone!r}: use an IANA name such as 'America/Montreal'"),
    "not_connected": N_("tenant {tenant!r} is not connected to MailChimp"),
    "not_connected_run": N_(
        "tenant {tenant!r} is not connected to MailChimp: run `cs-mailchimp connect {tenant}` "
        "and have the owner authorize"
    ),
    "needs_reauthorization": N_(
        "tenant {tenant!r} needs re-authorization: MailChimp refused its token; run "
        "`cs-mailchimp connect {tenant}` and send the owner the link it prints"
    ),
    "revoked": N_(
        "MailChimp refused the plugin's authorization (it was revoked). The owner must "
        "authorize again."
    ),
    "sync_in_progress": N_("tenant {tenant!r} is being synced by another process"),
    "too_soon": N_("a sync ran less than 15 minutes ago: try again in {minutes} min"),
    "link_expired": N_("the authorization link has expired: click Authorize again"),
    "link_invalid": N_("the authorization link is invalid: start again from Authorize"),
    "link.used": N_("this link was used already: ask for a new one"),
    "link.expired": N_("this link has expired: ask for a new one"),
    "now": N_("--now {now!r} is not an ISO-8601 date-time"),
    "nightly_failed": N_("the nightly sync failed for {n} tenant(s): {tenants}"),
    "file": N_("cannot read {file}: {error}"),
    "lang": N_("--lang {lang!r} is not a language of this tool: en or fr"),
    "file.missing": N_("cannot read {file}: there is no such file"),
    "file.directory": N_("cannot read {file}: it is a folder, not a file"),
    "file.denied": N_("cannot read {file}: permission denied"),
    "birthday_impossible": N_("impossible birthday {birthday!r}"),
    "birthday_format": N_("birthday {birthday!r} is not YYYY-MM-DD or MM-DD"),
    "check.passed": N_(
        "the audience {list!r} (id {audience_id}) has EMAIL, FNAME, LNAME and BIRTHDAY"
    ),
    "audience.duplicate": N_(
        "your MailChimp account has {count} audiences named {list!r} (ids {ids}): there must "
        "be only one. Rename or delete the extra ones in MailChimp, then try again."
    ),
    "audience.missing": N_(
        "no audience named {list!r} in your MailChimp account. In MailChimp, create an "
        "audience (list) named exactly {list!r}, then authorize again."
    ),
    "audience.missing.near": N_(
        "no audience named {list!r} in your MailChimp account. In MailChimp, create an "
        "audience (list) named exactly {list!r}, then authorize again. An audience is named "
        "{near}: rename it to exactly {list!r}."
    ),
    "audience.deleted": N_(
        "the MailChimp audience {list!r} (id {id}) was deleted. Do not delete the {list!r} "
        "audience: create it again in MailChimp with the fields EMAIL, FNAME, LNAME and "
        "BIRTHDAY, then authorize again."
    ),
    "audience.renamed": N_(
        "the MailChimp audience {list!r} (id {id}) was renamed to {name!r}. Rename it back to "
        "exactly {list!r} in MailChimp; the next sync will then go through."
    ),
    "audience.shared": N_(
        "the MailChimp audience {list!r} (id {id}) is already used by tenant {other!r}, "
        "connected to the same MailChimp account: two businesses must not share one audience "
        "(one's unsubscribes would reach the other's clients), so this tenant is not synced "
        "into it. Have its owner authorize a MailChimp account of their own, or disconnect "
        "{other!r}."
    ),
    "audience.fields": N_(
        "the audience {list!r} does not have the fields the sync needs: {fields}. In MailChimp "
        "open the audience's Settings → Audience fields and *|MERGE|* tags and add or fix them "
        "(or run `cs-mailchimp check {tenant} --fix` to add missing ones)."
    ),
    "row.columns": N_("expected {expected} columns, found {found}"),
    "row.no_email": N_("email is empty"),
    "row.invalid_email": N_(
        "invalid email address {email!r}: kept, the sync skips this client until the address "
        "is fixed"
    ),
    "row.same_email": N_("duplicate email {email!r} (first on line {first})"),
    "row.same_id": N_("duplicate client_id {client!r} (first on line {first})"),
    "row.unreadable": N_("unreadable CSV row ({error})"),
    "row.quote": N_(
        "a quote opened on this line is not closed (or text follows it): row skipped; the next "
        "line is read as a row of its own"
    ),
    "row.birthday": N_("birthday is not YYYY-MM-DD or MM-DD"),
    "row.problems": N_("{problems}"),
    "row.address_taken": N_(
        "client_id {client!r} cannot take {email!r}: client {holder!r} already has that address"
    ),
    "no_sync_run": N_("sync run {run} of tenant {tenant!r} does not exist"),
    "already_synced": N_("tenant {tenant!r} was already synced for the night of {night}"),
    # MailChimp's login host (OAuth, docs/mailchimp-api.md §1). {answer}: "HTTP 400, invalid_grant"
    "oauth.code_refused": N_(
        "MailChimp refused to exchange the authorization code for a token: {answer}"
    ),
    "oauth.no_token": N_("MailChimp answered the code exchange without a token (HTTP {status})"),
    "oauth.token_refused": N_(
        "MailChimp refused the new token when asked which account it belongs to (HTTP {status})"
    ),
    "oauth.metadata_failed": N_(
        "MailChimp did not say which account the authorization belongs to (HTTP {status})"
    ),
    "oauth.metadata_unreadable": N_(
        "MailChimp did not say where the account's data is (no data center in its answer)"
    ),
    # MailChimp's API (and its login host). {said}: MailChimp's own English title and detail,
    # shown to English readers only; the `.bare` wording is the others' (see _facts_for).
    "mailchimp.unreachable": N_("MailChimp could not be reached at {host} ({call})"),
    "mailchimp.unavailable": N_("MailChimp is unavailable: HTTP {status} on {call} ({said})"),
    "mailchimp.unavailable.bare": N_("MailChimp is unavailable: HTTP {status} on {call}"),
    "mailchimp.throttled": N_(
        "MailChimp still throttled the account's requests after {seconds} s of waiting ({call})"
    ),
    "mailchimp.refused": N_("MailChimp refused the request: HTTP {status} ({said})"),
    "mailchimp.refused.bare": N_("MailChimp refused the request: HTTP {status}"),
    "mailchimp.audience_gone": N_("the MailChimp audience no longer exists"),
    "mailchimp.unexpected": N_("MailChimp answered in a form the plugin cannot read"),
    # What a webhook delivery is refused for (the answer MailChimp gets is the English message).
    "webhook.fields": N_("too many fields ({count}; at most {most})"),
    "webhook.field_long": N_("field {field!r} is too long"),
    "webhook.field_control": N_("field {field!r} contains control characters"),
    "webhook.event_type": N_("unknown or missing event type {type!r}"),
    "webhook.no_list": N_("data[list_id] is missing"),
    "webhook.email_long": N_("an address is longer than {limit} characters"),
    "webhook.no_email": N_("data[email] is missing or not an address"),
    "webhook.upemail": N_("data[old_email] and data[new_email] are required for upemail"),
    "webhook.foreign_audience": N_("this event is not for the connected audience"),
    "webhook.not_found": N_("not found"),
}
# Codes whose facts carry MailChimp's own (English) words: another language gets `.bare`.
_MAILCHIMP_SAID = ("mailchimp.unavailable", "mailchimp.refused")
# What people typed, by the name the English sentence gives it (a CSV column keeps its name).
_FIELDS = {"the tenant's name": N_("the tenant's name")}
# Why a port cannot be listened on, by the socket's errno name (else the system's own words).
_SOCKET_ERRORS = {
    "EADDRINUSE": N_("the port is already in use"),
    "EADDRNOTAVAIL": N_("this address is not one of this machine's"),
    "EACCES": N_("permission denied"),
}
_FIELD_PROBLEM = {
    "missing": N_("{tag} ({name}, type {type}) is missing"),
    "wrong-type": N_("{tag} has type {found!r}, it must be {type!r}"),
}


def _facts_for(code: str, facts: Mapping[str, Any], w: Words) -> tuple[str, dict[str, Any]]:
    """Some codes' facts are lists: worded here (the msgid and the facts it takes)."""
    out = dict(facts)
    if code == "audience.missing" and facts.get("near"):
        out["near"] = ", ".join(repr(str(n)) for n in facts["near"])
        return ERRORS["audience.missing.near"], out
    if code in ("database.url", "database.url_shown"):
        why = facts.get("why") or {}
        out["why"] = error_words(str(why.get("code", "")), why.get("facts") or {}, w)
        if not out["why"]:
            raise KeyError("why")
    if code == "row.problems":
        worded = [error_words(str(p["code"]), p.get("facts") or {}, w) for p in facts["problems"]]
        if not all(worded):
            raise KeyError("problems")
        joined = worded[0]
        for more in worded[1:]:
            joined = w._("{first}; {then}", first=joined, then=more)
        out["problems"] = joined
    if code == "cannot_listen" and facts.get("errno") in _SOCKET_ERRORS:
        out["error"] = w._(_SOCKET_ERRORS[str(facts["errno"])])
    if code in ("text.control", "text.long"):
        field = str(facts.get("field", ""))
        out["field"] = w._(_FIELDS[field]) if field in _FIELDS else field
    if code == "audience.fields":
        out["fields"] = "; ".join(
            w._(_FIELD_PROBLEM.get(str(f.get("problem")), _FIELD_PROBLEM["missing"]), **f)
            for f in facts.get("fields", [])
        )
    if code == "oauth.code_refused":
        error = str(facts.get("error") or "")
        out["answer"] = f"HTTP {int(facts['status'])}" + (f", {error}" if error else "")
    if code in _MAILCHIMP_SAID:
        title, detail = str(facts.get("title") or ""), str(facts.get("detail") or "")
        said = f"{title}: {detail}" if title and detail else title or detail
        if not said or w.lang != "en":
            return ERRORS[f"{code}.bare"], out
        out["said"] = said
    return ERRORS[code], out


def error_words(code: str, facts: Mapping[str, Any], w: Words) -> str:
    """An error's code and facts in words; '' for a code this table does not know."""
    composed = _COMPOSED.get(code)
    if composed is None and code not in ERRORS:
        return ""
    try:
        if composed is not None:
            return composed(facts, w)
        msgid, worded_facts = _facts_for(code, facts, w)
        return w._(msgid, **worded_facts)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return ""


def reason_words(text: str, lang: str = "en") -> str:
    """A reason as stored (code and facts, see core.errors.coded) in words; a sentence stored
    before reasons were codes, as it is."""
    found = decoded(text)
    if found is None:
        return text
    return error_words(found[0], found[1], translate(lang)) or text


def error_text(exc: BaseException, lang: str = "en") -> str:
    """An exception in the reader's words: its code and facts when it has them."""
    if isinstance(exc, CalendarspotsError):
        if exc.code:
            return error_words(exc.code, exc.facts, translate(lang)) or exc.message
        return reason_words(exc.message, lang)
    if isinstance(exc, MailChimpError) and exc.code:
        return error_words(exc.code, exc.facts, translate(lang)) or str(exc)
    return str(exc)


def check_message(result: CheckResult, lang: str = "en") -> str:
    """`check`'s outcome in words."""
    if result.code:
        return error_words(result.code, result.facts, translate(lang)) or result.message
    return result.message


def row_text(problem: RowError, lang: str = "en") -> str:
    """A CSV row's problem in words."""
    if problem.code:
        return error_words(problem.code, problem.facts, translate(lang)) or problem.reason
    return problem.reason


# -- the end of an authorization (the callback page and its JSON) -------------------------------


def connect_message(result: ConnectResult, lang: str = "en") -> str:
    w = translate(lang)
    if result.outcome != Connected.SYNCED or result.sync is None:
        outcome = str(result.outcome)
        if outcome in _AUTH_FAILED:
            error = f" ({reason_words(result.error, lang)})" if result.error else ""
            return w._(_AUTH_FAILED[outcome], error=error)
        if result.outcome == Connected.SYNC_FAILED:
            bare = result.error
            if result.sync is not None:
                bare = failure_message(result.sync, result.list_name, lang)
            return w._("MailChimp is connected, but the initial sync failed: {why}", why=bare)
        found = decoded(result.error)
        if found is not None and found[0] == SHARED:  # the owner's words: no other tenant
            why = shared_owner(str(found[1].get("list", result.list_name)), w)
        else:
            why = reason_words(result.error, lang)
        return w._("MailChimp is connected, but the audience does not fit: {why}", why=why)
    c = result.sync.counts
    counts = {
        "added": w.n_("{n} contact added", "{n} contacts added", c.created),
        "updated": w.n_("{n} updated", "{n} updated", c.updated),
        "skipped": w.n_("{n} skipped", "{n} skipped", c.skipped),
        "refused": w.n_("{n} refused by MailChimp", "{n} refused by MailChimp", c.failed),
    }
    if c.failed == 0:
        return w._(
            "MailChimp is connected and the initial sync succeeded: {added} and {updated} in "
            "the audience “{list}”, {skipped}, {refused}. From now on the sync runs every night.",
            list=result.list_name,
            **counts,
        )
    return w._(
        "MailChimp is connected and the initial sync finished with problems: {added} and "
        "{updated} in the audience “{list}”, {skipped}, {refused}. From now on the sync runs "
        "every night.",
        list=result.list_name,
        **counts,
    )


def connect_json(result: ConnectResult, lang: str = "en") -> dict[str, Any]:
    data: dict[str, Any] = {"ok": result.ok, "message": connect_message(result, lang)}
    if result.tenant_id:
        data["tenant"] = result.tenant_id
    if result.sync is not None:
        data["sync"] = report_json(result.sync, lang)
    return data


def callback_state(result: ConnectResult) -> str:
    """Which heading the callback page gives: ok, partly, replayed or failed."""
    if result.outcome == Connected.REPLAYED:
        return "replayed"
    if result.outcome in (Connected.DENIED, Connected.INCOMPLETE):
        return "failed"
    return "ok" if result.ok else "partly"


# -- sync reports: the summary, a failure, each client's reason, a dry run's plan ---------------

_REASONS = {
    "invalid_email": N_("invalid email address"),
    "same_email": N_("another client has the same email address"),
    "opted_out": N_("{detail} in MailChimp: never re-subscribed"),
    "opted_out:unsubscribed": N_("unsubscribed in MailChimp: never re-subscribed"),
    "opted_out:cleaned": N_("cleaned in MailChimp: never re-subscribed"),
    "opted_out:": N_("unsubscribed or cleaned in MailChimp: never re-subscribed"),
    "not_subscribed_here": N_("{detail} in the client database"),
    "left_audience": N_(
        "no longer in the MailChimp audience under this address (archived, deleted or moved to "
        "another address there): not added again; update the client by hand if relevant"
    ),
    "refused_before": N_(
        "refused by MailChimp at an earlier sync ({earlier}); not sent again until the "
        "client's details change"
    ),
    "fake_or_invalid": N_(
        "MailChimp refused the address as fake or invalid: check the client's email"
    ),
    "forgotten": N_(
        "this address was permanently deleted from MailChimp and cannot be re-imported; the "
        "client must sign up again through a MailChimp form"
    ),
    "birthday_refused": N_("MailChimp refused the birthday: it must be month/day"),
    "field_refused": N_("MailChimp refused the field {detail}"),
    "refused": N_("MailChimp refused this contact: {detail}"),
    "no_result": N_("MailChimp returned no result for this contact"),
    "old_address_kept": N_("old address kept: {earlier}"),
    "field_refused.unworded": N_("MailChimp refused a field of the client's record"),
    "refused.unworded": N_("MailChimp refused this contact"),
}
_REASONS_UNWORDED = {"field_refused": "field_refused.unworded", "refused": "refused.unworded"}


def reason_text(code: str, lang: str = "en") -> str:
    """A stored reason (`reason:detail`) in words; a sentence stored before, as it is."""
    decoded = decode(code)
    if decoded is None:
        return code
    reason, detail = decoded
    w = translate(lang)
    key = str(reason)
    if reason == Reason.OPTED_OUT and f"opted_out:{detail}" in _REASONS:
        key = f"opted_out:{detail}"
    if lang != "en" and key in _REASONS_UNWORDED:
        key = _REASONS_UNWORDED[key]  # the detail is MailChimp's English: not shown
    earlier = reason_text(detail, lang) if detail else "—"
    worded_detail = status_word(detail, w) if reason == Reason.NOT_SUBSCRIBED_HERE else detail
    return w._(_REASONS[key], detail=worded_detail, earlier=earlier)


_FIXES = {
    "invalid_email": N_("Correct the address in the client's record; the next sync sends it."),
    "same_email": N_("Give each client their own address (or merge the duplicate records)."),
    "opted_out": N_("Nothing to do: only the client can subscribe again, with MailChimp's form."),
    "not_subscribed_here": N_("Nothing to do."),
    "left_audience": N_("If the client should be in the audience, add them back in MailChimp."),
    "fake_or_invalid": N_("Check the address with the client and correct it."),
    "forgotten": N_("The client must sign up again through MailChimp's signup form."),
    "birthday_refused": N_("Correct the birthday (month and day) in the client's record."),
    "field_refused": N_("Correct the client's record; the next sync sends it again."),
    "refused": N_("Correct the client's record; the next sync sends it again."),
    "no_result": N_("Nothing to do: the next sync tries again."),
    "old_address_kept": N_("Nothing to do."),
}


def reason_fix(code: str, lang: str = "en") -> str:
    """What the owner does about a client's stored reason ("" for a sentence stored before)."""
    decoded = decode(code)
    if decoded is None:
        return ""
    reason, detail = decoded
    if reason == Reason.REFUSED_BEFORE:
        return reason_fix(detail, lang) if detail else ""
    fix = _FIXES.get(str(reason))
    return translate(lang)._(fix) if fix else ""


def problem_json(problem: ClientProblem, lang: str = "en") -> dict[str, str]:
    return {
        "client_id": problem.client_id,
        "email": problem.email,
        "reason": reason_text(problem.code, lang),
        "code": str(problem.reason),
    }


def failure_message(report: SyncReport, list_name: str = "calendarspots", lang: str = "en") -> str:
    return _failure_words(failure_facts(report, list_name), translate(lang))


def failure_facts(report: SyncReport, list_name: str = "calendarspots") -> dict[str, Any]:
    """A failed sync as the facts of a `sync.failed` error (worded as failure_message)."""
    return {
        "tenant": report.tenant_id,
        "failure": str(report.failure or ""),
        "kind": str(report.kind),
        "error": report.error,
        "list": list_name,
    }


def _failure_words(f: Mapping[str, Any], w: Words) -> str:
    failure, error = str(f.get("failure") or ""), str(f.get("error") or "")
    if failure == Failure.REVOKED:
        return _revoked(f, w)
    if failure == Failure.AUDIENCE_GONE:
        return _gone(str(f.get("list") or "calendarspots"), w)
    if failure == Failure.DEADLINE:
        return w._(
            "the sync ran past its time limit (CS_MAILCHIMP_RUN_DEADLINE) and stopped between "
            "batches: what MailChimp acknowledged is recorded, the rest is sent by the next run "
            "(the tenant stays due)"
        )
    if failure == Failure.MAILCHIMP:
        if f.get("kind") == SyncKind.NIGHTLY:
            return w._(
                "MailChimp did not answer well ({error}); the nightly sync tries again later "
                "tonight",
                error=reason_words(error, w.lang),
            )
        return w._(
            "MailChimp did not answer well ({error}); try again later (the nightly sync will "
            "also try)",
            error=reason_words(error, w.lang),
        )
    return reason_words(error, w.lang)


# Errors worded by a function of their facts (several msgids) rather than one ERRORS msgid.
_COMPOSED: dict[str, Callable[[Mapping[str, Any], Words], str]] = {
    "sync.failed": _failure_words,
    "sync.held": lambda f, w: held_message(f, _tenant(f), w.lang),
}


def _gone(list_name: str, w: Words) -> str:
    return w._(
        "the MailChimp audience {list!r} disappeared during the sync. Do not delete the "
        "{list!r} audience: create it again, then authorize again.",
        list=list_name,
    )


def _numbers(values: Mapping[str, str]) -> dict[str, float | int]:
    return {k: float(v) if "percent" in k or "limit" in k else int(v) for k, v in values.items()}


def report_message(report: SyncReport, lang: str = "en") -> str:
    if report.held is not None:
        return held_message(report.held, report.tenant_id, lang)
    if not report.ok:
        return failure_message(report, lang=lang)
    counts = report.counts.as_dict()
    details = {
        "counts": counts,
        "dry_run": report.dry_run,
        "webhook_problem": report.webhook_problem,
    }
    return _summary(details, translate(lang))


_WEBHOOK_PLAN = {
    "install": N_("the webhook would be installed"),
    "readdress": N_("the webhook would be given a new address (its secret leaves the database)"),
    "restore": N_("the webhook is missing: it would be put back"),
    "repair": N_("the webhook was edited or duplicated: it would be repaired"),
}


def plan_lines(report: SyncReport, lang: str = "en") -> dict[str, list[str]]:
    """A dry run's plan as the CLI and the JSON show it."""
    w = translate(lang)
    plan = report.plan
    skips = [
        w._("{email}: {reason}", email=p.email, reason=reason_text(p.code, lang))
        for p in report.problems
    ]
    skips += [
        w._("client {client}: removed from the platform", client=client_id)
        for client_id in plan.get("removed", [])
    ]
    opt_outs = []
    for line in plan.get("opt_out", []):
        email, _, status = line.rpartition(" ")
        opt_outs.append(
            w._("{email}: {status} in MailChimp", email=email, status=status_word(status, w))
        )
    held = dict(line.split("=", 1) for line in plan.get("held", []))
    return {
        **({"held": [held_message(_numbers(held), report.tenant_id, lang)]} if held else {}),
        "create": list(plan.get("create", [])),
        "update": list(plan.get("update", [])),
        "skip": skips,
        "webhook": [
            w._(_WEBHOOK_PLAN[code]) if code in _WEBHOOK_PLAN else code
            for code in plan.get("webhook", [])
        ],
        "opt_out": opt_outs,
    }


def report_json(report: SyncReport, lang: str = "en") -> dict[str, Any]:
    data: dict[str, Any] = {
        "tenant": report.tenant_id,
        "kind": str(report.kind),
        "status": str(report.status),
        "dry_run": report.dry_run,
        "counts": report.counts.as_dict(),
        "message": report_message(report, lang),
        "api_calls": report.api_calls,
        "problems": [problem_json(p, lang) for p in report.problems[:MAX_DETAILS]],
    }
    if report.failure:
        data["failure"] = str(report.failure)
    if report.held is not None:
        data["held"] = report.held
    if report.dry_run:
        data["plan"] = plan_lines(report, lang)
    return data


def night_message(outcome: NightlyOutcome, lang: str = "en") -> str:
    if outcome.report is not None:
        return report_message(outcome.report, lang)
    return reason_words(outcome.error, lang)


# -- a first sync in progress (issue 11 point 8) ------------------------------------------------


def first_sync_text(lang: str) -> str:
    return translate(lang)._(
        "First sync in progress: your clients are being sent to MailChimp. If it was "
        "interrupted, it resumes by itself within minutes."
    )


# -- status: the fleet at a glance ---------------------------------------------------------------

_ATTENTION_FIX = {
    "reauthorize": _REAUTHORIZE,
    "audience_gone": N_(
        "Have the owner create the audience {list!r} again in MailChimp (fields EMAIL, FNAME, "
        "LNAME, BIRTHDAY), then authorize again: `cs-mailchimp connect {t}`."
    ),
    "audience": N_(
        "Have the owner put the audience right in MailChimp as the reason says "
        "(`cs-mailchimp check {t} --fix` adds missing fields), then run `cs-mailchimp check {t}`: "
        "the tenant is connected again once the check passes."
    ),
    "audience_shared": N_(
        "Have the owner authorize a MailChimp account of their own: send them the link "
        "`cs-mailchimp connect {t}` prints. Or, if {other} should stop using that audience, run "
        "`cs-mailchimp disconnect {other}`, then `cs-mailchimp check {t}`."
    ),
    "webhook_missing": N_(
        "Run `cs-mailchimp sync {t}`: a sync installs the webhook. If it still fails, MailChimp "
        "cannot reach CS_MAILCHIMP_PUBLIC_URL (see `cs-mailchimp activity {t} --kind "
        "webhook.failed`)."
    ),
    "sync_held": N_(
        "Check the client database (`cs-mailchimp activity {t} --kind sync.held` gives the "
        "numbers), then send it with `cs-mailchimp sync {t} --confirm`."
    ),
    "overdue": N_(
        "See why with `cs-mailchimp activity {t} --kind sync.failed`, sync now with "
        "`cs-mailchimp sync {t}`, and check that `cs-mailchimp nightly` runs from cron every "
        "~10 minutes."
    ),
}


def attention_why(problem: Problem, lang: str = "en") -> str:
    w = translate(lang)
    code, facts = str(problem.code), problem.facts
    if code == "reauthorize":
        revoked = w._("MailChimp refused the plugin's authorization (it was revoked).")
        return revoked if problem.reason in ("", "revoked") else reason_words(problem.reason, lang)
    if code == "audience_gone":
        return _capital(_gone(str(facts.get("list", "calendarspots")), w))
    if code == "sync_held":
        return w._(
            "The mass-change guard held the last sync: it would have changed much of the "
            "audience, so nothing was sent."
        )
    if code == "webhook_missing":
        return w._(
            "Connected, but the plugin's webhook is not installed in the audience: unsubscribes "
            "made in MailChimp reach the client database only at the next sync."
        )
    if code == "overdue":
        missed, last = facts.get("nights_missed"), facts.get("last_ok")
        text = (
            w.n_(
                "No successful sync for {n} night (the last one for {last}).",
                "No successful sync for {n} nights (the last one for {last}).",
                int(missed),
                last=last,
            )
            if missed is not None
            else w._("Connected, but no sync has succeeded yet.")
        )
        if problem.reason:
            said = reason_words(problem.reason, lang)
            text = w._("{text} The last failed sync said: {reason}", text=text, reason=said)
        return text
    said = _capital(reason_words(problem.reason, lang))
    return said or w._("The audience does not meet the plugin's needs.")


def attention_fix(problem: Problem, lang: str = "en") -> str:
    return translate(lang)._(
        _ATTENTION_FIX[str(problem.code)],
        t=problem.tenant_id,
        tenant=problem.tenant_id,
        list=str(problem.facts.get("list", "calendarspots")),
        other=str(problem.facts.get("other", "")),
    )


# What the owner should do, for csmc_attention_needed: the host shows it to the business's owner,
# so it speaks of the Newsletters page, never of commands.
_OWNER_FIX = {
    "reauthorize": N_(
        "MailChimp refused calendarspots.com's access: open the Newsletters page and click "
        "Reconnect."
    ),
    "audience_gone": N_(
        "Your MailChimp audience “{list}” no longer exists: create it again in MailChimp, then "
        "click Check and repair on the Newsletters page."
    ),
    "audience": N_(
        "Your MailChimp audience “{list}” is not as the sync needs it (a field is missing, or "
        "there are two audiences of that name): click Check and repair on the Newsletters page."
    ),
    "audience_shared": _SHARED_OWNER,
    "sync_held": N_(
        "The last sync would have changed much of your audience, so nothing was sent: check "
        "your client database, then click Confirm and send on the Newsletters page."
    ),
    "overdue": N_(
        "Your clients have not reached MailChimp for two nights: click Sync now on the "
        "Newsletters page; if it fails again, contact our support team."
    ),
}


def owner_fix(code: str, locale: str, list_name: str) -> str:
    """What the owner should do about an attention code, in their language (French unless the
    tenant's locale says otherwise)."""
    w = translate(locale if locale in LANGUAGES else "fr")
    return _capital(w._(_OWNER_FIX[code], list=list_name))


def _glance_json(g: Glance) -> dict[str, Any]:
    t = g.tenant
    return {
        "tenant": t.tenant_id,
        "name": t.name,
        "timezone": t.timezone,
        "state": str(t.state),
        "last_night": {"date": g.night.isoformat(), "sync": g.last_night or None},
        "last_sync_at": t.last_sync_at.isoformat() if t.last_sync_at else None,
        **_last_successes(g),
        "nights_missed": g.nights_missed,
        "overdue": g.overdue,
        "attention": [str(p.code) for p in g.problems],
        "first_sync_in_progress": g.onboarding,
    }


def _last_successes(g: Glance) -> dict[str, str | None]:
    """The last night whose nightly sync succeeded, and the local date of the last successful
    sync of any kind (what nights_missed counts from): core/services/fleet.py."""
    night, sync = g.last_good_night, g.last_ok
    return {
        "last_successful_night": night.isoformat() if night else None,
        "last_successful_sync": sync.isoformat() if sync else None,
    }


def status_json(view: FleetView, lang: str = "en") -> dict[str, Any]:
    return {
        "at": view.at.isoformat(),
        "count": len(view.tenants),
        "by_state": view.by_state(),
        "last_night": view.last_night(),
        "overdue": [
            {
                "tenant": g.tenant.tenant_id,
                **_last_successes(g),
                "nights_missed": g.nights_missed,
            }
            for g in view.overdue()
        ],
        "attention": attention_json(view, lang),
        "tenants": [_glance_json(g) for g in view.tenants],
    }


def attention_json(view: FleetView, lang: str = "en") -> list[dict[str, str]]:
    return [
        {
            "tenant": p.tenant_id,
            "code": str(p.code),
            "reason": reason_words(p.reason),
            "why": attention_why(p, lang),
            "fix": attention_fix(p, lang),
        }
        for p in view.attention()
    ]


_NIGHT = {
    "succeeded": N_("succeeded"),
    "partial": N_("partial"),
    "failed": N_("failed"),
    "held": N_("held"),
    "not_run": N_("not run"),
    "running": N_("running"),
}


def _night_word(kind: str, w: Words) -> str:
    return w._(_NIGHT[kind]) if kind in _NIGHT else kind.replace("_", " ")


def _tenant_lines(g: Glance, w: Words) -> list[str]:
    t = g.tenant
    last = t.last_sync_at.isoformat(timespec="seconds") if t.last_sync_at else w._("never")
    night = _night_word(g.last_night, w) if g.last_night else w._("— (not connected)")
    return [
        w._(
            "Tenant {tenant} ({name}, {zone}): {state}",
            tenant=t.tenant_id,
            name=t.name,
            zone=t.timezone,
            state=status_word(str(t.state), w),
        ),
        w._(
            "  last sync: {last}; last successful night: {ok}",
            last=last,
            ok=g.last_good_night or w._("none"),
        ),
        w._("  last night ({night}): {outcome}", night=g.night, outcome=night),
        *([f"  {first_sync_text(w.lang)}"] if g.onboarding else []),
    ]


def status_lines(view: FleetView, one: bool = False, lang: str = "en") -> list[str]:
    """`status` as text: one tenant's block, or the fleet's counts; then overdue and attention."""
    w = translate(lang)
    at = view.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    states = ", ".join(f"{w.number(n)} {status_word(s, w)}" for s, n in view.by_state().items())
    night = ", ".join(f"{w.number(n)} {_night_word(k, w)}" for k, n in view.last_night().items())
    lines = (
        _tenant_lines(view.tenants[0], w)
        if one
        else [
            w.n_(
                "Fleet at {at}: {n} tenant", "Fleet at {at}: {n} tenants", len(view.tenants), at=at
            ),
            w._("By state: {states}", states=states),
            w._("Last night (each connected tenant's latest nightly sync): {night}", night=night),
        ]
    )
    overdue = view.overdue()
    lines.append(
        w._(
            "Overdue (connected, no successful sync for two local nights): {n}",
            n=w.number(len(overdue)),
        )
    )
    for g in overdue:
        missed = (
            w.n_("{n} night missed", "{n} nights missed", g.nights_missed)
            if g.nights_missed is not None
            else w._("never synced")
        )
        lines.append(
            w._(
                "  {tenant} last successful sync {ok}, {missed}",
                tenant=g.tenant.tenant_id.ljust(16),
                ok=g.last_ok or "—",
                missed=missed,
            )
        )
    problems = view.attention()
    tenants = len({p.tenant_id for p in problems})
    lines.append(w.n_("Needs attention: {n} tenant", "Needs attention: {n} tenants", tenants))
    for p in problems:
        lines.append(f"  {p.tenant_id:<16} {p.code}")
        pad = " " * 16
        lines.append(w._("  {pad} why: {why}", pad=pad, why=attention_why(p, lang)))
        lines.append(w._("  {pad} fix: {fix}", pad=pad, fix=attention_fix(p, lang)))
    return lines


# -- clients explain: one client's story ---------------------------------------------------------

_STORY = {
    "not_connected": (
        N_(
            "The business is not connected to MailChimp ({detail}): nothing is sent until the "
            "owner authorizes."
        ),
        N_("Send the owner the link `cs-mailchimp connect {t}` prints."),
    ),
    "invalid_email": (
        N_("{email!r} is not a valid email address: every sync skips this client."),
        N_("Correct the client's email in the client database; the next sync sends it."),
    ),
    "will_be_sent": (
        N_("Not in the MailChimp audience yet: the next sync adds them."),
        N_("Nothing to do: tonight's sync adds them (or run `cs-mailchimp sync {t}` now)."),
    ),
    "opted_out:unsubscribed": (
        N_(
            "They unsubscribed in MailChimp. The plugin never subscribes them again (R10) and "
            "no longer sends their details."
        ),
        N_(
            "Nothing to do. Only they can subscribe again, through the audience's MailChimp "
            "signup form."
        ),
    ),
    "opted_out:cleaned": (
        N_(
            "MailChimp cleaned the address (it bounced or was reported invalid): MailChimp does "
            "not send to it any more, and the plugin never subscribes it again."
        ),
        N_(
            "Ask the client for a new email address at their next visit; a new address is "
            "added at the next sync."
        ),
    ),
    "not_subscribed_here": (
        N_("The client database says {detail}: the plugin does not add them to MailChimp."),
        N_(
            "Nothing to do. If they want the newsletter, they can subscribe through the "
            "audience's MailChimp signup form."
        ),
    ),
    "subscribed_there_only": (
        N_(
            "The client database says {detail}, but MailChimp has them subscribed (they may "
            "have subscribed again through a MailChimp form). MailChimp holds consent: the "
            "plugin never unsubscribes anyone."
        ),
        N_(
            "Nothing to do, unless they ask to stop: then they unsubscribe with the link in any "
            "newsletter, or the owner unsubscribes them in MailChimp."
        ),
    ),
    "left_audience": (
        N_(
            "The plugin added them before, but MailChimp no longer has them at this address "
            "(archived or deleted there, or they changed address in MailChimp). They are not "
            "added again, so as not to undo that choice."
        ),
        N_(
            "If they should be in the audience, add them back in MailChimp by hand; if they "
            "changed address, update their email in the client database."
        ),
    ),
    "refused": (
        N_(
            "MailChimp refused this contact at an earlier sync: {refusal}. It is not sent again "
            "until the client's details change."
        ),
        N_("Correct the client's details in the client database; the next sync sends them again."),
    ),
    "in_audience:subscribed": (
        N_("In the MailChimp audience, subscribed: the newsletter reaches them."),
        N_("Nothing to do."),
    ),
    "in_audience:pending": (
        N_(
            "In the MailChimp audience, pending: MailChimp sent them a confirmation email "
            "(double opt-in) and waits for them to confirm."
        ),
        N_(
            "Nothing to do: they must click the link in MailChimp's confirmation email (ask "
            "them to look in their spam folder)."
        ),
    ),
    "in_audience": (N_("In the MailChimp audience as {detail}."), N_("Nothing to do.")),
}
# The owner's page tells the same story without the operator's commands and rule numbers.
_STORY_OWNER = {
    "not_connected": (
        N_("Your business is not connected to MailChimp: nothing is sent to it."),
        N_("Click Authorize on the Newsletters page."),
    ),
    "invalid_email": (
        N_("“{email}” is not a valid email address: every sync skips this client."),
        N_("Correct the email in the client's record; the next sync sends it."),
    ),
    "will_be_sent": (
        N_("Not in the MailChimp audience yet: the next sync adds them."),
        N_("Nothing to do: tonight's sync adds them (or click Sync now)."),
    ),
    "opted_out:unsubscribed": (
        N_(
            "They unsubscribed in MailChimp. calendarspots.com never subscribes them again and "
            "no longer sends their details."
        ),
        N_(
            "Nothing to do. Only they can subscribe again, through the audience's MailChimp "
            "signup form."
        ),
    ),
    "opted_out:cleaned": (
        N_(
            "MailChimp removed the address (it does not work or was reported invalid): "
            "MailChimp sends nothing to it any more, and calendarspots.com never subscribes it "
            "again."
        ),
        N_(
            "Ask the client for a new email address at their next visit; it is added at the "
            "following sync."
        ),
    ),
    "opted_out": (
        N_(
            "This client no longer gets the newsletter in MailChimp ({detail}): "
            "calendarspots.com never subscribes them again."
        ),
        N_("Nothing to do."),
    ),
    "not_subscribed_here": (
        N_("Your client database says “{detail}”: this client is not added to MailChimp."),
        N_(
            "Nothing to do. If they want the newsletter, they can sign up through the MailChimp "
            "signup form."
        ),
    ),
    "subscribed_there_only": (
        N_(
            "Your client database says “{detail}”, but MailChimp has them subscribed (they may "
            "have signed up again through a MailChimp form). MailChimp holds consent: "
            "calendarspots.com never unsubscribes anyone."
        ),
        N_(
            "Nothing to do, unless they ask to stop getting the newsletter: they unsubscribe "
            "with the link in every newsletter, or you unsubscribe them in MailChimp."
        ),
    ),
    "left_audience": (
        N_(
            "This client was added, but MailChimp no longer has them at this address (archived "
            "or deleted in MailChimp, or address changed there). They are not added again, to "
            "respect that choice."
        ),
        N_(
            "If they should be in the audience, add them back in MailChimp; if they changed "
            "address, update their email in their record."
        ),
    ),
    "refused": (
        N_(
            "MailChimp refused this contact at an earlier sync ({refusal}). It is not sent "
            "again until the client's record changes."
        ),
        N_("Correct the client's record; the next sync sends it again."),
    ),
    "in_audience:subscribed": (
        N_("In the MailChimp audience, subscribed: the newsletter reaches them."),
        N_("Nothing to do."),
    ),
    "in_audience:pending": (
        N_(
            "In the MailChimp audience, pending: MailChimp sent them a confirmation email and "
            "waits for their answer."
        ),
        N_(
            "Nothing to do: the client must click the link in MailChimp's confirmation email "
            "(and look in their spam folder too)."
        ),
    ),
    "in_audience": (N_("In the MailChimp audience ({detail})."), N_("Nothing to do.")),
}
_REFUSED_FIX = {
    "fake_or_invalid": N_("Check the client's email address with them and correct it."),
    "forgotten": N_("They must sign up again through the audience's MailChimp signup form."),
    "birthday_refused": N_("Correct the client's birthday (month and day)."),
}
_NEXT = {
    "nothing": N_("nothing: the business is not connected"),
    "add": N_("adds them to the audience"),
    "update": N_("updates their name and birthday in MailChimp (they changed since the last push)"),
    "unchanged": N_("nothing to send"),
    "skip": N_("skips them: {reason}"),
}
_LIVE_SKIPPED = {
    "not_connected": N_("not asked: the business is not connected"),
    "no_audience": N_("not asked: no audience is known yet (no sync has run)"),
}


def story_texts(story: ClientStory, lang: str = "en", owner: bool = False) -> tuple[str, str, str]:
    """(why, what to do, what the next sync does) in words; `owner`: as the owner's page says
    it (no command, no rule number)."""
    w = translate(lang)
    e = story.explanation
    code, detail = str(e.story), e.detail
    table = {**_STORY, **_STORY_OWNER} if owner else _STORY
    key = f"{code}:{detail}" if f"{code}:{detail}" in table else code
    why_id, fix_id = table[key]
    refusal = reason_text(detail, lang) if code == "refused" else ""
    fields = {
        "detail": status_word(detail, w),
        "t": story.tenant.tenant_id,
        "email": story.client.email,
        "refusal": refusal,
    }
    why, fix = w._(why_id, **fields), w._(fix_id, **fields)
    if code == "refused" and owner:
        fix = reason_fix(detail, lang) or fix
    elif code == "refused" and detail.partition(":")[0] in _REFUSED_FIX:
        fix = w._(_REFUSED_FIX[detail.partition(":")[0]])
    if code == "in_audience" and story.up_to_date is False:
        why = w._(
            "{why} Their details changed since the last push: the next sync updates them.",
            why=why,
        )
    reason = reason_text(e.next_reason, lang) if e.next_reason else ""
    then = w._(_NEXT[str(e.next)], reason=reason)
    return why, fix, then


def _live_text(story: ClientStory, w: Words) -> str:
    live = story.live
    if live.skipped:
        return w._(_LIVE_SKIPPED[live.skipped]) if live.skipped in _LIVE_SKIPPED else live.skipped
    if live.error:
        why = (
            w._("MailChimp refused the plugin's authorization")
            if live.error == "revoked"
            else reason_words(live.error, w.lang)
        )
        return w._("could not ask: {why}", why=why)
    if live.member is None:
        return w._("not in the audience at this address")
    m = live.member
    names = _names(m.merge_fields, w)
    status = status_word(str(m.status), w)
    if m.last_changed:
        return w._(
            "{status}, last changed {at} ({names})",
            status=status,
            at=m.last_changed.isoformat(timespec="seconds"),
            names=names,
        )
    return w._("{status} ({names})", status=status, names=names)


def _ledger_text(story: ClientStory, w: Words) -> str:
    entry = story.ledger
    if entry is None:
        return w._("nothing pushed yet")
    fresh = w._("up to date") if story.up_to_date else w._("the client changed since")
    error = reason_text(entry.last_error, w.lang) if entry.last_error else w._("none")
    status = status_word(str(entry.member_status), w) if entry.member_status else w._("unknown")
    return w._(
        "last pushed as {email} (content {hash}…, {fresh}); member status {status}; last error: "
        "{error}",
        email=entry.email,
        hash=entry.content_hash[:12],
        fresh=fresh,
        status=status,
        error=error,
    )


def explain_lines(story: ClientStory, lang: str = "en") -> list[str]:
    w = translate(lang)
    c, t = story.client, story.tenant
    why, fix, then = story_texts(story, lang)
    birthday = c.birthday.iso() if c.birthday else w._("none")
    name = " ".join(part for part in (c.first_name, c.last_name) if part) or w._("no name")
    entries = w.n_("{n} entry", "{n} entries", len(story.entries))
    if story.entries_truncated:
        entries = w._("{entries} (only the newest entries were searched)", entries=entries)
    lines = [
        w._(
            "Client {client} of {tenant} ({name}, {state})",
            client=c.client_id,
            tenant=t.tenant_id,
            name=t.name,
            state=status_word(str(t.state), w),
        ),
        w._(
            "  platform:  {email} · {name} · birthday {birthday} · newsletter {newsletter}",
            email=c.email,
            name=name,
            birthday=birthday,
            newsletter=status_word(str(c.newsletter), w),
        ),
        w._("  ledger:    {text}", text=_ledger_text(story, w)),
        w._("  MailChimp: {text}", text=_live_text(story, w)),
        w._("  activity:  {entries}", entries=entries),
    ]
    for entry in story.entries:
        at = entry.at.isoformat(timespec="seconds")
        lines.append(f"    {at}  {entry.kind}  {render(entry, lang)}")
    lines += [
        w._("  why:       {text}", text=why),
        w._("  next sync: {text}", text=then),
        w._("  to do:     {text}", text=fix),
    ]
    return lines


def explain_json(story: ClientStory, client: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    w = translate(lang)
    why, fix, then = story_texts(story, lang)
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
            "error": reason_words(live.error, lang) if live.error else None,
            "member": None
            if member is None
            else {
                "email": member.email,
                "status": str(member.status),
                "last_changed": member.last_changed.isoformat() if member.last_changed else None,
                "merge_fields": member.merge_fields,
            },
            "text": _live_text(story, w),
        },
        "activity": [entry_json(a, lang) for a in story.entries],
        "activity_truncated": story.entries_truncated,
        "why": {"code": str(e.story), "detail": e.detail, "text": why},
        "next_sync": {"action": str(e.next), "reason": e.next_reason or None, "text": then},
        "fix": fix,
    }
