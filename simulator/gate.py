"""The outermost ASGI layer: request statistics and injected faults."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from .api import match_route
from .errors import ERROR_TYPE
from .faults import Fault, FaultBook
from .stats import Stats

__all__ = ["ConnectionDropped", "FaultGate"]

_TITLES = {
    429: ("Too Many Requests", "You have exceeded the limit of 10 simultaneous connections."),
    500: (
        "Internal Server Error",
        "An unexpected internal error has occurred. Please contact Support for more information.",
    ),
    502: ("Bad Gateway", "The server received an invalid response from an upstream server."),
}
_PROXY_PAGES = {
    503: "<html><head><title>503 Service Unavailable</title></head><body><h1>"
    "Service Unavailable</h1></body></html>",
    504: "<html><head><title>504 Gateway Time-out</title></head><body><h1>"
    "Gateway Time-out</h1></body></html>",
}


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised after the headers of a dropped answer: uvicorn then closes the socket, and
    in-process (ASGITransport) callers see a transport error as they would over a network."""


def _retry_after(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _fault_response(send: Send, fault: Fault) -> None:
    status = fault.status or 500
    if status in _PROXY_PAGES:
        body = _PROXY_PAGES[status].encode()
        await _respond(send, status, body, [(b"content-type", b"text/html")])
        return
    title, detail = _TITLES[status]
    problem = {
        "type": ERROR_TYPE,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(uuid.uuid4()),
    }
    headers = [(b"content-type", b"application/problem+json; charset=utf-8")]
    if status == 429 and fault.retry_after is not None:
        headers.append((b"retry-after", _retry_after(fault.retry_after).encode()))
    await _respond(send, status, json.dumps(problem).encode(), headers)


class FaultGate:
    def __init__(self, inner: ASGIApp, faults: FaultBook, stats: Stats) -> None:
        self.inner = inner
        self.faults = faults
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sim"):
            await self.inner(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if path.startswith("/3.0"):
            template = match_route(method, path)[0]
            self.stats.record_request(method, template or "<unmatched>")
        fault = self.faults.take(method, path)
        if fault is not None:
            if fault.drop:
                headers = [(b"content-type", b"application/json"), (b"content-length", b"64")]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                raise ConnectionDropped("simulated dropped connection")
            if fault.status is not None:
                if fault.latency > 0:
                    await asyncio.sleep(fault.latency)
                await _fault_response(send, fault)
                return
            if path.startswith("/3.0"):
                # Inside the API the delay counts toward the connection cap.
                scope.setdefault("state", {})["sim_latency"] = fault.latency
            else:
                await asyncio.sleep(fault.latency)
        await self.inner(scope, receive, send)
