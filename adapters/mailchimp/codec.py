"""MailChimp JSON <-> the port's values (field names: docs/mailchimp-api.md §3, §4.3, §5.1, §6.1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from calendarspots_mailchimp.adapters.mailchimp.problems import batch_member_error, unexpected
from calendarspots_mailchimp.core.model import MemberStatus, MergeField
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceSummary,
    BatchResult,
    MailChimpError,
    MemberError,
    MemberState,
    MemberWrite,
    Webhook,
    WebhookSpec,
)

WEBHOOK_EVENTS = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
WEBHOOK_SOURCES = ("user", "admin", "api")


def _unexpected(what: str) -> MailChimpError:
    return unexpected(what)


def audience(item: dict[str, Any]) -> AudienceSummary:
    stats = item.get("stats")
    count = stats.get("member_count", 0) if isinstance(stats, dict) else 0
    return AudienceSummary(str(item["id"]), str(item["name"]), int(count or 0))


def merge_field(item: dict[str, Any]) -> MergeField:
    merge_id = item.get("merge_id")
    return MergeField(
        tag=str(item["tag"]),
        name=str(item.get("name", "")),
        type=str(item.get("type", "")),
        merge_id=int(merge_id) if merge_id is not None else None,
    )


def merge_field_body(field: MergeField) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": field.name,
        "type": field.type,
        "tag": field.tag,
        "required": False,
        "public": False,
    }
    if field.type == "birthday":
        # MailChimp takes birthdays as MM/DD whatever the display format (§3).
        body["options"] = {"date_format": "MM/DD"}
    return body


def status(raw: object) -> MemberStatus:
    try:
        return MemberStatus(str(raw))
    except ValueError:
        raise _unexpected(f"unknown member status {raw!r}") from None


def timestamp(raw: object) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC; a naive datetime is taken to be UTC already."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")


def member(item: dict[str, Any]) -> MemberState:
    raw_merges = item.get("merge_fields")
    merges: dict[str, str] = {}
    if isinstance(raw_merges, dict):
        # Address merge values are objects (§3); this port carries text values only.
        merges = {
            str(tag): str(value)
            for tag, value in raw_merges.items()
            if isinstance(value, str | int | float)
        }
    return MemberState(
        email=str(item["email_address"]),
        status=status(item.get("status")),
        last_changed=timestamp(item.get("last_changed")),
        merge_fields=merges,
    )


def batch_body(members: Sequence[MemberWrite]) -> dict[str, Any]:
    return {
        "members": [
            {
                "email_address": m.email,
                "status": str(m.status),
                "merge_fields": dict(m.merge_fields),
            }
            for m in members
        ],
        "update_existing": True,
    }


def batch_result(members: Sequence[MemberWrite], body: dict[str, Any]) -> BatchResult:
    """Results keyed back to the caller's spelling of each address (MailChimp may lowercase)."""
    ours = {m.email.lower(): m.email for m in members}
    seen: set[str] = set()
    written: list[datetime] = []

    def emails(key: str) -> tuple[str, ...]:
        found: list[str] = []
        for item in body.get(key) or ():
            if isinstance(item, dict) and item.get("email_address"):
                lowered = str(item["email_address"]).lower()
                seen.add(lowered)
                found.append(ours.get(lowered, str(item["email_address"])))
                # ASSUMPTION (docs/mailchimp-api.md §5.1): new_members and updated_members
                # are member objects, `last_changed` included.
                moment = timestamp(item.get("last_changed"))
                if moment is not None:
                    written.append(moment)
        return tuple(found)

    created = emails("new_members")
    updated = emails("updated_members")
    errors: list[MemberError] = []
    for item in body.get("errors") or ():
        if isinstance(item, dict):
            error = batch_member_error(item)
            lowered = error.email.lower()
            seen.add(lowered)
            errors.append(
                MemberError(ours.get(lowered, error.email), error.kind, error.message, error.field)
            )
    # ASSUMPTION (not settled by docs/mailchimp-api.md): whether MailChimp lists an existing member whose
    # data did not change under `updated_members`. The call succeeded and did not refuse it,
    # so such a member is taken as up to date rather than failed: otherwise every night
    # would report false failures against a service that leaves unchanged members out.
    untouched = tuple(email for lowered, email in ours.items() if lowered not in seen)
    return BatchResult(created, updated, tuple(errors), untouched, max(written, default=None))


def webhook_body(spec: WebhookSpec) -> dict[str, Any]:
    return {
        "url": spec.url,
        "events": {name: name in spec.events for name in WEBHOOK_EVENTS},
        "sources": {name: name in spec.sources for name in WEBHOOK_SOURCES},
    }


def webhook(item: dict[str, Any]) -> Webhook:
    def true_keys(key: str) -> frozenset[str]:
        flags = item.get(key)
        if not isinstance(flags, dict):
            return frozenset()
        return frozenset(str(name) for name, on in flags.items() if on is True)

    return Webhook(
        str(item["id"]), str(item.get("url", "")), true_keys("events"), true_keys("sources")
    )
