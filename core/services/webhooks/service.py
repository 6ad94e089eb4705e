"""Receiving a webhook event: authenticate, validate, store — one durable write.

MailChimp's audience webhooks are unsigned (docs/mailchimp-api.md §6.4): the URL's per-tenant
secret is the only credential, compared in constant time. Deliveries are retried for 75 minutes
(§6.5), so the same event can arrive several times; its idempotency key is a hash of the whole
form, and the inbox keeps one row per tenant and key.

MailChimp gets its 200 once the raw event is committed to the tenant's inbox (intake.py groups
the writes of concurrent requests into one transaction). Applying it — the client marked, the
ledger, the activity entry — happens off the request path, exactly once (applier.py).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, replace

from calendarspots_mailchimp.core.errors import ConfigurationError, NotFound
from calendarspots_mailchimp.core.model import ActivityKind, Tenant
from calendarspots_mailchimp.core.services import webhook_address
from calendarspots_mailchimp.core.services.tenancy import record
from calendarspots_mailchimp.core.services.webhooks.decide import Outcome, refusal
from calendarspots_mailchimp.core.services.webhooks.events import (
    ForeignList,
    WebhookEvent,
    idempotency_key,
    parse_event,
)
from calendarspots_mailchimp.core.services.webhooks.intake import InboxWriter, TenantCache
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory


@dataclass(frozen=True)
class Receipt:
    duplicate: bool
    outcome: Outcome  # STORED (to be applied) or DUPLICATE
    event_id: int | None = None


@dataclass(frozen=True)
class Checked:
    """A valid event of an authenticated tenant, not yet stored."""

    tenant: Tenant
    event: WebhookEvent
    key: str
    form: dict[str, str]

    @property
    def foreign(self) -> bool:
        """Another audience's event, or no audience connected: nothing proves it is ours."""
        return not self.tenant.audience_id or self.event.list_id != self.tenant.audience_id


class InboundService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secret_key: str,
        tenants: TenantCache,
        writer: InboxWriter,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.secret_key = secret_key
        self.tenants = tenants
        self.writer = writer

    def receive(self, tenant_id: str, secret: str, form: Mapping[str, str]) -> Receipt:
        """The whole intake, blocking (the HTTP route runs the same steps without blocking
        its event loop). NotFound, InvalidInput (ForeignList) and a failure to store
        propagate."""
        checked = self.check(self.authenticate(tenant_id, secret), form)
        if checked.foreign:
            checked = self.refuse(checked)
        return self.receipt(self.submit(checked).result())

    @staticmethod
    def receipt(event_id: int | None) -> Receipt:
        if event_id is None:
            return Receipt(True, Outcome.DUPLICATE)
        return Receipt(False, Outcome.STORED, event_id)

    def authenticate_cached(self, tenant_id: str, secret: str) -> Tenant | None:
        """The tenant if this process read it recently and the secret is right; else None,
        and `authenticate` decides (reads nothing)."""
        tenant = self.tenants.peek(tenant_id)
        if tenant is None or not self._secret_ok(tenant, secret):
            return None
        return tenant

    def authenticate(self, tenant_id: str, secret: str) -> Tenant:
        """The same NotFound for an unknown tenant and a wrong secret, decided on a fresh read
        of the tenant unless the cached one says yes."""
        tenant = self.authenticate_cached(tenant_id, secret)
        if tenant is not None:
            return tenant
        if not _plausible(tenant_id) or not _plausible(secret):
            raise _not_found()  # nothing a database should be asked about
        tenant = self.tenants.load(tenant_id)
        if not self._secret_ok(tenant, secret) or tenant is None:
            raise _not_found()
        return tenant

    def _secret_ok(self, tenant: Tenant | None, secret: str) -> bool:
        candidates = _candidates(
            self.secret_key,
            tenant.tenant_id if tenant else "",
            tenant.webhook_salt if tenant else "",
            tenant.webhook_salt_previous if tenant else "",
        )
        # compare_digest on equal-length digests, against two candidates whatever happens, so
        # timing says nothing about the secret, the tenant, or a move in progress.
        given = hashlib.sha256(secret.encode()).digest()
        matches = [hmac.compare_digest(given, digest) and bool(c) for c, digest in candidates]
        return tenant is not None and any(matches)

    @staticmethod
    def check(tenant: Tenant, form: Mapping[str, str]) -> Checked:
        """InvalidInput for an event MailChimp does not send (reads nothing)."""
        return Checked(tenant, parse_event(form), idempotency_key(form), dict(form))

    def refuse(self, checked: Checked) -> Checked:
        """For a `foreign` event: the tenant is read again (an audience connected a moment
        ago counts); still foreign, the event is stored as handled with one `webhook.refused`
        entry (MailChimp's retries of it are not logged again) and ForeignList is raised."""
        tenant = self.tenants.load(checked.tenant.tenant_id)
        if tenant is None:
            raise _not_found()
        checked = replace(checked, tenant=tenant)
        if not checked.foreign:
            return checked
        now = self.clock.now()
        with self.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            event_id = scope.inbox.add(checked.key, now, checked.form)
            if event_id is not None:
                scope.inbox.mark_applied(event_id, now, Outcome.REFUSED)
                record(scope, now, ActivityKind.WEBHOOK_REFUSED, **refusal(tenant, checked.event))
            uow.commit()
        raise ForeignList(
            "this event is not for the connected audience", code="webhook.foreign_audience"
        )

    def submit(self, checked: Checked) -> Future[int | None]:
        """Hands the event to the inbox writer: its id once committed, None for a duplicate."""
        return self.writer.submit(checked.tenant.tenant_id, checked.key, checked.form)


@functools.lru_cache(maxsize=4096)
def _candidates(
    secret_key: str, tenant_id: str, salt: str, previous: str
) -> tuple[tuple[bool, bytes], ...]:
    """The two secrets a tenant accepts (empty when it has fewer), as (any, sha256) pairs:
    derived once per salt, not at every request."""
    tenant = Tenant(tenant_id, "", "UTC", webhook_salt=salt, webhook_salt_previous=previous)
    try:
        accepted = webhook_address.accepted_webhook_secrets(secret_key, tenant) if tenant_id else []
    except ConfigurationError:
        accepted = []  # no key: no webhook can have been installed
    return tuple((bool(c), hashlib.sha256(c.encode()).digest()) for c in [*accepted, "", ""][:2])


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _plausible(path_part: str) -> bool:
    """A tenant id or a secret from the URL that could be one (no NUL, which PostgreSQL
    refuses outright, no control character, not absurdly long)."""
    return 0 < len(path_part) <= 256 and not _UNPRINTABLE.search(path_part)


def _not_found() -> NotFound:
    """The one answer for an unknown tenant and a wrong secret alike."""
    return NotFound("not found", code="webhook.not_found")
