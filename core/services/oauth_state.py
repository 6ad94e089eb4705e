"""Signed, expiring tokens: the OAuth `state` and the operator's start link.

MailChimp requires an exact redirect_uri and tells apps to carry per-user data in `state`
(docs/mailchimp-api.md §1.2), so the tenant travels there, signed with CS_MAILCHIMP_SECRET_KEY. The start
link that `cs-mailchimp connect` prints carries a token of the same shape, signed under another
derived key, so neither can stand in for the other. Each carries a nonce so it can be spent once.
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
LINK_TTL_SECONDS = 15 * 60

_STATE = b"calendarspots-mailchimp oauth state\x00"
_INVALID = "the authorization link is invalid: start again from Authorize"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret_key: str, purpose: bytes) -> bytes:
    if not secret_key:
        raise ConfigurationError(
            "CS_MAILCHIMP_SECRET_KEY is not set: refusing to store MailChimp tokens (the key "
            "encrypts them and signs the authorization link); set it, then authorize again",
            code="secret_key.link",
        )
    return hashlib.sha256(purpose + secret_key.encode()).digest()


@dataclass(frozen=True)
class StateClaims:
    tenant_id: str
    nonce: str  # spent by its one use: a token is good once
    expires_at: datetime


def _sign(tenant_id: str, key: bytes, now: datetime, ttl: int) -> str:
    payload = {"t": tenant_id, "n": secrets.token_urlsafe(12), "e": int(now.timestamp()) + ttl}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    sig = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
    return f"{body}.{sig}"


def _verify(token: str, key: bytes, now: datetime) -> StateClaims:
    claims = _signed(token, key)
    if now > claims.expires_at:
        raise AuthorizationError(
            "the authorization link has expired: click Authorize again", code="link_expired"
        )
    return claims


def _signed(token: str, key: bytes) -> StateClaims:
    """The claims of a token signed under `key`, expired or not; AuthorizationError for
    anything else (tampered, malformed)."""
    body, _, sig = token.partition(".")
    if not body or not body.isascii() or not sig.isascii():
        raise AuthorizationError(_INVALID, code="link_invalid")
    expected = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
    if not hmac.compare_digest(sig.encode("ascii"), expected.encode("ascii")):
        raise AuthorizationError(_INVALID, code="link_invalid")
    try:
        payload = json.loads(_unb64(body))
        claims = StateClaims(
            str(payload["t"]), str(payload["n"]), datetime.fromtimestamp(int(payload["e"]), UTC)
        )
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, OSError) as exc:
        raise AuthorizationError(_INVALID, code="link_invalid") from exc
    return claims


def make_state(tenant_id: str, secret_key: str, now: datetime) -> str:
    return _sign(tenant_id, _key(secret_key, _STATE), now, STATE_TTL_SECONDS)


def read_claims(state: str, secret_key: str, now: datetime) -> StateClaims:
    """Raises AuthorizationError if tampered, malformed or expired."""
    return _verify(state, _key(secret_key, _STATE), now)


def read_state(state: str, secret_key: str, now: datetime) -> str:
    """Returns the tenant id; raises AuthorizationError if tampered, malformed or expired."""
    return read_claims(state, secret_key, now).tenant_id


def make_link_token(tenant_id: str, secret_key: str, now: datetime) -> tuple[str, datetime]:
    """The token of the start link `connect` prints, and when it expires."""
    return sign_token(START_LINK, tenant_id, secret_key, now, LINK_TTL_SECONDS)


def read_link_token(token: str, secret_key: str, now: datetime) -> StateClaims:
    """Raises AuthorizationError if tampered, malformed or expired."""
    return read_token(START_LINK, token, secret_key, now)


# Purposes of the other tokens: each is signed under a key of its own.
START_LINK = "start link"
OWNER_LINK = "owner link"  # `owner-link`: opens the owner's page once
OWNER_SESSION = "owner session"  # the owner's page cookie


def sign_token(
    purpose: str, tenant_id: str, secret_key: str, now: datetime, ttl: int
) -> tuple[str, datetime]:
    key = _key(secret_key, f"calendarspots-mailchimp {purpose}\x00".encode())
    token = _sign(tenant_id, key, now, ttl)
    return token, datetime.fromtimestamp(int(now.timestamp()) + ttl, UTC)


def read_token(purpose: str, token: str, secret_key: str, now: datetime) -> StateClaims:
    """Raises AuthorizationError if tampered, malformed, expired or signed for another use."""
    return _verify(token, _key(secret_key, f"calendarspots-mailchimp {purpose}\x00".encode()), now)


def signed_claims(purpose: str, token: str, secret_key: str) -> StateClaims:
    """The claims of a token we signed for `purpose`, even expired: a link whose signature
    holds was ours, so its holder may be told it expired or was used. Raises
    AuthorizationError if tampered, malformed or signed for another use."""
    return _signed(token, _key(secret_key, f"calendarspots-mailchimp {purpose}\x00".encode()))
