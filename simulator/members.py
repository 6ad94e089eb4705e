"""Member writes and reads with MailChimp's refusal rules (docs/mailchimp-api.md §4, §5.1)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import VALIDATION_DETAIL, ApiError, invalid_resource
from .events import cleaned_payload, member_payload, upemail_payload
from .model import Member, SimList, subscriber_hash
from .store import Store
from .validation import MERGE_FIELDS_INVALID, fake_or_invalid, validate_merges

__all__ = [
    "MemberRefused",
    "archive",
    "change_email",
    "delete_permanent",
    "find",
    "write_member",
]

OPTED_OUT = ("unsubscribed", "cleaned")


@dataclass
class MemberRefused(Exception):
    """One member refused: `title`/`detail` for single calls, `error_code` for batches."""

    title: str
    detail: str
    error_code: str = "ERROR_GENERIC"
    field: str = ""
    field_message: str = ""

    def to_api_error(self) -> ApiError:
        errors = [{"field": self.field, "message": self.field_message}] if self.field else None
        return ApiError(400, self.title, self.detail, errors)


def compliance(email: str) -> MemberRefused:
    # docs/mailchimp-api.md §4.4.
    return MemberRefused(
        "Member In Compliance State",
        f"{email} is in a compliance state due to unsubscribe, bounce, or compliance review "
        "and cannot be subscribed.",
    )


def looks_fake(email: str) -> MemberRefused:
    return MemberRefused(
        "Invalid Resource", f"{email} looks fake or invalid, please enter a real email address."
    )


def forgotten(email: str) -> MemberRefused:
    return MemberRefused(
        "Forgotten Email Not Subscribed",
        f"{email} was permanently deleted and cannot be re-imported. "
        "The contact must re-subscribe to get back on the list.",
    )


def find(sim_list: SimList, hash_or_email: str) -> Member | None:
    key = subscriber_hash(hash_or_email) if "@" in hash_or_email else hash_or_email.lower()
    return sim_list.members.get(key)


def _check_address(store: Store, sim_list: SimList, email: str) -> None:
    if fake_or_invalid(email, store.fake_addresses):
        raise looks_fake(email)
    if email.lower() in sim_list.forgotten:
        raise forgotten(email)


def _merge_problems(
    sim_list: SimList, merges: Mapping[str, Any], *, is_new: bool, skip: bool
) -> None:
    problems = validate_merges(sim_list, merges, is_new=is_new, skip_merge_validation=skip)
    if problems:
        field, message = problems[0]
        raise MemberRefused(
            "Invalid Resource", MERGE_FIELDS_INVALID, "ERROR_GENERIC", field, message
        )


def _known(sim_list: SimList, merges: Mapping[str, Any]) -> dict[str, Any]:
    # ASSUMPTION: unknown tags are ignored, as MailChimp does.
    return {k: v for k, v in merges.items() if sim_list.merge_field_by_tag(k) is not None}


def write_member(
    store: Store,
    sim_list: SimList,
    email: str,
    *,
    status: str | None,
    status_if_new: str | None,
    merges: Mapping[str, Any],
    skip_merge_validation: bool = False,
    source: str = "api",
    ip: str = "",
) -> tuple[Member, bool]:
    """Create or update one member; (member, created). Raises MemberRefused."""
    with store.lock:
        _check_address(store, sim_list, email)
        member = sim_list.members.get(subscriber_hash(email))
        now = store.clock()
        if member is not None and member.status != "archived":
            return _update(
                store, sim_list, member, status, merges, skip_merge_validation, source
            ), False
        new_status = status or status_if_new
        if new_status is None:
            raise MemberRefused(
                "Invalid Resource", VALIDATION_DETAIL, field="status_if_new",
                field_message="This value should not be blank.",
            )  # fmt: skip
        archived_opted_out = member is not None and member.status_before_archive in OPTED_OUT
        if archived_opted_out and new_status in ("subscribed", "pending"):
            raise compliance(email)
        _merge_problems(sim_list, merges, is_new=True, skip=skip_merge_validation)
        if member is None:
            member = Member(
                email=email,
                status=new_status,
                unique_email_id=secrets.token_hex(5),
                web_id=secrets.randbelow(900_000_000) + 100_000_000,
                last_changed=now,
                timestamp_signup="",
                ip_signup=ip,
                source="API - Generic" if source == "api" else "Hosted Signup Form",
            )
            sim_list.members[member.hash] = member
        else:
            member.status_before_archive = ""
            member.status = new_status
            member.last_changed = now
        member.merges.update(_known(sim_list, merges))
        if new_status == "subscribed":
            member.timestamp_opt = now.isoformat(timespec="seconds")
            member.ip_opt = ip
            store.emit(
                sim_list, "subscribe", source, member_payload("subscribe", now, sim_list, member)
            )
        elif new_status == "unsubscribed":
            member.unsubscribe_reason = "N/A (Unsubscribed by an admin)"
        return member, True


def _update(
    store: Store,
    sim_list: SimList,
    member: Member,
    status: str | None,
    merges: Mapping[str, Any],
    skip_merge_validation: bool,
    source: str,
) -> Member:
    if member.status == "cleaned":
        if status in ("subscribed", "pending"):
            raise compliance(member.email)
        # "Cleaned addresses ... you can't edit them" (docs/mailchimp-api.md §4.3); ASSUMPTION: wording.
        raise MemberRefused("Invalid Resource", f"{member.email} was cleaned and cannot be edited.")
    if status in ("subscribed", "pending") and member.status in OPTED_OUT:
        raise compliance(member.email)
    _merge_problems(sim_list, merges, is_new=False, skip=skip_merge_validation)
    now = store.clock()
    known = _known(sim_list, merges)
    merges_changed = any(member.merges.get(k, "") != v for k, v in known.items())
    member.merges.update(known)
    old_status = member.status
    if status is not None and status != old_status:
        member.status = status
        member.last_changed = now
        _emit_status(store, sim_list, member, old_status, source)
    if merges_changed:
        member.last_changed = now
        store.emit(sim_list, "profile", source, member_payload("profile", now, sim_list, member))
    return member


def _emit_status(store: Store, sim_list: SimList, member: Member, old: str, source: str) -> None:
    now = store.clock()
    if member.status == "subscribed":
        member.timestamp_opt = now.isoformat(timespec="seconds")
        store.emit(
            sim_list, "subscribe", source, member_payload("subscribe", now, sim_list, member)
        )
    elif member.status == "unsubscribed":
        member.unsubscribe_reason = "N/A (Unsubscribed by an admin)"
        extra = [("data[action]", "unsub"), ("data[reason]", "manual")]
        payload = member_payload("unsubscribe", now, sim_list, member, extra)
        store.emit(sim_list, "unsubscribe", source, payload)
    elif member.status == "cleaned":
        payload = cleaned_payload(now, sim_list.list_id, member.email, "hard", secrets.token_hex(5))
        store.emit(sim_list, "cleaned", source, payload)


def change_email(
    store: Store, sim_list: SimList, member: Member, new_email: str, source: str = "api"
) -> None:
    """Move `member` to `new_email`; fires upemail then profile."""
    with store.lock:
        if member.status not in ("subscribed", "pending"):
            # ASSUMPTION: opted-out members keep their address.
            raise invalid_resource(
                f"{member.email} is {member.status} and its email address cannot be changed."
            )
        try:
            _check_address(store, sim_list, new_email)
        except MemberRefused as refused:
            raise refused.to_api_error() from None
        other = sim_list.members.get(subscriber_hash(new_email))
        if other is not None and other is not member:
            raise ApiError(
                400,
                "Member Exists",
                f"{new_email} is already a list member. Use PUT to insert or update list members.",
            )
        old_email, now = member.email, store.clock()
        del sim_list.members[member.hash]
        member.email = new_email
        member.last_changed = now
        sim_list.members[member.hash] = member
        payload = upemail_payload(now, sim_list.list_id, old_email, new_email, member.hash)
        store.emit(sim_list, "upemail", source, payload)
        store.emit(sim_list, "profile", source, member_payload("profile", now, sim_list, member))


def archive(store: Store, sim_list: SimList, member: Member, source: str = "api") -> None:
    with store.lock:
        if member.status in ("cleaned", "pending", "archived"):
            # docs/mailchimp-api.md §4.3 (grouparoo fixture).
            raise ApiError(
                405,
                "Method Not Allowed",
                "This list member cannot be removed. "
                "Can not archive a contact that is bounced, pending or archived",
            )
        now = store.clock()
        extra = [("data[action]", "delete"), ("data[reason]", "manual")]
        payload = member_payload("unsubscribe", now, sim_list, member, extra)
        member.status_before_archive = member.status
        member.status = "archived"
        member.last_changed = now
        store.emit(sim_list, "unsubscribe", source, payload)


def delete_permanent(store: Store, sim_list: SimList, member: Member) -> None:
    with store.lock:
        sim_list.members.pop(member.hash, None)
        sim_list.forgotten.add(member.email.lower())
