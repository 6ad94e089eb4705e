"""One connection gate per MailChimp account, shared by every account object in the process.

MailChimp allows 10 simultaneous connections (docs/mailchimp-api.md §7.1). ASSUMPTION: whether the limit is
per token, per app or per account is unconfirmed (§7.1); the widest reading is the safe one, so
every token of one account (its MailChimp account_id, when known) shares one gate. Before the
account id is known (during authorization), the token stands for the account.
"""

from __future__ import annotations

import hashlib
import threading
import weakref

_lock = threading.Lock()
# Weak values: a gate lives exactly as long as some account object still uses it.
_gates: weakref.WeakValueDictionary[str, threading.BoundedSemaphore] = weakref.WeakValueDictionary()


def gate_key(api_endpoint: str, token: str, account_id: str = "") -> str:
    """A digest, so the registry never holds the token itself."""
    who = f"account\x00{account_id}" if account_id else f"token\x00{token}"
    raw = f"{api_endpoint.rstrip('/').lower()}\x00{who}".encode()
    return hashlib.sha256(raw).hexdigest()


def gate_for(
    api_endpoint: str, token: str, limit: int, account_id: str = ""
) -> threading.BoundedSemaphore:
    """The account's gate; the first caller's limit wins for as long as the gate lives."""
    key = gate_key(api_endpoint, token, account_id)
    with _lock:
        gate = _gates.get(key)
        if gate is None:
            gate = threading.BoundedSemaphore(limit)
            _gates[key] = gate
        return gate
