"""What every use case needs from outside, bundled once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from calendarspots_mailchimp.core.errors import NotConnected, NotFound
from calendarspots_mailchimp.core.model import ActivityEntry, ActivityKind, ConnectionState, Tenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.ports.client_directory import ClientDirectory
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.mailchimp import MailChimpAccount, MailChimpConnector
from calendarspots_mailchimp.ports.repositories import ClientStore, TenantScope, UnitOfWorkFactory
from calendarspots_mailchimp.ports.security import SecretBox


def _ignore(entry: ActivityEntry) -> None:
    return None


@dataclass
class Deps:
    settings: Settings
    uow: UnitOfWorkFactory
    directory: ClientDirectory
    mailchimp: MailChimpConnector
    box: Callable[[], SecretBox]
    clock: Clock
    # The real time where it must not follow a pretended `clock` (`nightly --now` pretends an
    # instant for the schedule): activity entries are stamped, and sync leases expire, in
    # real time. None: `clock` is the real time.
    real_clock: Clock | None = None
    notify: Callable[[ActivityEntry], None] = _ignore
    client_store: ClientStore | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def real_now(deps: Deps) -> datetime:
    return (deps.real_clock or deps.clock).now()


class Journal:
    """Collects activity entries written in a unit of work and hands them to the host once
    the transaction has committed (an entry the host sees is always a stored one)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.pending: list[ActivityEntry] = []

    def record(
        self,
        scope: TenantScope,
        kind: ActivityKind,
        message: str,
        **details: Any,
    ) -> ActivityEntry:
        entry = scope.activity.add(
            ActivityEntry(
                tenant_id=scope.tenant_id,
                at=real_now(self.deps),
                kind=kind,
                message=message,
                details=details,
            )
        )
        self.pending.append(entry)
        return entry

    def published(self) -> None:
        """Call after commit."""
        entries, self.pending = self.pending, []
        for entry in entries:
            self.deps.notify(entry)

    def discard(self) -> None:
        self.pending = []


def record_now(
    deps: Deps, tenant_id: str, kind: ActivityKind, message: str, **details: Any
) -> None:
    """Records one entry in its own transaction."""
    journal = Journal(deps)
    with deps.uow() as uow:
        journal.record(uow.scope(tenant_id), kind, message, **details)
        uow.commit()
    journal.published()


def get_tenant(deps: Deps, tenant_id: str) -> Tenant:
    with deps.uow() as uow:
        tenant = uow.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"no tenant {tenant_id!r}")
    return tenant


def open_account(deps: Deps, tenant: Tenant) -> MailChimpAccount:
    """The tenant's MailChimp account, with its decrypted token."""
    if tenant.state == ConnectionState.NEEDS_REAUTHORIZATION:
        raise NotConnected(
            f"tenant {tenant.tenant_id!r} needs re-authorization: MailChimp refused its token; "
            "the owner must click Authorize again (Settings → Advanced → Newsletters)"
        )
    with deps.uow() as uow:
        ciphertext = uow.scope(tenant.tenant_id).token.get()
    if ciphertext is None or not tenant.api_endpoint:
        raise NotConnected(
            f"tenant {tenant.tenant_id!r} is not connected to MailChimp: run "
            f"`cs-mailchimp connect {tenant.tenant_id}` and have the owner authorize"
        )
    token = deps.box().decrypt(ciphertext)
    return deps.mailchimp.account(tenant.api_endpoint, token, tenant.account_id)
