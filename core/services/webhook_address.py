"""The webhook's address (R5): where MailChimp calls us, with a per-tenant secret that is
derived, never stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from calendarspots_mailchimp.core.errors import ConfigurationError
from calendarspots_mailchimp.core.model import Tenant
from calendarspots_mailchimp.ports.mailchimp import WebhookSpec

# R5: the events the plugin listens to, and only user/admin sources so its own API writes
# never echo back (docs/mailchimp-api.md §6.1).
WEBHOOK_EVENTS = frozenset({"unsubscribe", "cleaned", "subscribe", "profile", "upemail"})
WEBHOOK_SOURCES = frozenset({"user", "admin"})
WEBHOOK_PATH = "/webhooks/mailchimp"


# A salt written by schema 0001, which stored the webhook secret itself: still accepted, and
# replaced by a derived secret at the tenant's next sync.
LEGACY_SALT_PREFIX = "plain:"


def new_webhook_salt() -> str:
    """128 random bits. Only the salt is stored; the secret is derived from it (below)."""
    return secrets.token_urlsafe(16)


def webhook_secret(secret_key: str, tenant: Tenant) -> str:
    """The secret in the tenant's webhook URL: HMAC-SHA256(CS_MAILCHIMP_SECRET_KEY, tenant id +
    stored salt), 256 bits, URL-safe. Neither the database alone nor the key alone gives it,
    and a new key gives every tenant a new URL, which the next sync installs (R5)."""
    return _derived(secret_key, tenant.tenant_id, tenant.webhook_salt)


def accepted_webhook_secrets(secret_key: str, tenant: Tenant) -> list[str]:
    """The current secret and, while the webhook moves to a new address, the previous one."""
    secrets_ = [webhook_secret(secret_key, tenant)]
    if tenant.webhook_salt_previous:
        secrets_.append(_derived(secret_key, tenant.tenant_id, tenant.webhook_salt_previous))
    return [s for s in secrets_ if s]


def _derived(secret_key: str, tenant_id: str, salt: str) -> str:
    if not salt:
        return ""
    if salt.startswith(LEGACY_SALT_PREFIX):
        return salt[len(LEGACY_SALT_PREFIX) :]
    if not secret_key:
        raise ConfigurationError(
            "CS_MAILCHIMP_SECRET_KEY is not set: the webhook's secret is derived from it",
            code="secret_key.webhook",
        )
    key = hashlib.sha256(b"calendarspots-mailchimp webhook\x00" + secret_key.encode()).digest()
    message = f"{tenant_id}\x00{salt}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def webhook_url(public_url: str, tenant_id: str, secret: str) -> str:
    return f"{public_url.rstrip('/')}{WEBHOOK_PATH}/{tenant_id}/{secret}"


def webhook_spec(public_url: str, secret_key: str, tenant: Tenant) -> WebhookSpec:
    return WebhookSpec(
        url=webhook_url(public_url, tenant.tenant_id, webhook_secret(secret_key, tenant)),
        events=WEBHOOK_EVENTS,
        sources=WEBHOOK_SOURCES,
    )
