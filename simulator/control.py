"""The control API under /_sim/: drives a running simulator from another process."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .faults import Fault

if TYPE_CHECKING:
    from .simulator import Simulator

__all__ = ["control_routes"]

Endpoint = Callable[[Request], Awaitable[Response]]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    body = json.loads(raw)
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _endpoint(action: Callable[[Request, dict[str, Any]], Any], status: int = 200) -> Endpoint:
    async def run(request: Request) -> Response:
        try:
            result = action(request, await _body(request))
        except KeyError as missing:
            return _error(404 if "unknown" in str(missing) else 400, str(missing).strip("'\""))
        except (ValueError, TypeError) as wrong:
            text = str(wrong)
            return _error(404 if text.startswith(("unknown", "no webhook")) else 400, text)
        if status == 204:
            return Response(status_code=204)
        return JSONResponse({"ok": True} if result is None else result, status_code=status)

    return run


def control_routes(sim: Simulator) -> list[Route]:
    def p(request: Request, name: str) -> str:
        return str(request.path_params[name])

    def account(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        created = sim.create_account(
            login=str(body.get("login", "demo@example.com")),
            account_name=str(body.get("account_name", "Demo account")),
        )
        return {
            "account_id": created.account_id,
            "login": created.login,
            "account_name": created.account_name,
            "token": sim.issue_token(created.account_id) if body.get("token") else None,
        }

    def new_list(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        created = sim.create_list(
            p(request, "account_id"),
            name=str(body.get("name", "calendarspots")),
            with_birthday=bool(body.get("with_birthday", True)),
        )
        return created.to_json()

    def token(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return {"access_token": sim.issue_token(p(request, "account_id"))}

    def approve(request: Request, body: dict[str, Any]) -> None:
        sim.approve_as(str(body["account_id"]))

    def revoke(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return {"revoked": sim.revoke_tokens(p(request, "account_id"))}

    def unsubscribe(request: Request, body: dict[str, Any]) -> None:
        sim.unsubscribe(
            p(request, "list_id"),
            str(body["email"]),
            reason=str(body.get("reason", "manual")),
            source=str(body.get("source", "user")),
        )

    def clean(request: Request, body: dict[str, Any]) -> None:
        sim.clean(
            p(request, "list_id"),
            str(body["email"]),
            reason=str(body.get("reason", "hard")),
            source=str(body.get("source", "admin")),
        )

    def signup(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return sim.signup(
            p(request, "list_id"),
            str(body["email"]),
            merges=dict(body.get("merges") or {}),
            source=str(body.get("source", "user")),
        )

    def confirm(request: Request, body: dict[str, Any]) -> None:
        sim.confirm(p(request, "list_id"), str(body["email"]))

    def profile(request: Request, body: dict[str, Any]) -> None:
        sim.update_profile(
            p(request, "list_id"),
            str(body["email"]),
            dict(body.get("merges") or {}),
            source=str(body.get("source", "user")),
        )

    def change_email(request: Request, body: dict[str, Any]) -> None:
        sim.change_email(
            p(request, "list_id"),
            str(body["old"]),
            str(body["new"]),
            source=str(body.get("source", "user")),
        )

    def delete_list(request: Request, body: dict[str, Any]) -> None:
        sim.delete_list(p(request, "list_id"))

    def rename(request: Request, body: dict[str, Any]) -> None:
        sim.rename_list(p(request, "list_id"), str(body["name"]))

    def delete_webhook(request: Request, body: dict[str, Any]) -> None:
        sim.delete_webhook(p(request, "list_id"), p(request, "webhook_id"))

    def edit_webhook(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return sim.edit_webhook(
            p(request, "list_id"),
            p(request, "webhook_id"),
            url=body.get("url"),
            events=body.get("events"),
            sources=body.get("sources"),
        )

    def members(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return {"members": sim.members(p(request, "list_id"))}

    def webhooks(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return {"webhooks": sim.webhooks(p(request, "list_id"))}

    def stats(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return sim.stats.snapshot()

    def reset_stats(request: Request, body: dict[str, Any]) -> None:
        sim.stats.reset()

    def add_fault(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        allowed = set(Fault.__dataclass_fields__)
        unknown = set(body) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        sim.inject_fault(Fault(**body))
        return {"pending": len(sim.faults.pending())}

    def clear_faults(request: Request, body: dict[str, Any]) -> None:
        sim.clear_faults()

    def latency(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        seconds = float(body["seconds"])
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        sim.latency = seconds
        return {"latency": seconds}

    def deliveries(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return {"deliveries": [d.to_json() for d in sim.deliveries]}

    def state(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return sim.state()

    lists = "/_sim/lists/{list_id}"
    table: list[tuple[str, str, Callable[[Request, dict[str, Any]], Any], int]] = [
        ("/_sim/accounts", "POST", account, 200),
        ("/_sim/accounts/{account_id}/lists", "POST", new_list, 200),
        ("/_sim/accounts/{account_id}/tokens", "POST", token, 200),
        ("/_sim/approve-as", "POST", approve, 200),
        ("/_sim/accounts/{account_id}/revoke", "POST", revoke, 200),
        (lists + "/unsubscribe", "POST", unsubscribe, 200),
        (lists + "/clean", "POST", clean, 200),
        (lists + "/signup", "POST", signup, 200),
        (lists + "/confirm", "POST", confirm, 200),
        (lists + "/profile", "POST", profile, 200),
        (lists + "/change-email", "POST", change_email, 200),
        (lists, "DELETE", delete_list, 204),
        (lists + "/rename", "POST", rename, 200),
        (lists + "/webhooks/{webhook_id}", "DELETE", delete_webhook, 204),
        (lists + "/webhooks/{webhook_id}", "PATCH", edit_webhook, 200),
        (lists + "/webhooks", "GET", webhooks, 200),
        (lists + "/members", "GET", members, 200),
        ("/_sim/stats", "GET", stats, 200),
        ("/_sim/stats/reset", "POST", reset_stats, 200),
        ("/_sim/faults", "POST", add_fault, 200),
        ("/_sim/faults", "DELETE", clear_faults, 204),
        ("/_sim/latency", "POST", latency, 200),
        ("/_sim/deliveries", "GET", deliveries, 200),
        ("/_sim/state", "GET", state, 200),
    ]
    by_path: dict[str, dict[str, Endpoint]] = {}
    for path, method, action, status in table:
        by_path.setdefault(path, {})[method] = _endpoint(action, status)

    def dispatcher(endpoints: dict[str, Endpoint]) -> Endpoint:
        async def dispatch(request: Request) -> Response:
            return await endpoints[request.method](request)

        return dispatch

    return [
        Route(path, dispatcher(endpoints), methods=list(endpoints))
        for path, endpoints in by_path.items()
    ]
