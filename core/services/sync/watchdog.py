"""R5: every sync checks the audience's webhook and puts it right, saying what it did."""

from __future__ import annotations

from dataclasses import dataclass, replace

from calendarspots_mailchimp.core.model import ActivityKind, Tenant
from calendarspots_mailchimp.core.services.sync.webhook_repair import (
    Action,
    WebhookOutcome,
    ensure_webhook,
)
from calendarspots_mailchimp.core.services.tenancy import record
from calendarspots_mailchimp.core.services.webhook_address import (
    LEGACY_SALT_PREFIX,
    WEBHOOK_PATH,
    new_webhook_salt,
    webhook_spec,
)
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceNotFound,
    MailChimpAccount,
    MailChimpError,
    TokenRevoked,
)
from calendarspots_mailchimp.ports.repositories import TenantScope, UnitOfWorkFactory


@dataclass(frozen=True)
class WebhookSite:
    """Where MailChimp calls us, and the key each tenant's secret is derived from."""

    public_url: str
    secret_key: str


@dataclass(frozen=True)
class Watch:
    uow: UnitOfWorkFactory
    clock: Clock
    site: WebhookSite


def with_address(tenant: Tenant) -> Tenant:
    """The tenant with a webhook address to install: a new salt when it has none, or only a
    secret stored by schema 0001 (that old one stays accepted until MailChimp is known to
    call the new one)."""
    legacy = tenant.webhook_salt.startswith(LEGACY_SALT_PREFIX)
    if tenant.webhook_salt and not legacy:
        return tenant
    return replace(
        tenant,
        webhook_salt=new_webhook_salt(),
        webhook_salt_previous=tenant.webhook_salt if legacy else "",
    )


def watch_webhook(
    watch: Watch, tenant: Tenant, account: MailChimpAccount, audience_id: str
) -> tuple[Tenant, str]:
    """The tenant as the webhook now stands, and a problem message when the webhook could not
    be put right (else '')."""
    moving = tenant.webhook_salt.startswith(LEGACY_SALT_PREFIX) or bool(
        tenant.webhook_salt_previous
    )  # a move this sync finishes
    current = with_address(tenant)
    # Before the salt is stored: a missing secret key fails here, with nothing changed.
    spec = webhook_spec(watch.site.public_url, watch.site.secret_key, current)
    if current is not tenant:
        # Stored before the webhook is created: MailChimp checks the URL with a GET while
        # creating it (docs/mailchimp-api.md §6.2).
        _save_salts(watch.uow, current)
    try:
        outcome = ensure_webhook(
            account, audience_id, spec, watch.site.public_url, tenant.webhook_id
        )
    except (TokenRevoked, AudienceNotFound):
        raise
    except MailChimpError as exc:
        return current, _webhook_failed(watch, tenant, exc)
    current = replace(
        current,
        webhook_id=outcome.webhook.webhook_id,
        webhook_salt_previous="",  # MailChimp calls the new address now
        audience_id=audience_id,
    )
    with watch.uow() as uow:
        stored = uow.tenants.get(tenant.tenant_id) or current
        uow.tenants.save(
            replace(
                stored,
                webhook_id=current.webhook_id,
                webhook_salt=current.webhook_salt,
                webhook_salt_previous="",
                audience_id=audience_id,
            )
        )
        _tell(uow.scope(tenant.tenant_id), watch.clock, outcome, moving)
        uow.commit()
    return current, ""


def _tell(scope: TenantScope, clock: Clock, outcome: WebhookOutcome, moving: bool) -> None:
    hook_id = outcome.webhook.webhook_id
    if outcome.action == Action.INSTALLED:
        record(
            scope,
            clock.now(),
            ActivityKind.WEBHOOK_INSTALLED,
            webhook_id=hook_id,
        )
    elif outcome.action == Action.REPAIRED:
        record(
            scope,
            clock.now(),
            ActivityKind.WEBHOOK_REPAIRED,
            what=list(outcome.what),
            webhook_id=hook_id,
            # Our own move to a new address (its secret leaves the database), not an edit.
            moved=moving and outcome.what == ("URL changed",),
        )


def _save_salts(uow: UnitOfWorkFactory, tenant: Tenant) -> None:
    with uow() as unit:
        stored = unit.tenants.get(tenant.tenant_id) or tenant
        unit.tenants.save(
            replace(
                stored,
                webhook_salt=tenant.webhook_salt,
                webhook_salt_previous=tenant.webhook_salt_previous,
            )
        )
        unit.commit()


def _webhook_failed(watch: Watch, tenant: Tenant, exc: MailChimpError) -> str:
    """The contacts still go out; the webhook is tried again at the next sync."""
    error = exc.detail or exc.title
    with watch.uow() as uow:
        record(
            uow.scope(tenant.tenant_id),
            watch.clock.now(),
            ActivityKind.WEBHOOK_FAILED,
            error=error,
            public_url=watch.site.public_url,
        )
        uow.commit()
    return error


def preview_webhook(
    site: WebhookSite, tenant: Tenant, account: MailChimpAccount, audience_id: str
) -> str:
    """A dry run's view of R5: what the watchdog would do (install, readdress, restore or
    repair; '' for nothing), without doing it."""
    if not tenant.webhook_salt:
        return "install"
    if tenant.webhook_salt.startswith(LEGACY_SALT_PREFIX):
        return "readdress"
    spec = webhook_spec(site.public_url, site.secret_key, tenant)
    prefix = f"{site.public_url.rstrip('/')}{WEBHOOK_PATH}/{tenant.tenant_id}/"
    hooks = account.webhooks(audience_id)
    mine = [h for h in hooks if h.webhook_id == tenant.webhook_id or h.url.startswith(prefix)]
    if len(mine) == 1 and mine[0].matches(spec):
        return ""
    if not mine:
        return "restore"
    return "repair"
