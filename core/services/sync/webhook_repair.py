"""R5 against MailChimp: exactly one correct webhook. Ours are recognised by id or by the
plugin's URL path on this public URL; an edited one is put back, duplicates are deleted."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from calendarspots_mailchimp.core.services.webhook_address import WEBHOOK_PATH
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceNotFound,
    MailChimpAccount,
    MailChimpError,
    TokenRevoked,
    Webhook,
    WebhookSpec,
)


class Action(StrEnum):
    OK = "ok"
    INSTALLED = "installed"
    REPAIRED = "repaired"


@dataclass(frozen=True)
class WebhookOutcome:
    action: Action
    webhook: Webhook
    what: tuple[str, ...] = ()


def ours(hooks: list[Webhook], spec: WebhookSpec, public_url: str, known_id: str) -> list[Webhook]:
    """The audience's webhooks that are this tenant's: by id, or by URL path."""
    prefix = f"{public_url.rstrip('/')}{WEBHOOK_PATH}/"
    tenant_part = spec.url[len(prefix) :].split("/", 1)[0]
    return [
        h
        for h in hooks
        if h.webhook_id == known_id
        or (h.url.startswith(prefix) and h.url[len(prefix) :].split("/", 1)[0] == tenant_part)
    ]


def differences(hook: Webhook, spec: WebhookSpec) -> list[str]:
    what = []
    if hook.url != spec.url:
        what.append("URL changed")
    if hook.events != spec.events:
        what.append("events changed")
    if hook.sources != spec.sources:
        what.append("sources changed")
    return what


def ensure_webhook(
    account: MailChimpAccount,
    audience_id: str,
    spec: WebhookSpec,
    public_url: str,
    known_webhook_id: str = "",
) -> WebhookOutcome:
    mine = ours(account.webhooks(audience_id), spec, public_url, known_webhook_id)
    exact = [h for h in mine if h.matches(spec)]
    if exact:
        extras = [h for h in mine if h.webhook_id != exact[0].webhook_id]
        for extra in extras:
            account.delete_webhook(audience_id, extra.webhook_id)
        what = tuple("duplicate removed" for _ in extras)
        return WebhookOutcome(Action.REPAIRED if what else Action.OK, exact[0], what)
    if mine:
        return _repair(account, audience_id, spec, mine)
    created = account.create_webhook(audience_id, spec)
    if known_webhook_id:
        return WebhookOutcome(Action.REPAIRED, created, ("missing",))
    return WebhookOutcome(Action.INSTALLED, created)


def _repair(
    account: MailChimpAccount, audience_id: str, spec: WebhookSpec, mine: list[Webhook]
) -> WebhookOutcome:
    """The right webhook exists before the wrong ones go: if MailChimp refuses the new one
    (it must reach the URL), the old, edited one keeps delivering meanwhile."""
    what = differences(mine[0], spec)
    duplicated = len(mine) > 1
    same_url = next((h for h in mine if h.url == spec.url), None)
    if same_url is not None:
        # MailChimp refuses a second webhook with the same URL: put this one right.
        try:
            fixed = account.update_webhook(audience_id, same_url.webhook_id, spec)
        except (TokenRevoked, AudienceNotFound):
            raise
        except MailChimpError:
            # Not editable in place (refused, or PATCH not offered): recreate it.
            account.delete_webhook(audience_id, same_url.webhook_id)
            mine = [h for h in mine if h.webhook_id != same_url.webhook_id]
            fixed = account.create_webhook(audience_id, spec)
    else:
        fixed = account.create_webhook(audience_id, spec)
    for hook in mine:
        if hook.webhook_id != fixed.webhook_id:
            account.delete_webhook(audience_id, hook.webhook_id)
    if duplicated:
        what.append("duplicate removed")
    if not fixed.matches(spec):
        # MailChimp kept something else than asked: start again from a clean slate.
        account.delete_webhook(audience_id, fixed.webhook_id)
        fixed = account.create_webhook(audience_id, spec)
    return WebhookOutcome(Action.REPAIRED, fixed, tuple(what))
