"""Webhook payloads exactly as MailChimp posts them (docs/mailchimp-api.md §6.3, §9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import Member, SimList

__all__ = [
    "Pairs",
    "cleaned_payload",
    "fired_at",
    "member_payload",
    "upemail_payload",
]

Pairs = list[tuple[str, str]]


def fired_at(moment: datetime) -> str:
    # "YYYY-MM-DD HH:MM:SS" (docs/mailchimp-api.md §6.3); ASSUMPTION: UTC.
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _merge_pairs(sim_list: SimList, member: Member) -> Pairs:
    pairs: Pairs = [("data[merges][EMAIL]", member.email)]
    for merge_field in sim_list.merge_fields.values():
        value: Any = member.merges.get(merge_field.tag, "")
        key = f"data[merges][{merge_field.tag}]"
        if isinstance(value, dict):
            # Address merges arrive nested (docs/mailchimp-api.md §9).
            for part in ("addr1", "addr2", "city", "state", "zip", "country"):
                pairs.append((f"{key}[{part}]", str(value.get(part, ""))))
        else:
            pairs.append((key, "" if value is None else str(value)))
    return pairs


def member_payload(
    event: str, moment: datetime, sim_list: SimList, member: Member, extra: Pairs | None = None
) -> Pairs:
    """subscribe / unsubscribe / profile: member data with merges."""
    pairs: Pairs = [("type", event), ("fired_at", fired_at(moment))]
    pairs.extend(extra or [])
    pairs.extend(
        [
            ("data[id]", member.hash),
            ("data[email]", member.email),
            ("data[email_type]", member.email_type),
            ("data[list_id]", sim_list.list_id),
        ]
    )
    pairs.extend(_merge_pairs(sim_list, member))
    pairs.append(("data[ip_opt]", member.ip_opt))
    pairs.append(("data[web_id]", str(member.web_id)))
    return pairs


def upemail_payload(moment: datetime, list_id: str, old: str, new: str, new_id: str) -> Pairs:
    return [
        ("type", "upemail"),
        ("fired_at", fired_at(moment)),
        ("data[list_id]", list_id),
        ("data[new_id]", new_id),
        ("data[new_email]", new),
        ("data[old_email]", old),
    ]


def cleaned_payload(
    moment: datetime, list_id: str, email: str, reason: str, campaign_id: str
) -> Pairs:
    return [
        ("type", "cleaned"),
        ("fired_at", fired_at(moment)),
        ("data[list_id]", list_id),
        ("data[campaign_id]", campaign_id),
        ("data[reason]", reason),
        ("data[email]", email),
    ]
