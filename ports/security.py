"""Secrets: encryption at rest for OAuth tokens."""

from __future__ import annotations

from typing import Protocol


class SecretBox(Protocol):
    """Authenticated symmetric encryption keyed by CS_MAILCHIMP_SECRET_KEY."""

    def encrypt(self, plaintext: str) -> bytes: ...

    def decrypt(self, ciphertext: bytes) -> str:
        """Raises core.errors.ConfigurationError when the key does not open the box."""
