"""The Newsletters page in HTML, in French or English: plain forms, no JavaScript."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape

from calendarspots_mailchimp.core.errors import decoded
from calendarspots_mailchimp.core.model import ConnectionState
from calendarspots_mailchimp.core.services.explain import ClientStory
from calendarspots_mailchimp.core.services.newsletters import PageView
from calendarspots_mailchimp.core.services.sharing import SHARED
from calendarspots_mailchimp.entrypoints.i18n import N_, Words, translate
from calendarspots_mailchimp.entrypoints.messages import (
    first_sync_text,
    reason_fix,
    reason_text,
    reason_words,
    render,
    shared_owner,
)

# Each role's English msgid; the French is in the catalog (entrypoints/locales).
WORDS: dict[str, str] = {
    "title": N_("Newsletters"),
    "sync_title": N_("Sync"),
    "held": N_(
        "The last sync would have changed much of your audience: nothing was sent. Check your "
        "client database, then confirm."
    ),
    "confirm": N_("Confirm and send"),
    "not_connected": N_("MailChimp is not connected yet."),
    "connected": N_("Connected to the MailChimp account “{account}”: audience “{list}”, {n}."),
    "needs_attention": N_("MailChimp is connected, but needs your attention."),
    "needs_reauthorization": N_("MailChimp refused calendarspots.com's access: reconnect it."),
    "disconnected": N_("MailChimp is disconnected. Your clients stay in your client database."),
    "last": N_("Last sync: {date} at {time}, {place} time."),
    "counts": N_("{created}, {updated}, {skipped}, {failed}."),
    "never": N_("No sync yet."),
    "next": N_("Next sync: the night of {date}, from {time}."),
    "skipped": N_("Clients not sent to MailChimp"),
    "webhook_ok": N_("MailChimp's webhook is in place."),
    "webhook_missing": N_("MailChimp's webhook is missing: the next sync puts it back."),
    "doi_title": N_("Double opt-in"),
    "doi_on": N_("New contacts get a confirmation email (double opt-in)."),
    "doi_off": N_("New contacts are subscribed directly."),
    "authorize": N_("Authorize"),
    "reconnect": N_("Reconnect"),
    "check": N_("Check and repair"),
    "sync": N_("Sync now"),
    "disconnect": N_("Disconnect"),
    "doi_turn_on": N_("Ask new contacts to confirm"),
    "doi_turn_off": N_("Stop asking new contacts to confirm"),
    "activity": N_("View activity"),
    "attention_gone": N_(
        "The MailChimp audience “{list}” is gone: create it again in MailChimp, then click "
        "“Check and repair”."
    ),
    "attention_fields": N_(
        "The MailChimp audience lacks the expected fields (email, first name, last name, "
        "birthday): click “Check and repair”."
    ),
    "explain_title": N_("Isn't a client in MailChimp?"),
    "explain_label": N_("Client's email address or client number"),
    "explain": N_("Explain"),
    "story_title": N_("This client and MailChimp"),
    "story_client": N_("Client: {who}"),
    "story_why": N_("Why"),
    "story_next": N_("At the next sync"),
    "story_fix": N_("What to do"),
    "back": N_("Back to the Newsletters page"),
}

DONE: dict[str, str] = {
    "check": N_("Check done."),
    "sync": N_("Sync done."),
    "sync-failed": N_("The sync did not go through: see why below."),
    "check-failed": N_("The check found a problem: see below."),
    "sync-queued": N_("Sync queued: it runs in a few moments."),
    "disconnect": N_("MailChimp is disconnected."),
    "double-opt-in": N_("Choice saved."),
}

# Why an action of the page could not be done, in the page's language, by the error's kind;
# any other error is worded from its code (entrypoints/messages.py).
PROBLEMS: dict[str, str] = {
    "expired": N_("The form has expired: reload the page, then try again."),
    "too_soon": N_("A sync was started less than 15 minutes ago: try again in {minutes} min."),
    "busy": N_("A sync is already running: try again in a few minutes."),
    "not_connected": N_(
        "MailChimp is not connected: reload the page, then click Authorize or Reconnect."
    ),
    "no_key": N_("Enter the client's email address or client number."),
    "no_client": N_("No client has this address or number in your client database."),
}


def problem_text(code: str, lang: str, minutes: int = 0, error: str = "") -> str:
    """The page's words for a problem of kind `code`; `error` (already in `lang`) otherwise."""
    if code not in PROBLEMS:
        return error
    return translate(lang)._(PROBLEMS[code], minutes=translate(lang).number(minutes))


def client_label(problem: Mapping[str, object], names: Mapping[str, str]) -> str:
    """ "Zoé Roy (zoe@example.com)", or the address alone when the client has no name (or is
    no longer in the client database)."""
    email = str(problem.get("email", ""))
    name = names.get(str(problem.get("client_id", "")), "") or str(problem.get("name", ""))
    return f"{name} ({email})" if name else email


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


def _counted(counts: dict[str, int], w: Words) -> dict[str, str]:
    """Each count with its word, singular or plural as the language wants it."""
    return {
        "created": w.n_("{n} added", "{n} added", counts["created"]),
        "updated": w.n_("{n} updated", "{n} updated", counts["updated"]),
        "skipped": w.n_("{n} skipped", "{n} skipped", counts["skipped"]),
        "failed": w.n_("{n} refused", "{n} refused", counts["failed"]),
    }


def _place(zone: str) -> str:
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def newsletters_page(view: PageView, lang: str, csrf: str, done: str = "") -> str:
    tr = translate(lang)
    lang = tr.lang
    w = {role: tr._(msgid) for role, msgid in WORDS.items()}
    t = view.tenant
    state = t.state
    parts = [f"<h1>{escape(w['title'])} — {escape(t.name)}</h1>"]
    said = tr._(DONE[done]) if done in DONE else ""
    if said:
        parts.append(f'<p class="note" role="status">{escape(said)}</p>')
    words = {
        "account": t.account_name,
        "list": t.list_name,
        "n": tr.n_("{n} contact", "{n} contacts", view.contacts),
    }
    klass = (
        "warn"
        if state in (ConnectionState.NEEDS_ATTENTION, ConnectionState.NEEDS_REAUTHORIZATION)
        else ""
    )
    said_state = tr._(WORDS[str(state)], **words) if str(state) == "connected" else w[str(state)]
    parts.append(f'<p class="{klass}">{escape(said_state)}</p>')
    parts.append("<h2>MailChimp</h2><div>")
    connected = state in (ConnectionState.CONNECTED, ConnectionState.NEEDS_ATTENTION)
    label = "reconnect" if state == ConnectionState.NEEDS_REAUTHORIZATION else "authorize"
    if not connected:
        parts.append(_form(t.tenant_id, "authorize", w[label], csrf))
    else:
        if state == ConnectionState.NEEDS_ATTENTION and t.state_reason not in ("", "held"):
            why = _attention(t.state_reason, t.list_name, tr)
            parts.append(f'<p class="warn">{escape(why)}</p>')
        if t.state_reason == "held":
            parts.append(f'<p class="warn">{escape(w["held"])}</p>')
            parts.append(_form(t.tenant_id, "confirm", w["confirm"], csrf))
        parts.append(_form(t.tenant_id, "check", w["check"], csrf))
        parts.append(_form(t.tenant_id, "sync", w["sync"], csrf))
        parts.append(_form(t.tenant_id, "disconnect", w["disconnect"], csrf))
    parts.append("</div>")
    parts.append(_sync_section(view, tr))
    if connected:
        parts.append(f"<p>{escape(w['webhook_ok'] if t.webhook_id else w['webhook_missing'])}</p>")
    doi = w["doi_on"] if t.double_opt_in else w["doi_off"]
    turn = w["doi_turn_off"] if t.double_opt_in else w["doi_turn_on"]
    value = "0" if t.double_opt_in else "1"
    parts.append(f"<h2>{escape(w['doi_title'])}</h2><p>{escape(doi)}</p>")
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


def _sync_section(view: PageView, w: Words) -> str:
    zone = view.tenant.timezone
    out = []
    last = view.last_sync
    if view.first_sync_in_progress:
        out.append(f'<p role="status">{escape(first_sync_text(w.lang))}</p>')
    elif last is None:
        out.append(f"<p>{escape(w._(WORDS['never']))}</p>")
    else:
        at = datetime.fromisoformat(str(last["at"]))
        kinds = ("created", "updated", "skipped", "failed")
        counts = {k: int(last["counts"].get(k, 0)) for k in kinds}
        said = w._(WORDS["last"], date=w.date(at, zone), time=w.time(at, zone), place=_place(zone))
        counted = w._(WORDS["counts"], **_counted(counts, w))
        out.append(f"<p>{escape(said)} {escape(counted)}</p>")
        if last.get("status") == "failed" and view.last_entry is not None:
            # A failed sync says so, and why, in the owner's words (not just its counts).
            failed = render(view.last_entry, w.lang, owner=True)
            out.append(f'<p role="alert">{escape(failed)}</p>')
        problems = list(last.get("problems", []))
        if problems:
            items = "".join(
                f"<li>{escape(client_label(p, {}))} — "
                f"{escape(reason_text(str(p.get('reason', '')), w.lang))}"
                f"{_todo(str(p.get('reason', '')), w.lang)}</li>"
                for p in problems
            )
            out.append(f"<h3>{escape(w._(WORDS['skipped']))}</h3><ul>{items}</ul>")
    if view.next_sync is not None:
        date, time = w.date(view.next_sync, zone), w.time(view.next_sync, zone)
        out.append(f"<p>{escape(w._(WORDS['next'], date=date, time=time))}</p>")
    return f"<h2>{escape(w._(WORDS['sync_title']))}</h2>" + "".join(out)


def _todo(code: str, lang: str) -> str:
    fix = reason_fix(code, lang)
    return f"<br><small>{escape(fix)}</small>" if fix else ""


def explain_page(story: ClientStory, lang: str, why: str, fix: str, then: str) -> str:
    """One client's story for the owner: who, why, what the next sync does, what to do."""
    tr = translate(lang)
    lang = tr.lang
    w = {role: tr._(WORDS[role]) for role in ("story_title", "story_why", "story_next")}
    c, t = story.client, story.tenant
    name = " ".join(p for p in (c.first_name, c.last_name) if p)
    who = client_label({"email": c.email, "name": name}, {})
    href = f"/tenants/{escape(t.tenant_id)}/newsletters"
    body = (
        f"<h1>{escape(w['story_title'])}</h1>"
        f"<p>{escape(tr._(WORDS['story_client'], who=who))}</p>"
        f"<h2>{escape(w['story_why'])}</h2><p>{escape(why)}</p>"
        f"<h2>{escape(w['story_next'])}</h2><p>{escape(then[:1].upper() + then[1:])}.</p>"
        f"<h2>{escape(tr._(WORDS['story_fix']))}</h2><p>{escape(fix)}</p>"
        f'<p><a href="{href}">{escape(tr._(WORDS["back"]))}</a></p>'
    )
    title = f"{w['story_title']} — {t.name}"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        + body
        + "</main></body></html>"
    )


def _attention(reason: str, list_name: str, w: Words) -> str:
    """What needs doing, in the page's words: the stored reason is a code ("audience_gone"),
    or a coded reason (core.errors.coded) worded in the page's language."""
    if reason == "audience_gone":
        return w._(WORDS["attention_gone"], list=list_name)
    found = decoded(reason)
    if found is not None and found[0] == SHARED:  # another business's audience (R1)
        return shared_owner(str(found[1].get("list", list_name)), w, capital=True)
    if decoded(reason) is None and w.lang != "en":
        return w._(WORDS["attention_fields"])  # a sentence stored before reasons were codes
    return reason_words(reason, w.lang)
