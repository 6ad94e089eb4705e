"""What each webhook event changes and records: one small pure function per event type.

Each takes the event, the client the directory marked (for an opt-out; None otherwise or when
the address is no client's) and what the ledger remembers of the address, and returns a
Decision. Nothing here reads or writes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from calendarspots_mailchimp.core.model import (
    ActivityKind,
    Client,
    LedgerEntry,
    MemberStatus,
    Tenant,
)
from calendarspots_mailchimp.core.services.webhooks.events import WebhookEvent


class Outcome:
    APPLIED = "applied"  # the client database was changed
    NO_CLIENT = "no-client"  # an opt-out for an address that is no client's
    RECORDED = "recorded"  # only logged (R8)


@dataclass(frozen=True)
class Decision:
    kind: ActivityKind
    message: str
    details: dict[str, Any]
    outcome: str
    # The member's status the ledger should now remember, by address (R10).
    ledger: tuple[str, MemberStatus] | None = None


def _names(merges: Mapping[str, str]) -> str:
    parts = [f"{tag}={merges[tag]!r}" for tag in ("FNAME", "LNAME", "BIRTHDAY") if merges.get(tag)]
    return ", ".join(parts) or "no name given"


def _full_name(client: Client | None) -> str:
    if client is None:
        return ""
    return " ".join(p for p in (client.first_name, client.last_name) if p)


def _who(client: Client | None, email: str) -> str:
    name = _full_name(client)
    return f"{name} ({email})" if name else email


def _common(event: WebhookEvent) -> dict[str, Any]:
    return {"fired_at": event.fired_at, "source": "webhook"}


def on_unsubscribe(
    event: WebhookEvent, client: Client | None, known: LedgerEntry | None
) -> Decision:
    email, reason = event.email, event.data.get("reason", "")
    # "manual unless caused by a spam complaint – then it will be abuse" (docs/mailchimp-api.md §6.3).
    why = " after marking a newsletter as spam" if reason == "abuse" else ""
    after = (
        "The client's record now says unsubscribed; nothing to do."
        if client
        else "No client has this address in your client database; nothing to do."
    )
    return Decision(
        ActivityKind.CONTACT_UNSUBSCRIBED,
        f"{_who(client, email)} unsubscribed from your newsletter in MailChimp{why}. {after}",
        {
            "email": email,
            "client_id": client.client_id if client else None,
            "client_name": _full_name(client),
            "reason": reason,
            "action": event.data.get("action", ""),
            **_common(event),
        },
        Outcome.APPLIED if client else Outcome.NO_CLIENT,
        (email, MemberStatus.UNSUBSCRIBED),
    )


_CLEANED_BECAUSE = {
    "hard": "bounced (the address does not exist or no longer works)",
    "abuse": "was cleaned after a spam complaint",
}


def on_cleaned(event: WebhookEvent, client: Client | None, known: LedgerEntry | None) -> Decision:
    email, reason = event.email, event.data.get("reason", "")
    # "reason will be one of hard (for hard bounces) or abuse" (docs/mailchimp-api.md §6.3).
    text = _CLEANED_BECAUSE.get(reason, "was found invalid")
    after = (
        "The client's record now says invalid address; ask the client for a new email "
        "address at their next visit."
        if client
        else "No client has this address in your client database; nothing to do."
    )
    return Decision(
        ActivityKind.CONTACT_CLEANED,
        f"MailChimp stopped sending to {_who(client, email)}: the address {text}. {after}",
        {
            "email": email,
            "client_id": client.client_id if client else None,
            "client_name": _full_name(client),
            "reason": reason,
            **_common(event),
        },
        Outcome.APPLIED if client else Outcome.NO_CLIENT,
        (email, MemberStatus.CLEANED),
    )


def on_subscribe(event: WebhookEvent, client: Client | None, known: LedgerEntry | None) -> Decision:
    email = event.email
    if known is not None:
        # A client of the business who (re-)subscribed through a MailChimp form: the sync
        # follows MailChimp's status for them and never sends an opt-out back.
        message = (
            f"{email}, already a client, subscribed (again) through MailChimp "
            f"({_names(event.merges)}). The client database was not changed: update the "
            "client's newsletter choice by hand if relevant."
        )
    else:
        message = (
            f"New subscriber {email} in MailChimp ({_names(event.merges)}). Not added to the "
            "client database: add the client by hand if relevant."
        )
    return Decision(
        ActivityKind.MAILCHIMP_SUBSCRIBE_RECORDED,
        message,
        {
            "email": email,
            "merges": event.merges,
            "client_id": known.client_id if known else None,
            **_common(event),
        },
        Outcome.RECORDED,
        (email, MemberStatus.SUBSCRIBED) if known is not None else None,
    )


def on_profile(event: WebhookEvent, client: Client | None, known: LedgerEntry | None) -> Decision:
    email = event.email
    return Decision(
        ActivityKind.MAILCHIMP_PROFILE_RECORDED,
        f"{email} updated their profile in MailChimp ({_names(event.merges)}). The client "
        "database was not changed: copy the new values by hand if relevant.",
        {"email": email, "merges": event.merges, **_common(event)},
        Outcome.RECORDED,
    )


def on_upemail(event: WebhookEvent, client: Client | None, known: LedgerEntry | None) -> Decision:
    old, new = event.data.get("old_email", ""), event.data.get("new_email", "")
    return Decision(
        ActivityKind.MAILCHIMP_UPEMAIL_RECORDED,
        f"{old} changed their address to {new} in MailChimp. The client database was not "
        "changed: update the client's email by hand if relevant.",
        {"old_email": old, "new_email": new, **_common(event)},
        Outcome.RECORDED,
        # The member now lives at the new address: the sync must not add the old one back
        # (the client record keeps it until the owner changes it, R8).
        (old, MemberStatus.ARCHIVED),
    )


def on_campaign(event: WebhookEvent, client: Client | None, known: LedgerEntry | None) -> Decision:
    return Decision(
        ActivityKind.MAILCHIMP_CAMPAIGN_RECORDED,
        f"MailChimp campaign event: {event.data.get('subject', '')} "
        f"({event.data.get('status', '')}).",
        {"campaign": event.data, **_common(event)},
        Outcome.RECORDED,
    )


def refusal(tenant: Tenant, event: WebhookEvent) -> str:
    if tenant.audience_id:
        return (
            f"A MailChimp {event.type} event for another audience ({event.list_id}) was "
            "refused: only the connected audience's events are accepted. If you connected a "
            "different audience, remove the old audience's webhook in MailChimp "
            "(Audience → Settings → Webhooks)."
        )
    return (
        f"A MailChimp {event.type} event was refused: no MailChimp audience is connected "
        "yet. Click Authorize (Settings → Advanced → Newsletters) to connect one."
    )


Decider = Callable[[WebhookEvent, Client | None, LedgerEntry | None], Decision]

DECIDERS: dict[str, Decider] = {
    "unsubscribe": on_unsubscribe,
    "cleaned": on_cleaned,
    "subscribe": on_subscribe,
    "profile": on_profile,
    "upemail": on_upemail,
    "campaign": on_campaign,
}


def decide(event: WebhookEvent, client: Client | None, known: LedgerEntry | None) -> Decision:
    return DECIDERS[event.type](event, client, known)
