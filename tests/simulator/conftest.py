from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import httpx
import pytest

from calendarspots_mailchimp.simulator import (
    Account,
    RunningSimulator,
    SimList,
    Simulator,
    serve_in_thread,
)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode(), keep_blank_values=True)

    @property
    def fields(self) -> dict[str, str]:
        return dict(self.form)


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1: records requests, answers with queued statuses."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    post_statuses: list[int] = field(default_factory=list)
    get_status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def posts(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.method == "POST"]

    def gets(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.method == "GET"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def _record(self, status: int) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with state.lock:
                state.requests.append(
                    Received(self.command, self.path, dict(self.headers.items()), body)
                )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self._record(state.get_status)

        def do_POST(self) -> None:
            with state.lock:
                status = state.post_statuses.pop(0) if state.post_statuses else 200
            self._record(status)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/secret-abc"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = Simulator(retry_delays=(0.05, 0.1))
    yield simulator
    simulator.close()


@pytest.fixture
def running(sim: Simulator) -> Iterator[RunningSimulator]:
    with serve_in_thread(sim) as handle:
        yield handle


@pytest.fixture
def account(sim: Simulator) -> Account:
    return sim.create_account(login="salon@example.com", account_name="Salon Belle")


@pytest.fixture
def audience(sim: Simulator, account: Account) -> SimList:
    return sim.create_list(account.account_id, name="calendarspots", with_birthday=True)


@pytest.fixture
def token(sim: Simulator, account: Account) -> str:
    return sim.issue_token(account.account_id)


@pytest.fixture
def api(running: RunningSimulator, token: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=running.url + "/3.0", headers=headers, timeout=10) as client:
        yield client
