"""What several use cases share: reading a tenant, opening its MailChimp account, recording
activity. Each takes exactly the collaborators it needs; none is a bag of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from calendarspots_mailchimp.core.errors import NotConnected, NotFound
from calendarspots_mailchimp.core.model import ActivityEntry, ActivityKind, ConnectionState, Tenant
from calendarspots_mailchimp.core.validation import is_tenant_id, quoted
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.mailchimp import MailChimpAccount, MailChimpConnector
from calendarspots_mailchimp.ports.repositories import TenantScope, UnitOfWorkFactory
from calendarspots_mailchimp.ports.security import SecretBox


def load_tenant(uow: UnitOfWorkFactory, tenant_id: str) -> Tenant:
    if not is_tenant_id(tenant_id):
        # No tenant can have it (core/validation.py): not looked up, so no database is handed
        # a value it might refuse (NUL for PostgreSQL).
        shown = quoted(tenant_id)
        raise NotFound(f"no tenant {shown}", code="no_tenant_shown", facts={"tenant": shown})
    with uow() as unit:
        tenant = unit.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"no tenant {tenant_id!r}", code="no_tenant", facts={"tenant": tenant_id})
    return tenant


def record(scope: TenantScope, at: datetime, kind: ActivityKind, **details: Any) -> ActivityEntry:
    """Adds an entry — a kind and the facts behind it, no words — in the caller's unit of
    work; the host hears of it once that commits."""
    return scope.activity.add(
        ActivityEntry(tenant_id=scope.tenant_id, at=at, kind=kind, details=details)
    )


def record_alone(
    uow: UnitOfWorkFactory,
    clock: Clock,
    tenant_id: str,
    kind: ActivityKind,
    **details: Any,
) -> None:
    """Records one entry in a transaction of its own."""
    with uow() as unit:
        record(unit.scope(tenant_id), clock.now(), kind, **details)
        unit.commit()


class Accounts:
    """Opens a tenant's MailChimp account with its decrypted token."""

    def __init__(
        self, uow: UnitOfWorkFactory, connector: MailChimpConnector, box: SecretBox
    ) -> None:
        self.uow = uow
        self.connector = connector
        self.box = box

    def open(self, tenant: Tenant) -> MailChimpAccount:
        if tenant.state == ConnectionState.NEEDS_REAUTHORIZATION:
            raise NotConnected(
                f"tenant {tenant.tenant_id!r} needs re-authorization: MailChimp refused its "
                f"token; run `cs-mailchimp connect {tenant.tenant_id}` and send the owner the "
                "link it prints",
                code="needs_reauthorization",
                facts={"tenant": tenant.tenant_id},
            )
        with self.uow() as unit:
            ciphertext = unit.scope(tenant.tenant_id).token.get()
        if ciphertext is None or not tenant.api_endpoint:
            raise NotConnected(
                f"tenant {tenant.tenant_id!r} is not connected to MailChimp: run "
                f"`cs-mailchimp connect {tenant.tenant_id}` and have the owner authorize",
                code="not_connected_run",
                facts={"tenant": tenant.tenant_id},
            )
        return self.connector.account(
            tenant.api_endpoint, self.box.decrypt(ciphertext), tenant.account_id
        )

    def with_token(self, api_endpoint: str, token: str) -> MailChimpAccount:
        """An account reached with a token just obtained (authorization)."""
        return self.connector.account(api_endpoint, token)

    def with_ciphertext(self, api_endpoint: str, ciphertext: bytes) -> MailChimpAccount:
        return self.connector.account(api_endpoint, self.box.decrypt(ciphertext))
