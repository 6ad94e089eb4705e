"""Webhook events from MailChimp (R7, R8): stored first, applied once.

MailChimp's audience webhooks are unsigned (API-NOTES §6.4): the URL's per-tenant secret is
the only credential, compared in constant time. Deliveries are retried for 75 minutes
(§6.5), so the same event can arrive several times: its idempotency key is a hash of the
whole form, `fired_at` included.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from calendarspots_mailchimp.core.errors import InvalidInput, NotFound
from calendarspots_mailchimp.core.model import ActivityKind, MemberStatus, Tenant
from calendarspots_mailchimp.core.services.deps import Deps, Journal
from calendarspots_mailchimp.ports.repositories import TenantScope

EVENT_TYPES = frozenset({"subscribe", "unsubscribe", "profile", "upemail", "cleaned", "campaign"})
MAX_FIELD_LENGTH = 2_000


class ForeignList(InvalidInput):
    """An event for an audience that is not the tenant's."""


@dataclass(frozen=True)
class WebhookEvent:
    type: str
    fired_at: str
    list_id: str
    data: dict[str, str]
    merges: dict[str, str]

    @property
    def email(self) -> str:
        return self.data.get("email", "").strip()


def parse_event(form: Mapping[str, str]) -> WebhookEvent:
    """MailChimp's bracket keys (`data[merges][FNAME]`) into a flat event; InvalidInput if the
    event is not one MailChimp sends."""
    kind = form.get("type", "").strip()
    if kind not in EVENT_TYPES:
        raise InvalidInput(f"unknown or missing event type {kind[:40]!r}")
    data: dict[str, str] = {}
    merges: dict[str, str] = {}
    for key, value in form.items():
        if len(value) > MAX_FIELD_LENGTH:
            raise InvalidInput(f"field {key[:40]!r} is too long")
        if key.startswith("data[merges][") and key.endswith("]"):
            inner = key[len("data[merges][") : -1]
            merges[inner] = value  # nested ones such as ADDRESS][addr1 stay flat
        elif key.startswith("data[") and key.endswith("]"):
            data[key[5:-1]] = value
    list_id = data.get("list_id", "").strip()
    if not list_id:
        raise InvalidInput("data[list_id] is missing")
    if kind in ("subscribe", "unsubscribe", "profile", "cleaned") and "@" not in data.get(
        "email", ""
    ):
        raise InvalidInput("data[email] is missing or not an address")
    if kind == "upemail" and (
        "@" not in data.get("new_email", "") or "@" not in data.get("old_email", "")
    ):
        raise InvalidInput("data[old_email] and data[new_email] are required for upemail")
    return WebhookEvent(kind, form.get("fired_at", ""), list_id, data, merges)


def idempotency_key(form: Mapping[str, str]) -> str:
    canonical = "\x1e".join(f"{k}\x1f{v}" for k, v in sorted(form.items()))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Receipt:
    applied: bool
    duplicate: bool
    outcome: str


class InboundService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def authenticate(self, tenant_id: str, secret: str) -> Tenant:
        """The same NotFound for an unknown tenant and a wrong secret."""
        with self.deps.uow() as uow:
            tenant = uow.tenants.get(tenant_id)
        expected = tenant.webhook_secret if tenant else ""
        # compare_digest on equal-length inputs whatever happens, so timing says nothing.
        ok = hmac.compare_digest(
            hashlib.sha256(secret.encode()).digest(), hashlib.sha256(expected.encode()).digest()
        )
        if tenant is None or not expected or not ok:
            raise NotFound("not found")
        return tenant

    def receive(self, tenant_id: str, secret: str, form: Mapping[str, str]) -> Receipt:
        tenant = self.authenticate(tenant_id, secret)
        event = parse_event(form)
        deps = self.deps
        journal = Journal(deps)
        if tenant.audience_id and event.list_id != tenant.audience_id:
            with deps.uow() as uow:
                journal.record(
                    uow.scope(tenant.tenant_id),
                    ActivityKind.WEBHOOK_REFUSED,
                    f"A MailChimp {event.type} event for another audience ({event.list_id}) was "
                    "refused: only the connected audience's events are accepted.",
                    type=event.type,
                    list_id=event.list_id,
                )
                uow.commit()
            journal.published()
            raise ForeignList("this event is for another audience")
        with deps.uow() as uow:
            event_id = uow.scope(tenant.tenant_id).inbox.add(
                idempotency_key(form), deps.clock.now(), dict(form)
            )
            uow.commit()
        if event_id is None:
            return Receipt(False, True, "duplicate")
        return self.apply(tenant, event_id, event)

    def apply(self, tenant: Tenant, event_id: int, event: WebhookEvent) -> Receipt:
        deps = self.deps
        journal = Journal(deps)
        with deps.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            outcome = self._apply(scope, tenant, event, journal)
            scope.inbox.mark_applied(event_id, deps.clock.now(), outcome)
            uow.commit()
        journal.published()
        return Receipt(True, False, outcome)

    def apply_pending(self, tenant_id: str) -> int:
        """Applies stored events whose processing was interrupted (a crash after the 200)."""
        with self.deps.uow() as uow:
            tenant = uow.tenants.get(tenant_id)
            pending = uow.scope(tenant_id).inbox.pending()
        if tenant is None:
            return 0
        for event_id, payload in pending:
            try:
                event = parse_event(payload)
            except InvalidInput:
                with self.deps.uow() as uow:
                    uow.scope(tenant_id).inbox.mark_applied(
                        event_id, self.deps.clock.now(), "invalid"
                    )
                    uow.commit()
                continue
            self.apply(tenant, event_id, event)
        return len(pending)

    def _apply(
        self, scope: TenantScope, tenant: Tenant, event: WebhookEvent, journal: Journal
    ) -> str:
        directory = self.deps.directory
        email = event.email
        common: dict[str, Any] = {"fired_at": event.fired_at, "source": "webhook"}
        if event.type == "unsubscribe":
            client = directory.mark_unsubscribed(tenant.tenant_id, email)
            scope.ledger.set_member_status(email, MemberStatus.UNSUBSCRIBED)
            reason = event.data.get("reason", "")
            why = " (spam complaint)" if reason == "abuse" else ""
            if client is None:
                message = f"{email} unsubscribed in MailChimp{why}; no client has this address."
            else:
                message = (
                    f"{email} unsubscribed in MailChimp{why}; the client database was updated."
                )
            journal.record(
                scope,
                ActivityKind.CONTACT_UNSUBSCRIBED,
                message,
                email=email,
                client_id=client.client_id if client else None,
                reason=reason,
                action=event.data.get("action", ""),
                **common,
            )
            return "applied" if client else "no-client"
        if event.type == "cleaned":
            client = directory.mark_cleaned(tenant.tenant_id, email)
            scope.ledger.set_member_status(email, MemberStatus.CLEANED)
            reason = event.data.get("reason", "")
            text = (
                "bounced"
                if reason == "hard"
                else "was reported as abusive"
                if reason == "abuse"
                else "is invalid"
            )
            message = f"{email} {text}: MailChimp cleaned it from the audience; " + (
                "the client database was updated." if client else "no client has this address."
            )
            journal.record(
                scope,
                ActivityKind.CONTACT_CLEANED,
                message,
                email=email,
                client_id=client.client_id if client else None,
                reason=reason,
                **common,
            )
            return "applied" if client else "no-client"
        if event.type == "subscribe":
            journal.record(
                scope,
                ActivityKind.MAILCHIMP_SUBSCRIBE_RECORDED,
                f"New subscriber {email} in MailChimp ({_names(event.merges)}). Not added to the "
                "client database: add the client by hand if relevant.",
                email=email,
                merges=event.merges,
                **common,
            )
            return "recorded"
        if event.type == "profile":
            journal.record(
                scope,
                ActivityKind.MAILCHIMP_PROFILE_RECORDED,
                f"{email} updated their profile in MailChimp ({_names(event.merges)}). The client "
                "database was not changed: copy the new values by hand if relevant.",
                email=email,
                merges=event.merges,
                **common,
            )
            return "recorded"
        if event.type == "upemail":
            old, new = event.data.get("old_email", ""), event.data.get("new_email", "")
            journal.record(
                scope,
                ActivityKind.MAILCHIMP_UPEMAIL_RECORDED,
                f"{old} changed their address to {new} in MailChimp. The client database was not "
                "changed: update the client's email by hand if relevant.",
                old_email=old,
                new_email=new,
                **common,
            )
            return "recorded"
        journal.record(
            scope,
            ActivityKind.MAILCHIMP_CAMPAIGN_RECORDED,
            f"MailChimp campaign event: {event.data.get('subject', '')} "
            f"({event.data.get('status', '')}).",
            campaign=event.data,
            **common,
        )
        return "recorded"


def _names(merges: Mapping[str, str]) -> str:
    parts = [f"{tag}={merges[tag]!r}" for tag in ("FNAME", "LNAME", "BIRTHDAY") if merges.get(tag)]
    return ", ".join(parts) or "no name given"
