"""The owner's way in, standalone: a one-use link (`cs-mailchimp owner-link`) that opens the
Newsletters page and leaves a session for that tenant only; and the CSRF token its forms carry.
Hosted, the host's `csmc_authorize_request` decides instead."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from calendarspots_mailchimp.core.errors import AuthorizationError, LinkSpent, NotFound
from calendarspots_mailchimp.core.services.oauth_state import (
    OWNER_LINK,
    OWNER_SESSION,
    StateClaims,
    read_token,
    sign_token,
    signed_claims,
)
from calendarspots_mailchimp.core.services.tenancy import load_tenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory

LINK_TTL_SECONDS = 15 * 60
SESSION_TTL_SECONDS = 8 * 60 * 60  # a working day


@dataclass(frozen=True)
class OwnerLink:
    tenant_id: str
    url: str
    expires_at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "tenant": self.tenant_id,
            "url": self.url,
            "expires_at": self.expires_at.isoformat(),
            "uses": 1,
        }


@dataclass(frozen=True)
class Session:
    tenant_id: str
    cookie: str  # the signed value the browser keeps
    expires_at: datetime


class OwnerAccess:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, settings: Settings) -> None:
        self.uow = uow
        self.clock = clock
        self.settings = settings

    def link(self, tenant_id: str) -> OwnerLink:
        load_tenant(self.uow, tenant_id)
        token, expires_at = sign_token(
            OWNER_LINK, tenant_id, self.settings.secret_key, self.clock.now(), LINK_TTL_SECONDS
        )
        query = urlencode({"owner_token": token})
        url = f"{self.settings.public_url}/tenants/{tenant_id}/newsletters?{query}"
        return OwnerLink(tenant_id, url, expires_at)

    def open_session(self, tenant_id: str, token: str) -> Session:
        """Spends a link: a session for its tenant. A forged or another tenant's link raises
        NotFound, as an unknown tenant does, and writes nothing; one we made for this tenant
        that was used already or has expired raises LinkSpent (its holder is told so)."""
        try:
            claims = signed_claims(OWNER_LINK, token, self.settings.secret_key)
        except AuthorizationError:
            claims = None
        if claims is None or claims.tenant_id != tenant_id:
            raise NotFound(
                f"no tenant {tenant_id!r}", code="no_tenant", facts={"tenant": tenant_id}
            )
        load_tenant(self.uow, tenant_id)
        now = self.clock.now()
        if now > claims.expires_at:
            raise LinkSpent("owner", used=False, minutes=LINK_TTL_SECONDS // 60)
        with self.uow() as uow:
            first = uow.oauth_states.use(f"owner:{claims.nonce}", tenant_id, claims.expires_at, now)
            uow.commit()
        if not first:
            raise LinkSpent("owner", used=True, minutes=LINK_TTL_SECONDS // 60)
        cookie, expires_at = sign_token(
            OWNER_SESSION,
            tenant_id,
            self.settings.secret_key,
            self.clock.now(),
            SESSION_TTL_SECONDS,
        )
        return Session(tenant_id, cookie, expires_at)

    def session_tenant(self, cookie: str) -> str | None:
        """The tenant a session cookie is good for, or None."""
        claims = self._claims(OWNER_SESSION, cookie) if cookie else None
        return claims.tenant_id if claims else None

    def csrf_token(self, cookie: str) -> str:
        """Bound to the session: a form from another site cannot carry it."""
        key = hashlib.sha256(
            b"calendarspots-mailchimp csrf\x00" + self.settings.secret_key.encode()
        )
        return hmac.new(key.digest(), cookie.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, cookie: str, given: str) -> bool:
        return bool(cookie and given) and hmac.compare_digest(self.csrf_token(cookie), given)

    def _claims(self, purpose: str, token: str) -> StateClaims | None:
        try:
            return read_token(purpose, token, self.settings.secret_key, self.clock.now())
        except AuthorizationError:
            return None
