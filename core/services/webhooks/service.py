"""Receiving a webhook event: authenticate, store, apply — exactly once.

MailChimp's audience webhooks are unsigned (docs/mailchimp-api.md §6.4): the URL's per-tenant secret is
the only credential, compared in constant time. Deliveries are retried for 75 minutes
(§6.5), so the same event can arrive several times; its idempotency key is a hash of the whole
form.

Exactly once: `store` commits the raw event (the inbox refuses a second copy of the same key)
before anything is applied, and whoever applies an event first claims it (the inbox marks it
taken only if nobody has) in the same transaction as the changes. The claim is atomic across
threads and processes, so a request and a recovery pass (`apply_pending`) never both apply
it; a failed apply rolls its claim back.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from calendarspots_mailchimp.core.errors import ConfigurationError, InvalidInput, NotFound
from calendarspots_mailchimp.core.model import ActivityKind, Client, Tenant
from calendarspots_mailchimp.core.services import webhook_address
from calendarspots_mailchimp.core.services.tenancy import record
from calendarspots_mailchimp.core.services.webhooks.decide import Outcome, decide, refusal
from calendarspots_mailchimp.core.services.webhooks.events import (
    ForeignList,
    WebhookEvent,
    idempotency_key,
    parse_event,
)
from calendarspots_mailchimp.core.services.webhooks.memory import InboxMemory
from calendarspots_mailchimp.ports.client_directory import ClientDirectory
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    applied: bool
    duplicate: bool
    outcome: Outcome


@dataclass(frozen=True)
class Stored:
    """An event safely in the inbox (event_id None: a copy was received before)."""

    tenant: Tenant
    event_id: int | None
    event: WebhookEvent


class InboundService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        directory: ClientDirectory,
        clock: Clock,
        secret_key: str,
        memory: InboxMemory,
    ) -> None:
        self.uow = uow
        self.directory = directory
        self.clock = clock
        self.secret_key = secret_key
        self.memory = memory

    def receive(self, tenant_id: str, secret: str, form: Mapping[str, str]) -> Receipt:
        """The webhook route's one use case: authenticate, store, apply. NotFound, InvalidInput
        (ForeignList) and a failure to store propagate; once stored, the event is MailChimp's
        answer 200 whatever happens next (the next event or the next sync applies it). A
        duplicate (our earlier answer may have been lost with the event left unapplied), and
        the first event of a tenant this process sees, also apply whatever was left stored."""
        stored = self.store(self.authenticate(tenant_id, secret), form)
        if stored.event_id is None:
            self._recover(tenant_id)
            return Receipt(False, True, Outcome.DUPLICATE)
        try:
            receipt = self.apply(stored.tenant, stored.event_id, stored.event)
        except Exception:
            self.memory.forget(tenant_id)
            log.exception(
                "applying webhook event %d for tenant %s failed; it stays stored",
                stored.event_id,
                tenant_id,
            )
            return Receipt(False, False, Outcome.STORED)
        if self.memory.first_time(tenant_id):
            self._recover(tenant_id)
        return receipt

    def _recover(self, tenant_id: str) -> None:
        try:
            count = self.apply_pending(tenant_id)
        except Exception:
            self.memory.forget(tenant_id)
            log.exception("re-applying stored webhook events for tenant %s failed", tenant_id)
            return
        if count:
            log.info("re-applied %d stored webhook event(s) for tenant %s", count, tenant_id)

    def authenticate(self, tenant_id: str, secret: str) -> Tenant:
        """The same NotFound for an unknown tenant and a wrong secret."""
        with self.uow() as uow:
            tenant = uow.tenants.get(tenant_id)
        try:
            accepted = (
                webhook_address.accepted_webhook_secrets(self.secret_key, tenant) if tenant else []
            )
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

    def store(self, tenant: Tenant, form: Mapping[str, str]) -> Stored:
        """Validates and commits the raw event. InvalidInput for a malformed event; ForeignList
        (logged once per distinct event) for another audience's, or when no audience is
        connected, since nothing then proves the event is the tenant's."""
        event = parse_event(form)
        key = idempotency_key(form)
        if not tenant.audience_id or event.list_id != tenant.audience_id:
            self._refuse(tenant, event, key, dict(form))
        with self.uow() as uow:
            event_id = uow.scope(tenant.tenant_id).inbox.add(key, self.clock.now(), dict(form))
            uow.commit()
        return Stored(tenant, event_id, event)

    def _refuse(self, tenant: Tenant, event: WebhookEvent, key: str, form: dict[str, Any]) -> None:
        now = self.clock.now()
        with self.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            # Stored as already handled, so MailChimp's retries of it are not logged again.
            event_id = scope.inbox.add(key, now, form)
            if event_id is not None:
                scope.inbox.mark_applied(event_id, now, Outcome.REFUSED)
                record(scope, now, ActivityKind.WEBHOOK_REFUSED, **refusal(tenant, event))
            uow.commit()
        raise ForeignList("this event is not for the connected audience")

    def apply(self, tenant: Tenant, event_id: int, event: WebhookEvent) -> Receipt:
        with self.memory.hold(tenant.tenant_id, event_id):
            # The client directory is the host's, outside our transactions (and, embedded, its
            # own connection: SQLite would deadlock behind our write lock), so it goes first.
            # Marking is idempotent (ClientDirectory contract): a losing twin's repeat is
            # harmless.
            client = self._mark_client(tenant, event)
            with self.uow() as uow:
                scope = uow.scope(tenant.tenant_id)
                now = self.clock.now()
                if not scope.inbox.claim(event_id, now):
                    return Receipt(False, False, Outcome.ALREADY_APPLIED)
                known = scope.ledger.find_by_email(event.email) if event.email else None
                decision = decide(event, client, known)
                if decision.ledger is not None:
                    scope.ledger.set_member_status(*decision.ledger)
                record(scope, now, decision.kind, **decision.details)
                scope.inbox.mark_applied(event_id, now, decision.outcome)
                uow.commit()
        return Receipt(True, False, decision.outcome)

    def _mark_client(self, tenant: Tenant, event: WebhookEvent) -> Client | None:
        if event.type == "unsubscribe":
            return self.directory.mark_unsubscribed(tenant.tenant_id, event.email)
        if event.type == "cleaned":
            return self.directory.mark_cleaned(tenant.tenant_id, event.email)
        return None

    def apply_pending(self, tenant_id: str) -> int:
        """Applies stored events whose processing was interrupted (a crash or a failure after
        the event was stored); returns how many this call applied. Safe to run concurrently
        with requests and with other processes."""
        with self.uow() as uow:
            tenant = uow.tenants.get(tenant_id)
        if tenant is None:
            return 0
        applied = 0
        seen: set[int] = set()
        while True:
            with self.uow() as uow:
                pending = uow.scope(tenant_id).inbox.pending()
            fresh = [
                (i, p) for i, p in pending if i not in seen and (tenant_id, i) not in self.memory
            ]
            if not fresh:
                return applied
            for event_id, payload in fresh:
                seen.add(event_id)
                try:
                    event = parse_event(payload)
                except InvalidInput:
                    self._mark_invalid(tenant_id, event_id)
                    continue
                if self.apply(tenant, event_id, event).applied:
                    applied += 1

    def _mark_invalid(self, tenant_id: str, event_id: int) -> None:
        with self.uow() as uow:
            uow.scope(tenant_id).inbox.mark_applied(event_id, self.clock.now(), Outcome.INVALID)
            uow.commit()
