"""What each webhook event changes and records: one small pure function per event type.

Each takes the event, the client the directory marked (for an opt-out; None otherwise or when
the address is no client's) and what the ledger remembers of the address, and returns a
Decision. Nothing here reads or writes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from calendarspots_mailchimp.core.model import (
    ActivityKind,
    Client,
    LedgerEntry,
    MemberStatus,
    Tenant,
)
from calendarspots_mailchimp.core.services.webhooks.events import WebhookEvent


class Outcome(StrEnum):
    """What became of a received event (the webhook's answer says it)."""

    APPLIED = "applied"  # the client database was changed
    NO_CLIENT = "no-client"  # an opt-out for an address that is no client's
    RECORDED = "recorded"  # only logged (R8)
    DUPLICATE = "duplicate"  # received before: not applied again
    ALREADY_APPLIED = "already-applied"  # a twin applied it first
    STORED = "stored"  # committed to the inbox; applied off the request path
    INVALID = "invalid"  # stored once, but not an event MailChimp sends
    REFUSED = "refused"  # another audience's event, or no audience connected


@dataclass(frozen=True)
class Decision:
    kind: ActivityKind
    details: dict[str, Any]  # the facts the activity entry keeps (the words are the readers')
    outcome: Outcome
    # The member's status the ledger should now remember, by address (R10).
    ledger: tuple[str, MemberStatus] | None = None


def _full_name(client: Client | None) -> str:
    if client is None:
        return ""
    return " ".join(p for p in (client.first_name, client.last_name) if p)


def _common(event: WebhookEvent) -> dict[str, Any]:
    return {"fired_at": event.fired_at, "source": "webhook"}


def _opt_out(event: WebhookEvent, client: Client | None) -> dict[str, Any]:
    return {
        "email": event.email,
        "client_id": client.client_id if client else None,
        "client_name": _full_name(client),
        # unsubscribe: "manual unless caused by a spam complaint – then it will be abuse";
        # cleaned: "one of hard (for hard bounces) or abuse" (docs/mailchimp-api.md §6.3).
        "reason": event.data.get("reason", ""),
        **_common(event),
    }


def on_unsubscribe(
    event: WebhookEvent, client: Client | None, known: LedgerEntry | None
) -> Decision:
    details = {**_opt_out(event, client), "action": event.data.get("action", "")}
    return Decision(
        ActivityKind.CONTACT_UNSUBSCRIBED,
        details,
        Outcome.APPLIED if client else Outcome.NO_CLIENT,
        (event.email, MemberStatus.UNSUBSCRIBED),
    )


def on_cleaned(event: WebhookEvent, client: Client | None, known: LedgerEntry | None) -> Decision:
    return Decision(
        ActivityKind.CONTACT_CLEANED,
        _opt_out(event, client),
        Outcome.APPLIED if client else Outcome.NO_CLIENT,
        (event.email, MemberStatus.CLEANED),
    )


def on_subscribe(event: WebhookEvent, client: Client | None, known: LedgerEntry | None) -> Decision:
    # A client of the business who (re-)subscribed through a MailChimp form: the sync follows
    # MailChimp's status for them and never sends an opt-out back.
    return Decision(
        ActivityKind.MAILCHIMP_SUBSCRIBE_RECORDED,
        {
            "email": event.email,
            "merges": event.merges,
            "client_id": known.client_id if known else None,
            **_common(event),
        },
        Outcome.RECORDED,
        (event.email, MemberStatus.SUBSCRIBED) if known is not None else None,
    )


def on_profile(event: WebhookEvent, client: Client | None, known: LedgerEntry | None) -> Decision:
    return Decision(
        ActivityKind.MAILCHIMP_PROFILE_RECORDED,
        {"email": event.email, "merges": event.merges, **_common(event)},
        Outcome.RECORDED,
    )


def on_upemail(event: WebhookEvent, client: Client | None, known: LedgerEntry | None) -> Decision:
    old, new = event.data.get("old_email", ""), event.data.get("new_email", "")
    return Decision(
        ActivityKind.MAILCHIMP_UPEMAIL_RECORDED,
        {"old_email": old, "new_email": new, **_common(event)},
        Outcome.RECORDED,
        # The member now lives at the new address: the sync must not add the old one back
        # (the client record keeps it until the owner changes it, R8).
        (old, MemberStatus.ARCHIVED),
    )


def on_campaign(event: WebhookEvent, client: Client | None, known: LedgerEntry | None) -> Decision:
    return Decision(
        ActivityKind.MAILCHIMP_CAMPAIGN_RECORDED,
        {"campaign": event.data, **_common(event)},
        Outcome.RECORDED,
    )


def refusal(tenant: Tenant, event: WebhookEvent) -> dict[str, Any]:
    """What a refused event's entry keeps: another audience's event, or one that came while
    no audience is connected (nothing then proves it is the tenant's)."""
    return {
        "type": event.type,
        "list_id": event.list_id,
        "audience_id": tenant.audience_id,
        "fired_at": event.fired_at,
        "source": "webhook",
    }


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
