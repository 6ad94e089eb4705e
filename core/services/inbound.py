"""Webhook events from MailChimp (R7, R8): stored first, applied once.

MailChimp's audience webhooks are unsigned (API-NOTES §6.4): the URL's per-tenant secret is
the only credential, compared in constant time. Deliveries are retried for 75 minutes
(§6.5), so the same event can arrive several times: its idempotency key is a hash of the
whole form, `fired_at` included.

Exactly once: `store` commits the raw event (the inbox refuses a second copy of the same key)
before anything is applied, and whoever applies an event first claims it (the inbox marks it
taken only if nobody has) in the same transaction as the changes. The claim is atomic across
threads and processes, so the request that stored an event and a recovery pass
(`apply_pending`) can never both apply it; a failed apply rolls its claim back.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from calendarspots_mailchimp.core.errors import ConfigurationError, InvalidInput, NotFound
from calendarspots_mailchimp.core.model import ActivityKind, Client, MemberStatus, Tenant
from calendarspots_mailchimp.core.services import audience as contract
from calendarspots_mailchimp.core.services.deps import Deps, Journal
from calendarspots_mailchimp.ports.repositories import TenantScope

EVENT_TYPES = frozenset({"subscribe", "unsubscribe", "profile", "upemail", "cleaned", "campaign"})
MAX_FIELD_LENGTH = 2_000
MAX_KEY_LENGTH = 200
MAX_FIELDS = 200
# NUL cannot be stored in PostgreSQL text; other C0 controls never occur in MailChimp's data.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
    if len(form) > MAX_FIELDS:
        raise InvalidInput(f"too many fields ({len(form)})")
    for key, value in form.items():
        if len(key) > MAX_KEY_LENGTH or len(value) > MAX_FIELD_LENGTH:
            raise InvalidInput(f"field {key[:40]!r} is too long")
        if _CONTROL.search(key) or _CONTROL.search(value):
            raise InvalidInput(f"field {key[:40]!r} contains control characters")
    kind = form.get("type", "").strip()
    if kind not in EVENT_TYPES:
        raise InvalidInput(f"unknown or missing event type {kind[:40]!r}")
    data: dict[str, str] = {}
    merges: dict[str, str] = {}
    for key, value in form.items():
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


@dataclass(frozen=True)
class Stored:
    """An event safely in the inbox (event_id None: a copy was received before)."""

    tenant: Tenant
    event_id: int | None
    event: WebhookEvent


class _InFlight:
    """Event ids being applied by a request of this process: recovery leaves them alone (the
    claim would keep it correct anyway; this only avoids needless contention)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[tuple[str, int]] = set()

    @contextmanager
    def hold(self, tenant_id: str, event_id: int) -> Iterator[None]:
        with self._lock:
            self._ids.add((tenant_id, event_id))
        try:
            yield
        finally:
            with self._lock:
                self._ids.discard((tenant_id, event_id))

    def __contains__(self, item: tuple[str, int]) -> bool:
        with self._lock:
            return item in self._ids


_in_flight = _InFlight()


class InboundService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def authenticate(self, tenant_id: str, secret: str) -> Tenant:
        """The same NotFound for an unknown tenant and a wrong secret."""
        with self.deps.uow() as uow:
            tenant = uow.tenants.get(tenant_id)
        try:
            key = self.deps.settings.secret_key
            accepted = contract.accepted_webhook_secrets(key, tenant) if tenant else []
        except ConfigurationError:
            accepted = []  # no key: no webhook can have been installed
        # compare_digest on equal-length digests, against two candidates whatever happens, so
        # timing says nothing about the secret, the tenant, or a move in progress.
        given = hashlib.sha256(secret.encode()).digest()
        candidates = [*accepted, "", ""][:2]
        matches = [
            hmac.compare_digest(given, hashlib.sha256(c.encode()).digest()) and bool(c)
            for c in candidates
        ]
        if tenant is None or not any(matches):
            raise NotFound("not found")
        return tenant

    def receive(self, tenant_id: str, secret: str, form: Mapping[str, str]) -> Receipt:
        """store() then apply(), for callers that want both in one call."""
        stored = self.store(self.authenticate(tenant_id, secret), form)
        if stored.event_id is None:
            return Receipt(False, True, "duplicate")
        return self.apply(stored.tenant, stored.event_id, stored.event)

    def store(self, tenant: Tenant, form: Mapping[str, str]) -> Stored:
        """Validates and commits the raw event. InvalidInput for a malformed event; ForeignList
        (logged once per distinct event) for another audience's, or when no audience is
        connected, since nothing then proves the event is the tenant's."""
        event = parse_event(form)
        deps = self.deps
        key = idempotency_key(form)
        if not tenant.audience_id or event.list_id != tenant.audience_id:
            self._refuse(tenant, event, key, dict(form))
        with deps.uow() as uow:
            event_id = uow.scope(tenant.tenant_id).inbox.add(key, deps.clock.now(), dict(form))
            uow.commit()
        return Stored(tenant, event_id, event)

    def _refuse(self, tenant: Tenant, event: WebhookEvent, key: str, form: dict[str, Any]) -> None:
        deps = self.deps
        journal = Journal(deps)
        if tenant.audience_id:
            why = (
                f"A MailChimp {event.type} event for another audience ({event.list_id}) was "
                "refused: only the connected audience's events are accepted. If you connected a "
                "different audience, remove the old audience's webhook in MailChimp "
                "(Audience → Settings → Webhooks)."
            )
        else:
            why = (
                f"A MailChimp {event.type} event was refused: no MailChimp audience is connected "
                "yet. Click Authorize (Settings → Advanced → Newsletters) to connect one."
            )
        with deps.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            # Stored as already handled, so MailChimp's retries of it are not logged again.
            event_id = scope.inbox.add(key, deps.clock.now(), form)
            if event_id is not None:
                scope.inbox.mark_applied(event_id, deps.clock.now(), "refused")
                journal.record(
                    scope,
                    ActivityKind.WEBHOOK_REFUSED,
                    why,
                    type=event.type,
                    list_id=event.list_id,
                    audience_id=tenant.audience_id,
                    fired_at=event.fired_at,
                    source="webhook",
                )
            uow.commit()
        journal.published()
        raise ForeignList("this event is not for the connected audience")

    def apply(self, tenant: Tenant, event_id: int, event: WebhookEvent) -> Receipt:
        with _in_flight.hold(tenant.tenant_id, event_id):
            return self._apply_claimed(tenant, event_id, event)

    def _apply_claimed(self, tenant: Tenant, event_id: int, event: WebhookEvent) -> Receipt:
        deps = self.deps
        journal = Journal(deps)
        # The client directory is the host's, outside our transactions (and, embedded, its own
        # connection: SQLite would deadlock behind our write lock), so it goes first. Marking is
        # idempotent (ClientDirectory contract), so a repeat by a losing twin is harmless.
        client = self._mark_client(tenant, event)
        with deps.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            now = deps.clock.now()
            if not scope.inbox.claim(event_id, now):
                return Receipt(False, False, "already-applied")
            outcome = self._apply(scope, tenant, event, journal, client)
            scope.inbox.mark_applied(event_id, now, outcome)
            uow.commit()
        journal.published()
        return Receipt(True, False, outcome)

    def _mark_client(self, tenant: Tenant, event: WebhookEvent) -> Client | None:
        directory = self.deps.directory
        if event.type == "unsubscribe":
            return directory.mark_unsubscribed(tenant.tenant_id, event.email)
        if event.type == "cleaned":
            return directory.mark_cleaned(tenant.tenant_id, event.email)
        return None

    def apply_pending(self, tenant_id: str) -> int:
        """Applies stored events whose processing was interrupted (a crash or a failure after
        the event was stored); returns how many this call applied. Safe to run concurrently
        with requests and with other processes."""
        deps = self.deps
        with deps.uow() as uow:
            tenant = uow.tenants.get(tenant_id)
        if tenant is None:
            return 0
        applied = 0
        seen: set[int] = set()
        while True:
            with deps.uow() as uow:
                pending = uow.scope(tenant_id).inbox.pending()
            fresh = [
                (i, p) for i, p in pending if i not in seen and (tenant_id, i) not in _in_flight
            ]
            if not fresh:
                return applied
            for event_id, payload in fresh:
                seen.add(event_id)
                try:
                    event = parse_event(payload)
                except InvalidInput:
                    with deps.uow() as uow:
                        uow.scope(tenant_id).inbox.mark_applied(
                            event_id, deps.clock.now(), "invalid"
                        )
                        uow.commit()
                    continue
                if self.apply(tenant, event_id, event).applied:
                    applied += 1

    def _apply(
        self,
        scope: TenantScope,
        tenant: Tenant,
        event: WebhookEvent,
        journal: Journal,
        client: Client | None,
    ) -> str:
        email = event.email
        common: dict[str, Any] = {"fired_at": event.fired_at, "source": "webhook"}
        if event.type == "unsubscribe":
            scope.ledger.set_member_status(email, MemberStatus.UNSUBSCRIBED)
            reason = event.data.get("reason", "")
            # "reason ... will be manual unless caused by a spam complaint – then it will be
            # abuse" (API-NOTES §6.3).
            why = " after marking a newsletter as spam" if reason == "abuse" else ""
            who = _who(client, email)
            message = f"{who} unsubscribed from your newsletter in MailChimp{why}. " + (
                "The client's record now says unsubscribed; nothing to do."
                if client
                else "No client has this address in your client database; nothing to do."
            )
            journal.record(
                scope,
                ActivityKind.CONTACT_UNSUBSCRIBED,
                message,
                email=email,
                client_id=client.client_id if client else None,
                client_name=_full_name(client),
                reason=reason,
                action=event.data.get("action", ""),
                **common,
            )
            return "applied" if client else "no-client"
        if event.type == "cleaned":
            scope.ledger.set_member_status(email, MemberStatus.CLEANED)
            # "reason will be one of hard (for hard bounces) or abuse" (API-NOTES §6.3).
            reason = event.data.get("reason", "")
            text = (
                "bounced (the address does not exist or no longer works)"
                if reason == "hard"
                else "was cleaned after a spam complaint"
                if reason == "abuse"
                else "was found invalid"
            )
            message = (
                f"MailChimp stopped sending to {_who(client, email)}: the address {text}. "
                + (
                    "The client's record now says invalid address; ask the client for a new email "
                    "address at their next visit."
                    if client
                    else "No client has this address in your client database; nothing to do."
                )
            )
            journal.record(
                scope,
                ActivityKind.CONTACT_CLEANED,
                message,
                email=email,
                client_id=client.client_id if client else None,
                client_name=_full_name(client),
                reason=reason,
                **common,
            )
            return "applied" if client else "no-client"
        if event.type == "subscribe":
            known = scope.ledger.find_by_email(email)
            if known is not None:
                # A client of the business who (re-)subscribed through a MailChimp form: the
                # sync follows MailChimp's status for them and never sends an opt-out back.
                scope.ledger.set_member_status(email, MemberStatus.SUBSCRIBED)
                message = (
                    f"{email}, already a client, subscribed (again) through MailChimp "
                    f"({_names(event.merges)}). The client database was not changed: update "
                    "the client's newsletter choice by hand if relevant."
                )
            else:
                message = (
                    f"New subscriber {email} in MailChimp ({_names(event.merges)}). Not added to "
                    "the client database: add the client by hand if relevant."
                )
            journal.record(
                scope,
                ActivityKind.MAILCHIMP_SUBSCRIBE_RECORDED,
                message,
                email=email,
                merges=event.merges,
                client_id=known.client_id if known else None,
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
            # The member now lives at the new address: the sync must not add the old one back
            # (the client record keeps it until the owner changes it, R8).
            scope.ledger.set_member_status(old, MemberStatus.ARCHIVED)
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


def _full_name(client: Client | None) -> str:
    if client is None:
        return ""
    return " ".join(p for p in (client.first_name, client.last_name) if p)


def _who(client: Client | None, email: str) -> str:
    name = _full_name(client)
    return f"{name} ({email})" if name else email
