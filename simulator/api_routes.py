"""Marketing API routing: the route table, and the Call and Context every handler receives."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .errors import VALIDATION_DETAIL, ApiError, invalid_resource
from .model import Account, SimList
from .stats import Stats
from .store import Store

__all__ = [
    "LIST",
    "MEMBER",
    "Call",
    "Context",
    "Handler",
    "RouteTable",
    "page",
    "required_field",
]

LIST = "/3.0/lists/{list_id}"
MEMBER = LIST + "/members/{subscriber_hash}"


@dataclass
class Call:
    account: Account
    params: dict[str, str]
    query: dict[str, str]
    raw_body: bytes
    count: int = 10
    offset: int = 0

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


@dataclass(frozen=True)
class Context:
    """What the handlers work on: the store, the statistics and the webhook URL validator."""

    store: Store
    stats: Stats
    validate_url: Callable[[str], bool]

    def list_of(self, call: Call) -> SimList:
        return self.store.list_for(call.account.account_id, call.params["list_id"])


Handler = Callable[[Context, Call], Awaitable[tuple[int, Any]]]


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}/?$" if template != "/3.0/" else "^/3.0/?$")


class RouteTable:
    """(method, path template) -> handler. Each route is declared once, by @route on its handler;
    the template is also the route's name in the statistics."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], tuple[re.Pattern[str], Handler]] = {}

    @classmethod
    def joined(cls, *tables: RouteTable) -> RouteTable:
        joined = cls()
        for table in tables:
            for (method, template), (_pattern, handler) in table._routes.items():
                joined.route(method, template)(handler)
        return joined

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


def page(items: list[Any], call: Call) -> list[Any]:
    return items[call.offset : call.offset + call.count]


def required_field(field_name: str) -> ApiError:
    return invalid_resource(
        VALIDATION_DETAIL, [{"field": field_name, "message": "This value should not be blank."}]
    )
