"""The way into authorization (R3): MailChimp's authorize URL for a caller vouched for, and
the one-use start link an operator hands the owner (`cs-mailchimp connect`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from calendarspots_mailchimp.core.errors import (
    AuthorizationError,
    ConfigurationError,
    LinkSpent,
    NotFound,
)
from calendarspots_mailchimp.core.services.oauth_state import (
    LINK_TTL_SECONDS,
    START_LINK,
    make_link_token,
    make_state,
    signed_claims,
)
from calendarspots_mailchimp.core.services.tenancy import load_tenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.mailchimp import MailChimpOAuth
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory


@dataclass(frozen=True)
class StartLink:
    tenant_id: str
    url: str
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant_id,
            "authorize_url": self.url,
            "expires_at": self.expires_at.isoformat(),
            "uses": 1,
        }


class StartLinks:
    def __init__(
        self, uow: UnitOfWorkFactory, oauth: MailChimpOAuth, clock: Clock, settings: Settings
    ) -> None:
        self.uow = uow
        self.oauth = oauth
        self.clock = clock
        self.settings = settings

    def authorize_url(self, tenant_id: str) -> str:
        """MailChimp's authorize URL for the tenant, for a caller already known to manage it
        (the host's auth, the admin token, or a redeemed start link)."""
        self._ready(tenant_id)
        state = make_state(tenant_id, self.settings.secret_key, self.clock.now())
        return self.oauth.authorize_url(self.settings.redirect_uri, state)

    def make(self, tenant_id: str) -> StartLink:
        """The one-use link (15 minutes) an operator hands the owner: it opens the start route
        without any other credential."""
        self._ready(tenant_id)
        token, expires_at = make_link_token(tenant_id, self.settings.secret_key, self.clock.now())
        query = urlencode({"tenant": tenant_id, "link_token": token})
        url = f"{self.settings.public_url}/oauth/mailchimp/start?{query}"
        return StartLink(tenant_id, url, expires_at)

    def redeem(self, tenant_id: str, token: str) -> str:
        """MailChimp's authorize URL for a start link, spending it. A link that is forged or
        made for another tenant raises NotFound, exactly like an unknown tenant, and writes
        nothing; one we made for this tenant that was used already or has expired raises
        LinkSpent (its holder is told so), and writes nothing either."""
        self._ready(tenant_id)
        try:
            claims = signed_claims(START_LINK, token, self.settings.secret_key)
        except AuthorizationError as exc:
            raise NotFound(
                f"no tenant {tenant_id!r}", code="no_tenant", facts={"tenant": tenant_id}
            ) from exc
        if claims.tenant_id != tenant_id:
            raise NotFound(
                f"no tenant {tenant_id!r}", code="no_tenant", facts={"tenant": tenant_id}
            )
        now = self.clock.now()
        if now > claims.expires_at:
            raise LinkSpent("start", used=False, minutes=LINK_TTL_SECONDS // 60)
        url = self.authorize_url(tenant_id)
        with self.uow() as uow:
            first_use = uow.oauth_states.use(
                f"link:{claims.nonce}", tenant_id, claims.expires_at, now
            )
            uow.commit()
        if not first_use:
            raise LinkSpent("start", used=True, minutes=LINK_TTL_SECONDS // 60)
        return url

    def _ready(self, tenant_id: str) -> None:
        load_tenant(self.uow, tenant_id)
        if not self.settings.client_id:
            raise ConfigurationError(
                "CS_MAILCHIMP_CLIENT_ID is not set: register the platform's app with MailChimp",
                code="client_id.missing",
            )
