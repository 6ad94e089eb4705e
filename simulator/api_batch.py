"""Marketing API: batch subscribe (POST /lists/{list_id}, docs/mailchimp-api.md §5.1)."""

from __future__ import annotations

from typing import Any

from .api_routes import LIST, Call, Context, RouteTable, required_field
from .errors import VALIDATION_DETAIL, invalid_resource
from .members import MemberRefused, find, write_member
from .model import WRITABLE_STATUSES

__all__ = ["MAX_BATCH", "ROUTES"]

MAX_BATCH = 500  # "Up to 500 members may be added or updated with each API call." (§5.1)
ROUTES = RouteTable()


@ROUTES.route("POST", LIST)
async def batch(ctx: Context, call: Call) -> tuple[int, Any]:
    body = call.json()
    members = body.get("members")
    if not isinstance(members, list):
        raise required_field("members")
    if len(members) > MAX_BATCH:
        # ASSUMPTION: wording; the 500 limit is in the spec (docs/mailchimp-api.md §5.1).
        raise invalid_resource(
            VALIDATION_DETAIL,
            [{"field": "members", "message": f"Must contain at most {MAX_BATCH} items."}],
        )
    for index, item in enumerate(members):
        if not isinstance(item, dict) or not isinstance(item.get("email_address"), str):
            raise required_field(f"members.item:{index}.email_address")
        if item.get("status") not in WRITABLE_STATUSES:
            raise invalid_resource(
                VALIDATION_DETAIL,
                [{
                    "field": f"members.item:{index}.status",
                    "message": "Value is not one of the allowed: " + ", ".join(WRITABLE_STATUSES),
                }],
            )  # fmt: skip
        if not isinstance(item.get("merge_fields", {}), dict):
            raise required_field(f"members.item:{index}.merge_fields")
    update_existing = bool(body.get("update_existing", False))
    skip_duplicates = call.flag("skip_duplicate_check")
    skip_merge = call.flag("skip_merge_validation")
    seen: dict[str, int] = {}
    for item in members:
        key = item["email_address"].lower()
        seen[key] = seen.get(key, 0) + 1
    created: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    done: set[str] = set()
    with ctx.store.lock:
        sim_list = ctx.list_of(call)
        for item in members:
            email: str = item["email_address"]
            key = email.lower()
            if key in done:
                continue  # skip_duplicate_check: the first appearance wins
            if seen[key] > 1 and not skip_duplicates:
                # ASSUMPTION: wording; without skip_duplicate_check duplicates are refused.
                errors.append(
                    _batch_error(email, f"{email} was found more than once in this batch.")
                )
                continue
            done.add(key)
            existing = find(sim_list, email)
            if existing is not None and existing.status != "archived" and not update_existing:
                errors.append(_batch_error(
                    email,
                    f"{email} is already a list member, do you want to update? "
                    "please provide update_existing:true in the request body",
                    "ERROR_CONTACT_EXISTS",
                ))  # fmt: skip
                continue
            try:
                member, is_new = write_member(
                    ctx.store,
                    sim_list,
                    email,
                    status=item["status"],
                    status_if_new=None,
                    merges=item.get("merge_fields", {}),
                    skip_merge_validation=skip_merge,
                )
            except MemberRefused as refused:
                errors.append(_batch_error(
                    email, refused.detail, refused.error_code, refused.field, refused.field_message
                ))  # fmt: skip
                continue
            (created if is_new else updated).append(sim_list.member_json(member))
    ctx.stats.record_member_writes(len(created) + len(updated))
    return 200, {
        "new_members": created,
        "updated_members": updated,
        "errors": errors,
        "total_created": len(created),
        "total_updated": len(updated),
        "error_count": len(errors),
        "_links": [],
    }


def _batch_error(
    email: str, message: str, code: str = "ERROR_GENERIC", field: str = "", field_message: str = ""
) -> dict[str, Any]:
    return {
        "email_address": email,
        "error": message,
        "error_code": code,
        "field": field,
        "field_message": field_message,
    }
