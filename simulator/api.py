"""Marketing API v3 under /3.0: routing, auth, the connection cap and the JSON answers."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import VALIDATION_DETAIL, ApiError, invalid_resource, not_found, problem_response
from .faults import ConnectionLimiter
from .fields import apply_field_filters
from .members import MemberRefused, archive, change_email, delete_permanent, find, write_member
from .model import MEMBER_STATUSES, WRITABLE_STATUSES, Account, SimList, subscriber_hash
from .stats import Stats
from .store import Store

__all__ = ["API_ROUTES", "Api", "match_route"]

MAX_COUNT = 1000  # count: default 10, maximum 1000 (API-NOTES §2)
MAX_BATCH = 500  # "Up to 500 members may be added or updated with each API call." (§5.1)
LIST = "/3.0/lists/{list_id}"
MEMBER = LIST + "/members/{subscriber_hash}"


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}/?$" if template != "/3.0/" else "^/3.0/?$")


class RouteTable:
    """(method, path template) -> handler. Each route is declared once, by @route on its handler;
    the template is also the route's name in the statistics."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], tuple[re.Pattern[str], Handler]] = {}

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if (method, template) in self._routes:
                raise ValueError(f"route declared twice: {method} {template}")
            self._routes[(method, template)] = (_compile(template), handler)
            return handler

        return register

    @property
    def routes(self) -> list[tuple[str, str]]:
        return list(self._routes)

    def match(self, method: str, path: str) -> tuple[str | None, dict[str, str], bool]:
        """(template, path params, path known for another method)."""
        other_method = False
        for (route_method, template), (pattern, _handler) in self._routes.items():
            found = pattern.match(path)
            if found:
                if route_method == method:
                    return template, found.groupdict(), False
                other_method = True
        return None, {}, other_method

    def handler(self, method: str, template: str) -> Handler:
        return self._routes[(method, template)][1]


@dataclass
class Call:
    account: Account
    params: dict[str, str]
    query: dict[str, str]
    raw_body: bytes
    count: int = 10
    offset: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        if not self.raw_body.strip():
            return {}  # ASSUMPTION: an empty body reads as {}.
        try:
            body = json.loads(self.raw_body)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ApiError(
                400, "JSON Parse Error", "We encountered an unspecified JSON parsing error."
            )
        return body

    def flag(self, name: str) -> bool:
        return self.query.get(name, "false").lower() == "true"


Handler = Callable[["Api", Call], Awaitable[tuple[int, Any]]]
ROUTES = RouteTable()
route = ROUTES.route


def _page(items: list[Any], call: Call) -> list[Any]:
    return items[call.offset : call.offset + call.count]


def _parse_moment(name: str, raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid_resource(
            VALIDATION_DETAIL, [{"field": name, "message": "This value is not a valid datetime."}]
        ) from None
    # ASSUMPTION: a moment without offset is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _required_field(field_name: str) -> ApiError:
    return invalid_resource(
        VALIDATION_DETAIL, [{"field": field_name, "message": "This value should not be blank."}]
    )


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


class Api:
    def __init__(
        self,
        store: Store,
        stats: Stats,
        limiter: ConnectionLimiter,
        latency: Callable[[], float],
        validate_url: Callable[[str], bool],
    ) -> None:
        self.store = store
        self.stats = stats
        self.limiter = limiter
        self.latency = latency
        self.validate_url = validate_url

    # -- entry point ---------------------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        try:
            return await self._handle(request)
        except ApiError as error:
            return problem_response(error)

    def _authenticate(self, request: Request) -> Account:
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        token = ""
        if scheme.lower() in ("bearer", "oauth"):
            token = credentials.strip()
        elif scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials.strip()).decode()
            except ValueError:
                decoded = ""
            token = decoded.partition(":")[2]
        if not token:
            raise ApiError(401, "API Key Missing", "Your request did not include an API key.")
        # API keys end in "-<dc>" (API-NOTES §1.6); the simulator's tokens may carry one too.
        account = self.store.account_for_token(token) or self.store.account_for_token(
            token.rsplit("-", 1)[0]
        )
        if account is None:
            raise ApiError(
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            )
        return account

    async def _handle(self, request: Request) -> Response:
        account = self._authenticate(request)
        in_flight = self.limiter.acquire(account.account_id)
        if in_flight is None:
            self.stats.record_connection_refused()
            raise ApiError(
                429,
                "Too Many Requests",
                "You have exceeded the limit of 10 simultaneous connections.",
            )
        self.stats.record_concurrency(account.account_id, in_flight)
        try:
            delay = self.latency() + float(request.scope.get("state", {}).get("sim_latency", 0))
            if delay > 0:
                await asyncio.sleep(delay)
            return await self._dispatch(request, account)
        finally:
            self.limiter.release(account.account_id)

    async def _dispatch(self, request: Request, account: Account) -> Response:
        method, path = request.method, request.url.path
        template, params, other = ROUTES.match(method, path)
        if template is None:
            if other:
                raise ApiError(
                    405,
                    "Method Not Allowed",
                    "The requested method and resource are not compatible. "
                    "See the Allow header for this resource's available methods.",
                )
            raise not_found()
        query = dict(request.query_params)
        call = Call(account, params, query, await request.body())
        for name, default in (("count", 10), ("offset", 0)):
            raw = query.get(name)
            value = default
            if raw is not None:
                if not raw.isdigit():
                    raise invalid_resource(
                        VALIDATION_DETAIL, [{"field": name, "message": "Must be an integer."}]
                    )
                value = int(raw)
            setattr(call, name, value)
        if call.count > MAX_COUNT:
            # ASSUMPTION: wording; the maximum itself is in the spec (API-NOTES §2).
            raise invalid_resource(
                VALIDATION_DETAIL,
                [{"field": "count", "message": f"Must be less than or equal to {MAX_COUNT}."}],
            )
        status, body = await ROUTES.handler(method, template)(self, call)
        if status == 204:
            return Response(status_code=204)
        body = apply_field_filters(body, query.get("fields"), query.get("exclude_fields"))
        return JSONResponse(body, status_code=status)

    def _list(self, call: Call) -> SimList:
        return self.store.list_for(call.account.account_id, call.params["list_id"])

    # -- root, lists ---------------------------------------------------------------------
    @route("GET", "/3.0/")
    async def root(self, call: Call) -> tuple[int, Any]:
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
                lst.stats_json()["member_count"] for lst in self.store.lists_of(account.account_id)
            ),
            "_links": [],
        }

    @route("GET", "/3.0/ping")
    async def ping(self, call: Call) -> tuple[int, Any]:
        return 200, {"health_status": "Everything's Chimpy!"}

    @route("GET", "/3.0/lists")
    async def get_lists(self, call: Call) -> tuple[int, Any]:
        with self.store.lock:
            lists = [lst.to_json() for lst in self.store.lists_of(call.account.account_id)]
        return 200, {
            "lists": _page(lists, call),
            "total_items": len(lists),
            "constraints": {
                "may_create": True,
                "max_instances": -1,
                "current_total_instances": len(lists),
            },
            "_links": [],
        }

    @route("POST", "/3.0/lists")
    async def post_lists(self, call: Call) -> tuple[int, Any]:
        body = call.json()
        required: dict[str, tuple[str, ...]] = {
            "contact": ("company", "address1", "city", "state", "zip", "country"),
            "campaign_defaults": ("from_name", "from_email", "subject", "language"),
        }
        for key in ("name", "permission_reminder"):
            if not isinstance(body.get(key), str) or not body[key]:
                raise _required_field(key)
        for key, parts in required.items():
            value = body.get(key)
            if not isinstance(value, dict):
                raise _required_field(key)
            for part in parts:
                if not isinstance(value.get(part), str):
                    raise _required_field(f"{key}.{part}")
        if not isinstance(body.get("email_type_option"), bool):
            raise _required_field("email_type_option")
        sim_list = self.store.create_list(
            call.account.account_id,
            body["name"],
            contact=body["contact"],
            permission_reminder=body["permission_reminder"],
            campaign_defaults=body["campaign_defaults"],
            email_type_option=body["email_type_option"],
        )
        return 200, sim_list.to_json()

    @route("GET", LIST)
    async def get_list(self, call: Call) -> tuple[int, Any]:
        with self.store.lock:
            return 200, self._list(call).to_json()

    @route("PATCH", LIST)
    async def patch_list(self, call: Call) -> tuple[int, Any]:
        body = call.json()
        with self.store.lock:
            sim_list = self._list(call)
            if "name" in body:
                if not isinstance(body["name"], str) or not body["name"]:
                    raise _required_field("name")
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

    @route("DELETE", LIST)
    async def delete_list(self, call: Call) -> tuple[int, Any]:
        self.store.delete_list(self._list(call).list_id)
        return 204, None

    # -- batch subscribe -----------------------------------------------------------------
    @route("POST", LIST)
    async def batch(self, call: Call) -> tuple[int, Any]:
        body = call.json()
        members = body.get("members")
        if not isinstance(members, list):
            raise _required_field("members")
        if len(members) > MAX_BATCH:
            # ASSUMPTION: wording; the 500 limit is in the spec (API-NOTES §5.1).
            raise invalid_resource(
                VALIDATION_DETAIL,
                [{"field": "members", "message": f"Must contain at most {MAX_BATCH} items."}],
            )
        for index, item in enumerate(members):
            if not isinstance(item, dict) or not isinstance(item.get("email_address"), str):
                raise _required_field(f"members.item:{index}.email_address")
            if item.get("status") not in WRITABLE_STATUSES:
                raise invalid_resource(
                    VALIDATION_DETAIL,
                    [{
                        "field": f"members.item:{index}.status",
                        "message": "Value is not one of the allowed: " + ", ".join(WRITABLE_STATUSES),
                    }],
                )  # fmt: skip
            if not isinstance(item.get("merge_fields", {}), dict):
                raise _required_field(f"members.item:{index}.merge_fields")
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
        with self.store.lock:
            sim_list = self._list(call)
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
                        self.store,
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
        self.stats.record_member_writes(len(created) + len(updated))
        return 200, {
            "new_members": created,
            "updated_members": updated,
            "errors": errors,
            "total_created": len(created),
            "total_updated": len(updated),
            "error_count": len(errors),
            "_links": [],
        }

    # -- members -------------------------------------------------------------------------
    @route("GET", LIST + "/members")
    async def get_members(self, call: Call) -> tuple[int, Any]:
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
        with self.store.lock:
            sim_list = self._list(call)
            chosen = []
            for member in sim_list.members.values():
                if status is None and member.status == "archived":
                    continue  # archived members only show with status=archived
                if status is not None and member.status != status:
                    continue
                if since_moment is not None and member.last_changed <= since_moment:
                    continue
                if unsub_moment is not None and (
                    member.status != "unsubscribed" or member.last_changed <= unsub_moment
                ):
                    continue
                chosen.append(member)
            rendered = [sim_list.member_json(m) for m in _page(chosen, call)]
        return 200, {
            "members": rendered,
            "list_id": sim_list.list_id,
            "total_items": len(chosen),
            "_links": [],
        }

    def _member(self, call: Call, sim_list: SimList) -> Any:
        member = find(sim_list, call.params["subscriber_hash"])
        if member is None:
            raise not_found()
        return member

    @route("GET", MEMBER)
    async def get_member(self, call: Call) -> tuple[int, Any]:
        with self.store.lock:
            sim_list = self._list(call)
            return 200, sim_list.member_json(self._member(call, sim_list))

    @route("POST", LIST + "/members")
    async def post_member(self, call: Call) -> tuple[int, Any]:
        body = call.json()
        email = body.get("email_address")
        if not isinstance(email, str) or not email:
            raise _required_field("email_address")
        status = _status_value(body, "status", WRITABLE_STATUSES)
        if status is None:
            raise _required_field("status")
        merges = _merges(body)
        with self.store.lock:
            sim_list = self._list(call)
            existing = find(sim_list, email)
            if existing is not None and existing.status != "archived":
                raise ApiError(
                    400,
                    "Member Exists",
                    f"{email} is already a list member. Use PUT to insert or update list members.",
                )
            member = self._write(sim_list, email, status, None, merges, call)[0]
            return 200, sim_list.member_json(member)

    def _write(
        self,
        sim_list: SimList,
        email: str,
        status: str | None,
        status_if_new: str | None,
        merges: dict[str, Any],
        call: Call,
    ) -> Any:
        try:
            result = write_member(
                self.store,
                sim_list,
                email,
                status=status,
                status_if_new=status_if_new,
                merges=merges,
                skip_merge_validation=call.flag("skip_merge_validation"),
            )
        except MemberRefused as refused:
            raise refused.to_api_error() from None
        self.stats.record_member_writes()
        return result

    @route("PUT", MEMBER)
    async def put_member(self, call: Call) -> tuple[int, Any]:
        body = call.json()
        status = _status_value(body, "status", WRITABLE_STATUSES)
        status_if_new = _status_value(body, "status_if_new", WRITABLE_STATUSES)
        merges = _merges(body)
        path_key = call.params["subscriber_hash"]
        with self.store.lock:
            sim_list = self._list(call)
            member = find(sim_list, path_key)
            email = body.get("email_address")
            if email is not None:
                if not isinstance(email, str):
                    raise _required_field("email_address")
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
                    raise _required_field("email_address")
                if status_if_new is None:
                    raise _required_field("status_if_new")
                address = email
            else:
                address = member.email
            member = self._write(sim_list, address, status, status_if_new, merges, call)[0]
            return 200, sim_list.member_json(member)

    @route("PATCH", MEMBER)
    async def patch_member(self, call: Call) -> tuple[int, Any]:
        body = call.json()
        status = _status_value(body, "status", ("subscribed", "unsubscribed", "cleaned", "pending"))
        merges = _merges(body)
        new_email = body.get("email_address")
        if new_email is not None and not isinstance(new_email, str):
            raise _required_field("email_address")
        with self.store.lock:
            sim_list = self._list(call)
            member = self._member(call, sim_list)
            if new_email and new_email.lower() != member.email.lower():
                change_email(self.store, sim_list, member, new_email)
            elif new_email and new_email != member.email:
                member.email = new_email  # only the letter case changes: same hash
            if status is not None or merges:
                if member.status == "archived" and status is None:
                    member.merges.update(merges)
                else:
                    self._write(sim_list, member.email, status, None, merges, call)
            else:
                self.stats.record_member_writes()
            return 200, sim_list.member_json(member)

    @route("DELETE", MEMBER)
    async def delete_member(self, call: Call) -> tuple[int, Any]:
        with self.store.lock:
            sim_list = self._list(call)
            archive(self.store, sim_list, self._member(call, sim_list))
        return 204, None

    @route("POST", MEMBER + "/actions/delete-permanent")
    async def forget_member(self, call: Call) -> tuple[int, Any]:
        with self.store.lock:
            sim_list = self._list(call)
            delete_permanent(self.store, sim_list, self._member(call, sim_list))
        return 204, None

    # -- merge fields --------------------------------------------------------------------
    @route("GET", LIST + "/merge-fields")
    async def get_merge_fields(self, call: Call) -> tuple[int, Any]:
        with self.store.lock:
            sim_list = self._list(call)
            fields = [f.to_json(sim_list.list_id) for f in sim_list.merge_fields.values()]
        if "type" in call.query:
            fields = [f for f in fields if f["type"] == call.query["type"]]
        if "required" in call.query:
            fields = [f for f in fields if f["required"] == call.flag("required")]
        return 200, {
            "merge_fields": _page(fields, call),
            "list_id": sim_list.list_id,
            "total_items": len(fields),
            "_links": [],
        }

    @route("POST", LIST + "/merge-fields")
    async def post_merge_field(self, call: Call) -> tuple[int, Any]:
        body = call.json()
        sim_list = self._list(call)
        return 200, self.store.create_merge_field(sim_list, body).to_json(sim_list.list_id)

    @route("GET", LIST + "/merge-fields/{merge_id}")
    async def get_merge_field(self, call: Call) -> tuple[int, Any]:
        sim_list = self._list(call)
        merge_field = self.store.merge_field(sim_list, call.params["merge_id"])
        return 200, merge_field.to_json(sim_list.list_id)

    @route("PATCH", LIST + "/merge-fields/{merge_id}")
    async def patch_merge_field(self, call: Call) -> tuple[int, Any]:
        body = call.json()
        sim_list = self._list(call)
        merge_field = self.store.patch_merge_field(sim_list, call.params["merge_id"], body)
        return 200, merge_field.to_json(sim_list.list_id)

    @route("DELETE", LIST + "/merge-fields/{merge_id}")
    async def delete_merge_field(self, call: Call) -> tuple[int, Any]:
        self.store.delete_merge_field(self._list(call), call.params["merge_id"])
        return 204, None

    # -- webhooks ------------------------------------------------------------------------
    async def _validated(self, url: str) -> None:
        if not await run_in_threadpool(self.validate_url, url):
            # API-NOTES §6.2: the URL must answer the validator's GET with 2xx.
            raise invalid_resource(
                VALIDATION_DETAIL,
                [{
                    "field": "url",
                    "message": "The URL did not pass validation: we could not validate it "
                    "(no 2xx answer to a GET within 10 seconds).",
                }],
            )  # fmt: skip

    @route("GET", LIST + "/webhooks")
    async def get_webhooks(self, call: Call) -> tuple[int, Any]:
        with self.store.lock:
            sim_list = self._list(call)
            hooks = [w.to_json(sim_list.list_id) for w in sim_list.webhooks.values()]
        return 200, {
            "webhooks": _page(hooks, call),
            "list_id": sim_list.list_id,
            "total_items": len(hooks),
            "_links": [],
        }

    @route("POST", LIST + "/webhooks")
    async def post_webhook(self, call: Call) -> tuple[int, Any]:
        body = call.json()
        sim_list = self._list(call)
        self.store.check_webhook_body(sim_list, body, creating=True)
        await self._validated(body["url"])
        with self.store.lock:
            self.store.check_webhook_body(sim_list, body, creating=True)
            return 200, self.store.add_webhook(sim_list, body).to_json(sim_list.list_id)

    @route("GET", LIST + "/webhooks/{webhook_id}")
    async def get_webhook(self, call: Call) -> tuple[int, Any]:
        sim_list = self._list(call)
        return 200, self.store.webhook(sim_list, call.params["webhook_id"]).to_json(
            sim_list.list_id
        )

    @route("PATCH", LIST + "/webhooks/{webhook_id}")
    async def patch_webhook(self, call: Call) -> tuple[int, Any]:
        body = call.json()
        sim_list = self._list(call)
        webhook_id = call.params["webhook_id"]
        current = self.store.webhook(sim_list, webhook_id)
        self.store.check_webhook_body(sim_list, body, creating=False, webhook_id=webhook_id)
        if "url" in body and body["url"] != current.url:
            await self._validated(body["url"])
        webhook = self.store.update_webhook(sim_list, webhook_id, body)
        return 200, webhook.to_json(sim_list.list_id)

    @route("DELETE", LIST + "/webhooks/{webhook_id}")
    async def delete_webhook(self, call: Call) -> tuple[int, Any]:
        sim_list = self._list(call)
        self.store.webhook(sim_list, call.params["webhook_id"])
        self.store.delete_webhook(sim_list.list_id, call.params["webhook_id"])
        return 204, None


API_ROUTES: list[tuple[str, str]] = ROUTES.routes


def match_route(method: str, path: str) -> tuple[str | None, dict[str, str], bool]:
    """(template, path params, path known for another method)."""
    return ROUTES.match(method, path)


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
