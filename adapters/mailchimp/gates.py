"""One connection gate per MailChimp account, shared by every account object in the process.

MailChimp allows 10 simultaneous connections (API-NOTES §7.1). ASSUMPTION: the limit applies per
authorized account (api_endpoint + token); whether it is per token, per app or per account is
unconfirmed (§7.1), and per token is the narrowest reading that stays safe.
"""

from __future__ import annotations

import hashlib
import threading
import weakref

_lock = threading.Lock()
# Weak values: a gate lives exactly as long as some account object still uses it.
_gates: weakref.WeakValueDictionary[str, threading.BoundedSemaphore] = weakref.WeakValueDictionary()


def gate_key(api_endpoint: str, token: str) -> str:
    """A digest, so the registry never holds the token itself."""
    raw = f"{api_endpoint.rstrip('/').lower()}\x00{token}".encode()
    return hashlib.sha256(raw).hexdigest()


def gate_for(api_endpoint: str, token: str, limit: int) -> threading.BoundedSemaphore:
    """The account's gate; the first caller's limit wins for as long as the gate lives."""
    key = gate_key(api_endpoint, token)
    with _lock:
        gate = _gates.get(key)
        if gate is None:
            gate = threading.BoundedSemaphore(limit)
            _gates[key] = gate
        return gate
