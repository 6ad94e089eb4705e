"""Marketing API: the root, ping, lists and their merge fields."""

from __future__ import annotations

from typing import Any

from .api_routes import LIST, Call, Context, RouteTable, page, required_field

__all__ = ["ROUTES"]

ROUTES = RouteTable()


@ROUTES.route("GET", "/3.0/")
async def root(ctx: Context, call: Call) -> tuple[int, Any]:
    account = call.account
    return 200, {
        "account_id": account.account_id,
        "login_id": account.user_id,
        "account_name": account.account_name,
        "email": account.login,
        "username": account.login,
        "role": "owner",
        "pricing_plan_type": "monthly",
        "total_subscribers": sum(
            lst.stats_json()["member_count"] for lst in ctx.store.lists_of(account.account_id)
        ),
        "_links": [],
    }


@ROUTES.route("GET", "/3.0/ping")
async def ping(ctx: Context, call: Call) -> tuple[int, Any]:
    return 200, {"health_status": "Everything's Chimpy!"}


@ROUTES.route("GET", "/3.0/lists")
async def get_lists(ctx: Context, call: Call) -> tuple[int, Any]:
    with ctx.store.lock:
        lists = [lst.to_json() for lst in ctx.store.lists_of(call.account.account_id)]
    return 200, {
        "lists": page(lists, call),
        "total_items": len(lists),
        "constraints": {
            "may_create": True,
            "max_instances": -1,
            "current_total_instances": len(lists),
        },
        "_links": [],
    }


@ROUTES.route("POST", "/3.0/lists")
async def post_lists(ctx: Context, call: Call) -> tuple[int, Any]:
    body = call.json()
    required: dict[str, tuple[str, ...]] = {
        "contact": ("company", "address1", "city", "state", "zip", "country"),
        "campaign_defaults": ("from_name", "from_email", "subject", "language"),
    }
    for key in ("name", "permission_reminder"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise required_field(key)
    for key, parts in required.items():
        value = body.get(key)
        if not isinstance(value, dict):
            raise required_field(key)
        for part in parts:
            if not isinstance(value.get(part), str):
                raise required_field(f"{key}.{part}")
    if not isinstance(body.get("email_type_option"), bool):
        raise required_field("email_type_option")
    sim_list = ctx.store.create_list(
        call.account.account_id,
        body["name"],
        contact=body["contact"],
        permission_reminder=body["permission_reminder"],
        campaign_defaults=body["campaign_defaults"],
        email_type_option=body["email_type_option"],
    )
    return 200, sim_list.to_json()


@ROUTES.route("GET", LIST)
async def get_list(ctx: Context, call: Call) -> tuple[int, Any]:
    with ctx.store.lock:
        return 200, ctx.list_of(call).to_json()


@ROUTES.route("PATCH", LIST)
async def patch_list(ctx: Context, call: Call) -> tuple[int, Any]:
    body = call.json()
    with ctx.store.lock:
        sim_list = ctx.list_of(call)
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"]:
                raise required_field("name")
            sim_list.name = body["name"]
        for key in ("contact", "campaign_defaults"):
            if isinstance(body.get(key), dict):
                getattr(sim_list, key).update(body[key])
        for key in ("permission_reminder", "notify_on_subscribe", "notify_on_unsubscribe"):
            if isinstance(body.get(key), str):
                setattr(sim_list, key, body[key])
        for key in ("email_type_option", "use_archive_bar", "double_optin"):
            if isinstance(body.get(key), bool):
                setattr(sim_list, key, body[key])
        return 200, sim_list.to_json()


@ROUTES.route("DELETE", LIST)
async def delete_list(ctx: Context, call: Call) -> tuple[int, Any]:
    ctx.store.delete_list(ctx.list_of(call).list_id)
    return 204, None


@ROUTES.route("GET", LIST + "/merge-fields")
async def get_merge_fields(ctx: Context, call: Call) -> tuple[int, Any]:
    with ctx.store.lock:
        sim_list = ctx.list_of(call)
        fields = [f.to_json(sim_list.list_id) for f in sim_list.merge_fields.values()]
    if "type" in call.query:
        fields = [f for f in fields if f["type"] == call.query["type"]]
    if "required" in call.query:
        fields = [f for f in fields if f["required"] == call.flag("required")]
    return 200, {
        "merge_fields": page(fields, call),
        "list_id": sim_list.list_id,
        "total_items": len(fields),
        "_links": [],
    }


@ROUTES.route("POST", LIST + "/merge-fields")
async def post_merge_field(ctx: Context, call: Call) -> tuple[int, Any]:
    body = call.json()
    sim_list = ctx.list_of(call)
    return 200, ctx.store.create_merge_field(sim_list, body).to_json(sim_list.list_id)


@ROUTES.route("GET", LIST + "/merge-fields/{merge_id}")
async def get_merge_field(ctx: Context, call: Call) -> tuple[int, Any]:
    sim_list = ctx.list_of(call)
    merge_field = ctx.store.merge_field(sim_list, call.params["merge_id"])
    return 200, merge_field.to_json(sim_list.list_id)


@ROUTES.route("PATCH", LIST + "/merge-fields/{merge_id}")
async def patch_merge_field(ctx: Context, call: Call) -> tuple[int, Any]:
    body = call.json()
    sim_list = ctx.list_of(call)
    merge_field = ctx.store.patch_merge_field(sim_list, call.params["merge_id"], body)
    return 200, merge_field.to_json(sim_list.list_id)


@ROUTES.route("DELETE", LIST + "/merge-fields/{merge_id}")
async def delete_merge_field(ctx: Context, call: Call) -> tuple[int, Any]:
    ctx.store.delete_merge_field(ctx.list_of(call), call.params["merge_id"])
    return 204, None
