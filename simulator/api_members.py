"""Marketing API: list members (read, add, upsert, update, archive, delete permanently)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .api_routes import LIST, MEMBER, Call, Context, RouteTable, page, required_field
from .errors import VALIDATION_DETAIL, ApiError, invalid_resource, not_found
from .members import MemberRefused, archive, change_email, delete_permanent, find, write_member
from .model import MEMBER_STATUSES, WRITABLE_STATUSES, SimList, subscriber_hash

__all__ = ["ROUTES"]

ROUTES = RouteTable()


def _parse_moment(name: str, raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid_resource(
            VALIDATION_DETAIL, [{"field": name, "message": "This value is not a valid datetime."}]
        ) from None
    # ASSUMPTION: a moment without offset is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _status_value(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if value not in allowed:
        raise invalid_resource(
            VALIDATION_DETAIL,
            [{"field": key, "message": f"Value is not one of the allowed: {', '.join(allowed)}"}],
        )
    return str(value)


def _merges(body: dict[str, Any]) -> dict[str, Any]:
    merges = body.get("merge_fields", {})
    if not isinstance(merges, dict):
        raise invalid_resource(
            VALIDATION_DETAIL,
            [{"field": "merge_fields", "message": "Schema describes object, not an object"}],
        )
    return merges


def _member(call: Call, sim_list: SimList) -> Any:
    member = find(sim_list, call.params["subscriber_hash"])
    if member is None:
        raise not_found()
    return member


def _write(
    ctx: Context,
    sim_list: SimList,
    email: str,
    status: str | None,
    status_if_new: str | None,
    merges: dict[str, Any],
    call: Call,
) -> Any:
    try:
        result = write_member(
            ctx.store,
            sim_list,
            email,
            status=status,
            status_if_new=status_if_new,
            merges=merges,
            skip_merge_validation=call.flag("skip_merge_validation"),
        )
    except MemberRefused as refused:
        raise refused.to_api_error() from None
    ctx.stats.record_member_writes()
    return result


@ROUTES.route("GET", LIST + "/members")
async def get_members(ctx: Context, call: Call) -> tuple[int, Any]:
    status = call.query.get("status")
    if status is not None and status not in MEMBER_STATUSES:
        raise invalid_resource(
            VALIDATION_DETAIL,
            [{"field": "status", "message": "Value is not one of the allowed: " + ", ".join(MEMBER_STATUSES)}],
        )  # fmt: skip
    since = call.query.get("since_last_changed")
    since_moment = _parse_moment("since_last_changed", since) if since else None
    unsub = call.query.get("unsubscribed_since")
    unsub_moment = _parse_moment("unsubscribed_since", unsub) if unsub else None
    with ctx.store.lock:
        sim_list = ctx.list_of(call)
        chosen = []
        for member in sim_list.members.values():
            # MailChimp shows `last_changed` to the second, and a caller can only ask from a
            # moment it was shown: "changed after" compares at that resolution (ASSUMPTION:
            # MailChimp keeps no finer time than it shows).
            changed = member.last_changed.replace(microsecond=0)
            if status is None and member.status == "archived":
                continue  # archived members only show with status=archived
            if status is not None and member.status != status:
                continue
            if since_moment is not None and changed <= since_moment:
                continue
            if unsub_moment is not None and (
                member.status != "unsubscribed" or changed <= unsub_moment
            ):
                continue
            chosen.append(member)
        rendered = [sim_list.member_json(m) for m in page(chosen, call)]
    return 200, {
        "members": rendered,
        "list_id": sim_list.list_id,
        "total_items": len(chosen),
        "_links": [],
    }


@ROUTES.route("GET", MEMBER)
async def get_member(ctx: Context, call: Call) -> tuple[int, Any]:
    with ctx.store.lock:
        sim_list = ctx.list_of(call)
        return 200, sim_list.member_json(_member(call, sim_list))


@ROUTES.route("POST", LIST + "/members")
async def post_member(ctx: Context, call: Call) -> tuple[int, Any]:
    body = call.json()
    email = body.get("email_address")
    if not isinstance(email, str) or not email:
        raise required_field("email_address")
    status = _status_value(body, "status", WRITABLE_STATUSES)
    if status is None:
        raise required_field("status")
    merges = _merges(body)
    with ctx.store.lock:
        sim_list = ctx.list_of(call)
        existing = find(sim_list, email)
        if existing is not None and existing.status != "archived":
            raise ApiError(
                400,
                "Member Exists",
                f"{email} is already a list member. Use PUT to insert or update list members.",
            )
        member = _write(ctx, sim_list, email, status, None, merges, call)[0]
        return 200, sim_list.member_json(member)


@ROUTES.route("PUT", MEMBER)
async def put_member(ctx: Context, call: Call) -> tuple[int, Any]:
    body = call.json()
    status = _status_value(body, "status", WRITABLE_STATUSES)
    status_if_new = _status_value(body, "status_if_new", WRITABLE_STATUSES)
    merges = _merges(body)
    path_key = call.params["subscriber_hash"]
    with ctx.store.lock:
        sim_list = ctx.list_of(call)
        member = find(sim_list, path_key)
        email = body.get("email_address")
        if email is not None:
            if not isinstance(email, str):
                raise required_field("email_address")
            path_hash = subscriber_hash(path_key) if "@" in path_key else path_key.lower()
            matches = subscriber_hash(email) == path_hash
            if not matches:
                # ASSUMPTION: message; the field is email_address.
                raise invalid_resource(
                    VALIDATION_DETAIL,
                    [{
                        "field": "email_address",
                        "message": "The email address does not match the subscriber hash.",
                    }],
                )  # fmt: skip
        if member is None or member.status == "archived":
            if not isinstance(email, str) or not email:
                raise required_field("email_address")
            if status_if_new is None:
                raise required_field("status_if_new")
            address = email
        else:
            address = member.email
        member = _write(ctx, sim_list, address, status, status_if_new, merges, call)[0]
        return 200, sim_list.member_json(member)


@ROUTES.route("PATCH", MEMBER)
async def patch_member(ctx: Context, call: Call) -> tuple[int, Any]:
    body = call.json()
    status = _status_value(body, "status", ("subscribed", "unsubscribed", "cleaned", "pending"))
    merges = _merges(body)
    new_email = body.get("email_address")
    if new_email is not None and not isinstance(new_email, str):
        raise required_field("email_address")
    with ctx.store.lock:
        sim_list = ctx.list_of(call)
        member = _member(call, sim_list)
        if new_email and new_email.lower() != member.email.lower():
            change_email(ctx.store, sim_list, member, new_email)
        elif new_email and new_email != member.email:
            member.email = new_email  # only the letter case changes: same hash
        if status is not None or merges:
            if member.status == "archived" and status is None:
                member.merges.update(merges)
            else:
                _write(ctx, sim_list, member.email, status, None, merges, call)
        else:
            ctx.stats.record_member_writes()
        return 200, sim_list.member_json(member)


@ROUTES.route("DELETE", MEMBER)
async def delete_member(ctx: Context, call: Call) -> tuple[int, Any]:
    with ctx.store.lock:
        sim_list = ctx.list_of(call)
        archive(ctx.store, sim_list, _member(call, sim_list))
    return 204, None


@ROUTES.route("POST", MEMBER + "/actions/delete-permanent")
async def forget_member(ctx: Context, call: Call) -> tuple[int, Any]:
    with ctx.store.lock:
        sim_list = ctx.list_of(call)
        delete_permanent(ctx.store, sim_list, _member(call, sim_list))
    return 204, None
