"""Email addresses: the check the plugin applies and MailChimp's member key."""

from __future__ import annotations

import hashlib
import re

# A pragmatic address check: one @, a dotted domain, no spaces. MailChimp applies stricter
# (undocumented) rules and answers "looks fake or invalid" for some addresses that pass here;
# those come back as per-member errors and are reported, never fatal.
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def normalize_email(raw: str) -> str:
    return raw.strip()


def is_valid_email(email: str) -> bool:
    return len(email) <= 254 and bool(_EMAIL_RE.match(email))


def subscriber_hash(email: str) -> str:
    """MailChimp's member key: MD5 of the lowercase address (docs/mailchimp-api.md §4.1)."""
    return hashlib.md5(email.strip().lower().encode("utf-8"), usedforsecurity=False).hexdigest()
