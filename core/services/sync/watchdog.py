"""R5: every sync checks the audience's webhook and puts it right, saying what it did."""

from __future__ import annotations

from dataclasses import replace

from calendarspots_mailchimp.core.model import ActivityKind, Tenant
from calendarspots_mailchimp.core.services import audience as contract
from calendarspots_mailchimp.core.services.deps import Deps, Journal
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceNotFound,
    MailChimpAccount,
    MailChimpError,
    TokenRevoked,
)


def watch_webhook(
    deps: Deps, tenant: Tenant, account: MailChimpAccount, audience_id: str, journal: Journal
) -> str:
    """Returns a problem message when the webhook could not be put right, else ''."""
    current = tenant
    legacy = current.webhook_salt.startswith(contract.LEGACY_SALT_PREFIX)
    moving = legacy or bool(current.webhook_salt_previous)  # a move this sync finishes
    if not current.webhook_salt or legacy:
        # A new address: stored before the webhook is created, since MailChimp checks the URL
        # with a GET while creating it (API-NOTES §6.2). The old one (a secret stored by
        # schema 0001) stays accepted until MailChimp is known to call the new one.
        current = replace(
            current,
            webhook_salt=contract.new_webhook_salt(),
            webhook_salt_previous=current.webhook_salt if legacy else "",
        )
    # Before the salt is stored: a missing secret key fails here, with nothing changed.
    spec = contract.webhook_spec(deps.settings.public_url, deps.settings.secret_key, current)
    if current is not tenant:
        _save_salts(deps, tenant, current.webhook_salt, current.webhook_salt_previous)
    try:
        outcome = contract.ensure_webhook(
            account, audience_id, spec, deps.settings.public_url, tenant.webhook_id
        )
    except (TokenRevoked, AudienceNotFound):
        raise
    except MailChimpError as exc:
        return _webhook_failed(deps, tenant, journal, exc)
    with deps.uow() as uow:
        scope = uow.scope(tenant.tenant_id)
        stored = uow.tenants.get(tenant.tenant_id) or current
        uow.tenants.save(
            replace(
                stored,
                webhook_id=outcome.webhook.webhook_id,
                webhook_salt=current.webhook_salt,
                webhook_salt_previous="",  # MailChimp calls the new address now
                audience_id=audience_id,
            )
        )
        if outcome.action == "installed":
            journal.record(
                scope,
                ActivityKind.WEBHOOK_INSTALLED,
                "The webhook was added to your MailChimp audience. Please do not "
                "delete or edit it.",
                webhook_id=outcome.webhook.webhook_id,
            )
        elif outcome.action == "repaired" and moving and outcome.what == ("URL changed",):
            journal.record(
                scope,
                ActivityKind.WEBHOOK_REPAIRED,
                "The MailChimp webhook was given a new address: its secret is no longer "
                "stored in the database. Nothing to do.",
                what=list(outcome.what),
                webhook_id=outcome.webhook.webhook_id,
            )
        elif outcome.action == "repaired":
            journal.record(
                scope,
                ActivityKind.WEBHOOK_REPAIRED,
                "The MailChimp webhook was altered in MailChimp "
                f"({', '.join(outcome.what) or 'changed'}); it was restored. Please do not "
                "delete or edit it (Audience → Settings → Webhooks).",
                what=list(outcome.what),
                webhook_id=outcome.webhook.webhook_id,
            )
        uow.commit()
    journal.published()
    tenant.webhook_id = outcome.webhook.webhook_id
    tenant.webhook_salt = current.webhook_salt
    tenant.webhook_salt_previous = ""
    tenant.audience_id = audience_id
    return ""


def _save_salts(deps: Deps, tenant: Tenant, salt: str, previous: str) -> None:
    with deps.uow() as uow:
        stored = uow.tenants.get(tenant.tenant_id) or tenant
        uow.tenants.save(replace(stored, webhook_salt=salt, webhook_salt_previous=previous))
        uow.commit()
    tenant.webhook_salt, tenant.webhook_salt_previous = salt, previous


def _webhook_failed(deps: Deps, tenant: Tenant, journal: Journal, exc: MailChimpError) -> str:
    # The contacts still go out; the webhook is tried again at the next sync.
    message = (
        f"The webhook could not be installed in MailChimp ({exc.detail or exc.title}). "
        "MailChimp must be able to reach "
        f"{deps.settings.public_url}: check that the plugin's web server is running. "
        "It will be tried again at the next sync."
    )
    with deps.uow() as uow:
        journal.record(uow.scope(tenant.tenant_id), ActivityKind.WEBHOOK_FAILED, message)
        uow.commit()
    journal.published()
    return message


def preview_webhook(deps: Deps, tenant: Tenant, account: MailChimpAccount, audience_id: str) -> str:
    """A dry run's view of R5: what the watchdog would do, without doing it ('' if nothing)."""
    if not tenant.webhook_salt:
        return "the webhook would be installed"
    if tenant.webhook_salt.startswith(contract.LEGACY_SALT_PREFIX):
        return "the webhook would be given a new address (its secret leaves the database)"
    spec = contract.webhook_spec(deps.settings.public_url, deps.settings.secret_key, tenant)
    prefix = f"{deps.settings.public_url.rstrip('/')}{contract.WEBHOOK_PATH}/{tenant.tenant_id}/"
    hooks = account.webhooks(audience_id)
    ours = [h for h in hooks if h.webhook_id == tenant.webhook_id or h.url.startswith(prefix)]
    if len(ours) == 1 and ours[0].matches(spec):
        return ""
    if not ours:
        return "the webhook is missing: it would be put back"
    return "the webhook was edited or duplicated: it would be repaired"
