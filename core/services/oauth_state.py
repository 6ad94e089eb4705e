"""The OAuth `state` parameter: names the tenant, signed and expiring (tamper-proof).

MailChimp requires an exact redirect_uri and tells apps to carry per-user data in `state`
(API-NOTES §1.2), so the tenant travels there, signed with CS_MAILCHIMP_SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from calendarspots_mailchimp.core.errors import AuthorizationError, ConfigurationError

STATE_TTL_SECONDS = 15 * 60


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret_key: str) -> bytes:
    if not secret_key:
        raise ConfigurationError(
            "CS_MAILCHIMP_SECRET_KEY is not set: refusing to store MailChimp tokens (the key "
            "encrypts them and signs the authorization link); set it, then authorize again"
        )
    return hashlib.sha256(b"calendarspots-mailchimp oauth state\x00" + secret_key.encode()).digest()


def make_state(tenant_id: str, secret_key: str, now: datetime, trusted: bool = False) -> str:
    """`trusted`: the link was made for someone known to manage the tenant (an operator's
    `connect`, or a request the host's auth or the admin token vouched for)."""
    payload = {
        "t": tenant_id,
        "n": secrets.token_urlsafe(12),
        "e": int(now.timestamp()) + STATE_TTL_SECONDS,
        "p": 1 if trusted else 0,
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    sig = _b64(hmac.new(_key(secret_key), body.encode("ascii"), hashlib.sha256).digest())
    return f"{body}.{sig}"


@dataclass(frozen=True)
class StateClaims:
    tenant_id: str
    trusted: bool
    nonce: str  # the callback consumes it: a state is good for one authorization
    expires_at: datetime


def read_state(state: str, secret_key: str, now: datetime) -> str:
    """Returns the tenant id; raises AuthorizationError if tampered, malformed or expired."""
    return read_claims(state, secret_key, now).tenant_id


def read_claims(state: str, secret_key: str, now: datetime) -> StateClaims:
    """Raises AuthorizationError if tampered, malformed or expired."""
    body, _, sig = state.partition(".")
    key = _key(secret_key)
    if not body.isascii() or not sig.isascii():
        raise AuthorizationError("the authorization link is invalid: start again from Authorize")
    expected = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
    if not body or not hmac.compare_digest(
        sig.encode("ascii", "replace"), expected.encode("ascii")
    ):
        raise AuthorizationError("the authorization link is invalid: start again from Authorize")
    try:
        payload = json.loads(_unb64(body))
        tenant_id = str(payload["t"])
        nonce = str(payload["n"])
        expires = int(payload["e"])
        trusted = bool(payload.get("p", 0))
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, OSError) as exc:
        raise AuthorizationError(
            "the authorization link is invalid: start again from Authorize"
        ) from exc
    if now.timestamp() > expires:
        raise AuthorizationError("the authorization link has expired: click Authorize again")
    return StateClaims(tenant_id, trusted, nonce, expires_at)
