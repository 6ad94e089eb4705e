"""What MailChimp posts to a webhook, parsed strictly (docs/mailchimp-api.md §6.3)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.validation import printable

EVENT_TYPES = frozenset({"subscribe", "unsubscribe", "profile", "upemail", "cleaned", "campaign"})
MAX_FIELD_LENGTH = 2_000
MAX_KEY_LENGTH = 200
MAX_FIELDS = 200
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit for a path; MailChimp's addresses are no longer
# NUL cannot be stored in PostgreSQL text; other C0 controls never occur in MailChimp's data.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What would break a line (or a terminal) when an activity entry is printed: refused in every
# key and in every value but a merge field's, where a form may let a person type one (an
# assumption: MailChimp documents no rule); there they are kept escaped (`\n` as 2 characters).
_BREAKING = re.compile(r"[\t\n\r\x80-\x9f\u2028\u2029]")
_MERGE_PREFIX = "data[merges]["
_EMAILS = ("email", "old_email", "new_email")
_NEEDS_EMAIL = ("subscribe", "unsubscribe", "profile", "cleaned")


class ForeignList(InvalidInput):
    """An event for an audience that is not the tenant's."""


@dataclass(frozen=True)
class WebhookEvent:
    type: str
    fired_at: str
    list_id: str
    data: dict[str, str]
    merges: dict[str, str]

    @property
    def email(self) -> str:
        return self.data.get("email", "").strip()


def _check_sizes(form: Mapping[str, str]) -> None:
    if len(form) > MAX_FIELDS:
        raise InvalidInput(
            f"too many fields ({len(form)})",
            code="webhook.fields",
            facts={"count": len(form), "most": MAX_FIELDS},
        )
    for key, value in form.items():
        shown = printable(key[:40])
        if len(key) > MAX_KEY_LENGTH or len(value) > MAX_FIELD_LENGTH:
            raise InvalidInput(
                f"field {key[:40]!r} is too long", code="webhook.field_long", facts={"field": shown}
            )
        if _CONTROL.search(key) or _CONTROL.search(value) or _BREAKING.search(key):
            raise _control(key, shown)
        if not key.startswith(_MERGE_PREFIX) and _BREAKING.search(value):
            raise _control(key, shown)


def _control(key: str, shown: str) -> InvalidInput:
    return InvalidInput(
        f"field {key[:40]!r} contains control characters",
        code="webhook.field_control",
        facts={"field": shown},
    )


def _escaped(value: str) -> str:
    return _BREAKING.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)


def parse_event(form: Mapping[str, str]) -> WebhookEvent:
    """MailChimp's bracket keys (`data[merges][FNAME]`) into a flat event; InvalidInput if the
    event is not one MailChimp sends."""
    _check_sizes(form)
    kind = form.get("type", "").strip()
    if kind not in EVENT_TYPES:
        raise InvalidInput(
            f"unknown or missing event type {kind[:40]!r}",
            code="webhook.event_type",
            facts={"type": printable(kind[:40])},
        )
    data: dict[str, str] = {}
    merges: dict[str, str] = {}
    for key, value in form.items():
        if key.startswith(_MERGE_PREFIX) and key.endswith("]"):
            merges[key[len(_MERGE_PREFIX) : -1]] = _escaped(value)  # ADDRESS][addr1 stays flat
        elif key.startswith("data[") and key.endswith("]"):
            data[key[5:-1]] = value
    list_id = data.get("list_id", "").strip()
    if not list_id:
        raise InvalidInput("data[list_id] is missing", code="webhook.no_list")
    if any(len(data.get(name, "")) > MAX_EMAIL_LENGTH for name in _EMAILS):
        raise InvalidInput(
            f"an address is longer than {MAX_EMAIL_LENGTH} characters",
            code="webhook.email_long",
            facts={"limit": MAX_EMAIL_LENGTH},
        )
    if kind in _NEEDS_EMAIL and "@" not in data.get("email", ""):
        raise InvalidInput("data[email] is missing or not an address", code="webhook.no_email")
    if kind == "upemail" and (
        "@" not in data.get("new_email", "") or "@" not in data.get("old_email", "")
    ):
        raise InvalidInput(
            "data[old_email] and data[new_email] are required for upemail",
            code="webhook.upemail",
        )
    return WebhookEvent(kind, form.get("fired_at", ""), list_id, data, merges)


def idempotency_key(form: Mapping[str, str]) -> str:
    """MailChimp retries a delivery for 75 minutes (§6.5): the same form, `fired_at`
    included, is the same event."""
    canonical = "\x1e".join(f"{k}\x1f{v}" for k, v in sorted(form.items()))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def addresses(events: Iterable[WebhookEvent | None]) -> set[str]:
    """The lowercase addresses the events name (an upemail's old one too)."""
    found: set[str] = set()
    for event in events:
        if event is not None:
            found.update(
                a.strip().lower()
                for a in (event.email, event.data.get("old_email", ""))
                if a.strip()
            )
    return found


def parse_or_none(payload: dict[str, str]) -> WebhookEvent | None:
    try:
        return parse_event(payload)
    except InvalidInput:
        return None
