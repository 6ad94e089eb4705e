from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from calendarspots_mailchimp.adapters.mailchimp.connector import HttpMailChimpConnector

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Wire:
    """A scripted MailChimp on an httpx.MockTransport: records requests and waits."""

    handler: Handler
    requests: list[httpx.Request] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        return self.handler(request)

    def connector(self, **kwargs: Any) -> HttpMailChimpConnector:
        return HttpMailChimpConnector(
            "https://login.example.test",
            "client-1",
            "secret-1",
            transport=httpx.MockTransport(self),
            sleep=self.waits.append,
            **kwargs,
        )

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


def problem(status: int, title: str, detail: str = "", **extra: Any) -> httpx.Response:
    body = {
        "type": "https://mailchimp.com/developer/marketing/docs/errors/",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": "x",
        **extra,
    }
    return httpx.Response(
        status, json=body, headers={"Content-Type": "application/problem+json; charset=utf-8"}
    )


@pytest.fixture
def wire() -> type[Wire]:
    """Wire(handler): a scripted MailChimp; .connector(**kwargs) builds the adapter on it."""
    return Wire


@pytest.fixture(name="problem")
def problem_fixture() -> Callable[..., httpx.Response]:
    """problem(status, title, detail="", **extra): a problem+json error response."""
    return problem
