"""In-memory records and their JSON renderings (shapes from docs/mailchimp-api.md §2-§4, §6.1)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "EVENT_NAMES",
    "MEMBER_STATUSES",
    "SOURCE_NAMES",
    "WRITABLE_STATUSES",
    "Account",
    "Member",
    "SimList",
    "SimMergeField",
    "SimWebhook",
    "iso",
    "subscriber_hash",
]

# docs/mailchimp-api.md §4.3: writable statuses; `archived` is read-only.
WRITABLE_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
MEMBER_STATUSES = (*WRITABLE_STATUSES, "archived")
EVENT_NAMES = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
SOURCE_NAMES = ("user", "admin", "api")


def subscriber_hash(email: str) -> str:
    """MD5 of the lowercase address (docs/mailchimp-api.md §4.1)."""
    return hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


@dataclass
class Account:
    account_id: str
    login: str
    account_name: str
    user_id: str
    dc: str = "us1"


@dataclass
class SimMergeField:
    merge_id: int
    tag: str
    name: str
    type: str
    required: bool = False
    default_value: str = ""
    public: bool = True
    display_order: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    help_text: str = ""

    def to_json(self, list_id: str) -> dict[str, Any]:
        return {
            "merge_id": self.merge_id,
            "tag": self.tag,
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "default_value": self.default_value,
            "public": self.public,
            "display_order": self.display_order,
            "options": dict(self.options),
            "help_text": self.help_text,
            "list_id": list_id,
            "_links": [],
        }


@dataclass
class SimWebhook:
    webhook_id: str
    url: str
    events: dict[str, bool]
    sources: dict[str, bool]

    def to_json(self, list_id: str) -> dict[str, Any]:
        return {
            "id": self.webhook_id,
            "url": self.url,
            "events": dict(self.events),
            "sources": dict(self.sources),
            "list_id": list_id,
            "_links": [],
        }


@dataclass
class Member:
    email: str
    status: str
    unique_email_id: str
    web_id: int
    last_changed: datetime
    timestamp_signup: str = ""
    timestamp_opt: str = ""
    ip_signup: str = ""
    ip_opt: str = ""
    email_type: str = "html"
    language: str = ""
    vip: bool = False
    source: str = "API - Generic"
    unsubscribe_reason: str = ""
    merges: dict[str, Any] = field(default_factory=dict)
    # Status before archiving: an archived ex-unsubscriber stays in compliance state.
    status_before_archive: str = ""

    @property
    def hash(self) -> str:
        return subscriber_hash(self.email)


@dataclass
class SimList:
    list_id: str
    web_id: int
    account_id: str
    name: str
    contact: dict[str, Any]
    permission_reminder: str
    campaign_defaults: dict[str, Any]
    email_type_option: bool
    date_created: datetime
    use_archive_bar: bool = False
    notify_on_subscribe: str = ""
    notify_on_unsubscribe: str = ""
    visibility: str = "pub"
    double_optin: bool = False
    merge_fields: dict[int, SimMergeField] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)  # by subscriber hash
    webhooks: dict[str, SimWebhook] = field(default_factory=dict)
    forgotten: set[str] = field(default_factory=set)  # lowercase addresses
    next_merge_id: int = 1

    def merge_field_by_tag(self, tag: str) -> SimMergeField | None:
        for merge_field in self.merge_fields.values():
            if merge_field.tag == tag:
                return merge_field
        return None

    def member_json(self, member: Member) -> dict[str, Any]:
        merges: dict[str, Any] = {}
        for merge_field in self.merge_fields.values():
            merges[merge_field.tag] = member.merges.get(merge_field.tag, "")
        first = str(merges.get("FNAME", "") or "")
        last = str(merges.get("LNAME", "") or "")
        body: dict[str, Any] = {
            "id": member.hash,
            "email_address": member.email,
            "unique_email_id": member.unique_email_id,
            "contact_id": member.unique_email_id,
            "full_name": f"{first} {last}".strip(),
            "web_id": member.web_id,
            "email_type": member.email_type,
            "status": member.status,
            "merge_fields": merges,
            "interests": {},
            "stats": {"avg_open_rate": 0, "avg_click_rate": 0},
            "ip_signup": member.ip_signup,
            "timestamp_signup": member.timestamp_signup,
            "ip_opt": member.ip_opt,
            "timestamp_opt": member.timestamp_opt,
            "member_rating": 2,
            "last_changed": iso(member.last_changed),
            "language": member.language,
            "vip": member.vip,
            "email_client": "",
            "location": {
                "latitude": 0,
                "longitude": 0,
                "gmtoff": 0,
                "dstoff": 0,
                "country_code": "",
                "timezone": "",
            },
            "source": member.source,
            "tags_count": 0,
            "tags": [],
            "list_id": self.list_id,
            "_links": [],
        }
        if member.status == "unsubscribed":
            body["unsubscribe_reason"] = member.unsubscribe_reason
        return body

    def stats_json(self) -> dict[str, Any]:
        counts = dict.fromkeys(MEMBER_STATUSES, 0)
        for member in self.members.values():
            counts[member.status] += 1
        return {
            "member_count": counts["subscribed"],
            "unsubscribe_count": counts["unsubscribed"],
            "cleaned_count": counts["cleaned"],
            "member_count_since_send": counts["subscribed"],
            "unsubscribe_count_since_send": counts["unsubscribed"],
            "cleaned_count_since_send": counts["cleaned"],
            "campaign_count": 0,
            "campaign_last_sent": "",
            "merge_field_count": len(self.merge_fields),
            "avg_sub_rate": 0,
            "avg_unsub_rate": 0,
            "target_sub_rate": 0,
            "open_rate": 0,
            "click_rate": 0,
            "last_sub_date": "",
            "last_unsub_date": "",
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.list_id,
            "web_id": self.web_id,
            "name": self.name,
            "contact": dict(self.contact),
            "permission_reminder": self.permission_reminder,
            "use_archive_bar": self.use_archive_bar,
            "campaign_defaults": dict(self.campaign_defaults),
            "notify_on_subscribe": self.notify_on_subscribe,
            "notify_on_unsubscribe": self.notify_on_unsubscribe,
            "date_created": iso(self.date_created),
            "list_rating": 0,
            "email_type_option": self.email_type_option,
            "subscribe_url_short": f"http://eepurl.com/{self.list_id[:6]}",
            "subscribe_url_long": f"https://us1.list-manage.com/subscribe?id={self.list_id}",
            "beamer_address": f"us1-{self.list_id}@inbound.mailchimp.com",
            "visibility": self.visibility,
            "double_optin": self.double_optin,
            "has_welcome": False,
            "marketing_permissions": False,
            "modules": [],
            "stats": self.stats_json(),
            "_links": [],
        }
