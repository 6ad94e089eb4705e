"""Encryption at rest for OAuth tokens: Fernet (AES-128-CBC + HMAC-SHA256), keyed by
CS_MAILCHIMP_SECRET_KEY through HKDF-SHA256."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from calendarspots_mailchimp.core.errors import ConfigurationError

HKDF_INFO = b"calendarspots-mailchimp tokens"

MISSING_KEY = "CS_MAILCHIMP_SECRET_KEY is not set: refusing to store MailChimp tokens"
WRONG_KEY = (
    "stored token cannot be decrypted with CS_MAILCHIMP_SECRET_KEY (was the key changed?): "
    "restore the previous key or have the business authorize MailChimp again"
)


def fernet_key(secret_key: str) -> bytes:
    """A Fernet key derived from the operator's secret, so any length or alphabet works and
    the same secret can serve other purposes (e.g. OAuth state) without key reuse."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        secret_key.encode("utf-8")
    )
    return base64.urlsafe_b64encode(derived)


class FernetSecretBox:
    """Implements ports.security.SecretBox."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ConfigurationError(MISSING_KEY, code="secret_key.tokens")
        self._fernet = Fernet(fernet_key(secret_key))

    def __repr__(self) -> str:
        return "FernetSecretBox(***)"

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def decrypt(self, ciphertext: bytes) -> str:
        try:
            return self._fernet.decrypt(ciphertext).decode("utf-8")
        except (InvalidToken, UnicodeDecodeError) as exc:
            raise ConfigurationError(WRONG_KEY, code="secret_key.wrong") from exc


class MissingKeySecretBox:
    """Stands in when no key is configured: commands that never touch tokens still work, and
    the first one that does fails with a message the operator can act on."""

    def encrypt(self, plaintext: str) -> bytes:
        raise ConfigurationError(MISSING_KEY, code="secret_key.tokens")

    def decrypt(self, ciphertext: bytes) -> str:
        raise ConfigurationError(MISSING_KEY, code="secret_key.tokens")
