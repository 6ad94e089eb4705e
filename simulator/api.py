"""Marketing API v3 under /3.0: auth, the connection cap, paging parameters and the JSON answers.

The routes themselves are declared next to their handlers (api_lists, api_batch, api_members,
api_webhooks); this module joins them into the one table used for matching, dispatch and stats.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import api_batch, api_lists, api_members, api_webhooks
from .api_routes import Call, Context, RouteTable
from .errors import VALIDATION_DETAIL, ApiError, invalid_resource, not_found, problem_response
from .faults import ConnectionLimiter
from .fields import apply_field_filters
from .model import Account
from .stats import Stats
from .store import Store

__all__ = ["API_ROUTES", "Api", "match_route"]

MAX_COUNT = 1000  # count: default 10, maximum 1000 (docs/mailchimp-api.md §2)
ROUTES = RouteTable.joined(
    api_lists.ROUTES, api_batch.ROUTES, api_members.ROUTES, api_webhooks.ROUTES
)
API_ROUTES: list[tuple[str, str]] = ROUTES.routes


def match_route(method: str, path: str) -> tuple[str | None, dict[str, str], bool]:
    """(template, path params, path known for another method)."""
    return ROUTES.match(method, path)


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
        self.context = Context(store, stats, validate_url)

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
        # API keys end in "-<dc>" (docs/mailchimp-api.md §1.6); the simulator's tokens may carry one too.
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
            # ASSUMPTION: wording; the maximum itself is in the spec (docs/mailchimp-api.md §2).
            raise invalid_resource(
                VALIDATION_DETAIL,
                [{"field": "count", "message": f"Must be less than or equal to {MAX_COUNT}."}],
            )
        status, body = await ROUTES.handler(method, template)(self.context, call)
        if status == 204:
            return Response(status_code=204)
        body = apply_field_filters(body, query.get("fields"), query.get("exclude_fields"))
        return JSONResponse(body, status_code=status)
