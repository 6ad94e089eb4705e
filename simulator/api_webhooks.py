"""Marketing API: list webhooks (docs/mailchimp-api.md §6)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from .api_routes import LIST, Call, Context, RouteTable, page
from .errors import VALIDATION_DETAIL, invalid_resource

__all__ = ["ROUTES"]

ROUTES = RouteTable()


async def _validated(ctx: Context, url: str) -> None:
    if not await run_in_threadpool(ctx.validate_url, url):
        # docs/mailchimp-api.md §6.2: the URL must answer the validator's GET with 2xx.
        raise invalid_resource(
            VALIDATION_DETAIL,
            [{
                "field": "url",
                "message": "The URL did not pass validation: we could not validate it "
                "(no 2xx answer to a GET within 10 seconds).",
            }],
        )  # fmt: skip


@ROUTES.route("GET", LIST + "/webhooks")
async def get_webhooks(ctx: Context, call: Call) -> tuple[int, Any]:
    with ctx.store.lock:
        sim_list = ctx.list_of(call)
        hooks = [w.to_json(sim_list.list_id) for w in sim_list.webhooks.values()]
    return 200, {
        "webhooks": page(hooks, call),
        "list_id": sim_list.list_id,
        "total_items": len(hooks),
        "_links": [],
    }


@ROUTES.route("POST", LIST + "/webhooks")
async def post_webhook(ctx: Context, call: Call) -> tuple[int, Any]:
    body = call.json()
    sim_list = ctx.list_of(call)
    ctx.store.check_webhook_body(sim_list, body, creating=True)
    await _validated(ctx, body["url"])
    with ctx.store.lock:
        ctx.store.check_webhook_body(sim_list, body, creating=True)
        return 200, ctx.store.add_webhook(sim_list, body).to_json(sim_list.list_id)


@ROUTES.route("GET", LIST + "/webhooks/{webhook_id}")
async def get_webhook(ctx: Context, call: Call) -> tuple[int, Any]:
    sim_list = ctx.list_of(call)
    return 200, ctx.store.webhook(sim_list, call.params["webhook_id"]).to_json(sim_list.list_id)


@ROUTES.route("PATCH", LIST + "/webhooks/{webhook_id}")
async def patch_webhook(ctx: Context, call: Call) -> tuple[int, Any]:
    body = call.json()
    sim_list = ctx.list_of(call)
    webhook_id = call.params["webhook_id"]
    current = ctx.store.webhook(sim_list, webhook_id)
    ctx.store.check_webhook_body(sim_list, body, creating=False, webhook_id=webhook_id)
    if "url" in body and body["url"] != current.url:
        await _validated(ctx, body["url"])
    webhook = ctx.store.update_webhook(sim_list, webhook_id, body)
    return 200, webhook.to_json(sim_list.list_id)


@ROUTES.route("DELETE", LIST + "/webhooks/{webhook_id}")
async def delete_webhook(ctx: Context, call: Call) -> tuple[int, Any]:
    sim_list = ctx.list_of(call)
    ctx.store.webhook(sim_list, call.params["webhook_id"])
    ctx.store.delete_webhook(sim_list.list_id, call.params["webhook_id"])
    return 204, None
