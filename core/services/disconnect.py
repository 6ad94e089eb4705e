"""Disconnecting (the owner's choice): the plugin's webhook leaves the audience, the token is
forgotten, the clients stay; authorizing again connects the tenant as before."""

from __future__ import annotations

from dataclasses import dataclass, replace

from calendarspots_mailchimp.core.errors import NotConnected
from calendarspots_mailchimp.core.model import ActivityKind, ConnectionState, Tenant
from calendarspots_mailchimp.core.services.sync.watchdog import WebhookSite
from calendarspots_mailchimp.core.services.tenancy import Accounts, load_tenant, record
from calendarspots_mailchimp.core.services.webhook_address import WEBHOOK_PATH
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.mailchimp import MailChimpError, TokenRevoked
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory


@dataclass(frozen=True)
class Disconnected:
    tenant_id: str
    webhooks_removed: int
    error: str = ""  # MailChimp's words when the webhook could not be removed

    def as_json(self) -> dict[str, object]:
        return {
            "tenant": self.tenant_id,
            "state": str(ConnectionState.DISCONNECTED),
            "webhooks_removed": self.webhooks_removed,
            "error": self.error,
        }


class DisconnectService:
    def __init__(
        self, uow: UnitOfWorkFactory, accounts: Accounts, clock: Clock, site: WebhookSite
    ) -> None:
        self.uow = uow
        self.accounts = accounts
        self.clock = clock
        self.site = site

    def disconnect(self, tenant_id: str) -> Disconnected:
        tenant = load_tenant(self.uow, tenant_id)
        with self.uow() as uow:
            has_token = uow.scope(tenant_id).token.get() is not None
        if not has_token:
            raise NotConnected(
                f"tenant {tenant_id!r} is not connected to MailChimp",
                code="not_connected",
                facts={"tenant": tenant_id},
            )
        removed, error = self._remove_webhooks(tenant)
        with self.uow() as uow:
            scope = uow.scope(tenant_id)
            scope.token.delete()
            current = uow.tenants.get(tenant_id) or tenant
            uow.tenants.save(
                replace(current, webhook_id="").with_state(ConnectionState.DISCONNECTED)
            )
            record(
                scope,
                self.clock.now(),
                ActivityKind.AUTHORIZATION_DISCONNECTED,
                webhooks_removed=removed,
                error=error,
            )
            uow.commit()
        return Disconnected(tenant_id, removed, error)

    def _remove_webhooks(self, tenant: Tenant) -> tuple[int, str]:
        """Ours by id or by this tenant's URL path; best effort: a revoked token or an audience
        gone leaves nothing to remove, and a refusal is told, not fatal."""
        if not tenant.audience_id or tenant.state == ConnectionState.NEEDS_REAUTHORIZATION:
            return 0, ""
        prefix = f"{self.site.public_url.rstrip('/')}{WEBHOOK_PATH}/{tenant.tenant_id}/"
        account = self.accounts.open(tenant)
        removed = 0
        try:
            for hook in account.webhooks(tenant.audience_id):
                if hook.webhook_id == tenant.webhook_id or hook.url.startswith(prefix):
                    account.delete_webhook(tenant.audience_id, hook.webhook_id)
                    removed += 1
        except TokenRevoked:
            return removed, ""
        except MailChimpError as exc:
            return removed, exc.detail or exc.title
        finally:
            account.close()
        return removed, ""
