from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from calendarspots_mailchimp.adapters.mailchimp.connector import HttpMailChimpConnector
from calendarspots_mailchimp.simulator import Simulator, serve_in_thread

CLIENT_ID = "sim-client"
CLIENT_SECRET = "sim-client-secret"


class RecordingTransport(httpx.HTTPTransport):
    """A real HTTP transport that keeps every request, so tests can read what went out."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: list[httpx.Request] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        with self._lock:
            self.sent.append(request)
        return super().handle_request(request)

    def bodies(self, method: str, path_part: str) -> list[Any]:
        return [
            json.loads(r.content)
            for r in self.sent
            if r.method == method and path_part in r.url.path and r.content
        ]


@dataclass
class World:
    sim: Any
    url: str
    account_id: str
    list_id: str
    token: str
    transport: RecordingTransport
    waits: list[float] = field(default_factory=list)
    opened: list[Any] = field(default_factory=list)

    def connector(self, **kwargs: Any) -> HttpMailChimpConnector:
        connector = HttpMailChimpConnector(
            self.url,
            CLIENT_ID,
            CLIENT_SECRET,
            transport=self.transport,
            sleep=self.waits.append,
            **kwargs,
        )
        self.opened.append(connector)
        return connector

    def account(self, **kwargs: Any) -> Any:
        return self.open_account(self.url, self.token, **kwargs)

    def open_account(self, api_endpoint: str, token: str, **kwargs: Any) -> Any:
        account = self.connector(**kwargs).account(api_endpoint, token)
        self.opened.append(account)
        return account


@pytest.fixture
def world() -> Iterator[World]:
    sim = Simulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    acct = sim.create_account(login="owner@salon.example", account_name="Salon Bella")
    lst = sim.create_list(acct.account_id, name="calendarspots", with_birthday=True)
    token = sim.issue_token(acct.account_id)
    transport = RecordingTransport(limits=httpx.Limits(max_connections=10))
    with serve_in_thread(sim) as handle:
        world = World(sim, handle.url.rstrip("/"), acct.account_id, lst.list_id, token, transport)
        try:
            yield world
        finally:
            for thing in world.opened:
                thing.close()
            transport.close()


class _Receiver(BaseHTTPRequestHandler):
    def _ok(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = _ok

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def webhook_receiver() -> Iterator[str]:
    """A URL on 127.0.0.1 (free port) answering 200 to MailChimp's validator and deliveries."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
