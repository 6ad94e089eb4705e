"""Activity (R9): what touched a tenant's audience, as a kind and structured details."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ActivityKind(StrEnum):
    """Kinds of activity entries: part of the operator contract (stable names; add more,
    rename none)."""

    AUTHORIZATION_GRANTED = "authorization.granted"
    AUTHORIZATION_REVOKED = "authorization.revoked"
    AUTHORIZATION_FAILED = "authorization.failed"
    AUTHORIZATION_DISCONNECTED = "authorization.disconnected"
    CHECK_PASSED = "check.passed"
    CHECK_FAILED = "check.failed"
    CHECK_FIXED = "check.fixed"
    WEBHOOK_INSTALLED = "webhook.installed"
    WEBHOOK_REPAIRED = "webhook.repaired"
    WEBHOOK_REFUSED = "webhook.refused"
    WEBHOOK_FAILED = "webhook.failed"
    SYNC_SUCCEEDED = "sync.succeeded"
    SYNC_PARTIAL = "sync.partial"
    SYNC_FAILED = "sync.failed"
    SYNC_HELD = "sync.held"  # the mass-change guard stopped a push: nothing was sent
    SYNC_REQUESTED = "sync.requested"  # the owner asked for a sync now: queued on the worker
    CONTACT_UNSUBSCRIBED = "contact.unsubscribed"
    CONTACT_CLEANED = "contact.cleaned"
    CONTACT_REJECTED = "contact.rejected"
    CONTACT_REMOVED = "contact.removed"
    CONTACT_EMAIL_CHANGED = "contact.email_changed"
    MAILCHIMP_SUBSCRIBE_RECORDED = "mailchimp.subscribe.recorded"
    MAILCHIMP_PROFILE_RECORDED = "mailchimp.profile.recorded"
    MAILCHIMP_UPEMAIL_RECORDED = "mailchimp.upemail.recorded"
    MAILCHIMP_CAMPAIGN_RECORDED = "mailchimp.campaign.recorded"


@dataclass(frozen=True)
class ActivityEntry:
    tenant_id: str
    at: datetime
    kind: ActivityKind | str
    # Facts only: the words are the readers' (entrypoints/messages.py). Entries written before
    # entries were pure data keep their English sentence here.
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    entry_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": str(self.kind),
            "message": self.message,
            "details": self.details,
        }
