"""The MailChimp gateway: OAuth plus one account object per authorized account."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx

from calendarspots_mailchimp.adapters.mailchimp.account import HttpMailChimpAccount
from calendarspots_mailchimp.adapters.mailchimp.gates import gate_for, gate_key
from calendarspots_mailchimp.adapters.mailchimp.oauth import HttpMailChimpOAuth
from calendarspots_mailchimp.adapters.mailchimp.requester import THROTTLE_BUDGET, Requester
from calendarspots_mailchimp.adapters.mailchimp.shared_gate import (
    BothGates,
    SharedGate,
    redis_client,
)
from calendarspots_mailchimp.ports.telemetry import NO_TELEMETRY, Telemetry

CONNECT_TIMEOUT = 10.0
MAILCHIMP_CONNECTION_LIMIT = 10  # simultaneous connections per account (docs/mailchimp-api.md §7.1)
USER_AGENT = "calendarspots-mailchimp"


class _Borrowed(httpx.BaseTransport):
    """An injected transport shared by every client here: closing one client must not close
    it for the others (nor for its owner)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)

    def close(self) -> None:
        pass


class HttpMailChimpConnector:
    """Implements ports.mailchimp.MailChimpConnector with httpx (synchronous; threads for
    concurrency)."""

    def __init__(
        self,
        oauth_base_url: str,
        client_id: str,
        client_secret: str,
        timeout: float = 30.0,
        max_connections: int = 10,
        max_retries: int = 6,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        limiter_url: str = "",
        throttle_budget: float = THROTTLE_BUDGET,
    ) -> None:
        if not 1 <= max_connections <= MAILCHIMP_CONNECTION_LIMIT:
            raise ValueError(f"max_connections must be between 1 and {MAILCHIMP_CONNECTION_LIMIT}")
        if max_retries < 0:
            raise ValueError("max_retries must not be negative")
        self._timeout = httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout))
        self._max_connections = max_connections
        self._max_retries = max_retries
        self._throttle_budget = throttle_budget
        self._transport = _Borrowed(transport) if transport is not None else None
        self._sleep = sleep
        # One TLS context for every account's client: building one loads the CA bundle, which
        # cost ~40 ms of CPU per tenant per night when each account built its own.
        self._tls = httpx.create_ssl_context() if transport is None else None
        # One Redis client for the whole process (its pool is thread-safe).
        self._shared = redis_client(limiter_url) if limiter_url else None
        self._telemetry: Telemetry = NO_TELEMETRY
        self._oauth = HttpMailChimpOAuth(
            Requester(
                self._client(),
                max_retries=max_retries,
                sleep=sleep,
                throttle_budget=throttle_budget,
            ),
            oauth_base_url,
            client_id,
            client_secret,
        )

    def observe(self, telemetry: Telemetry) -> None:
        """Every request from here on is counted there (the composition root calls this)."""
        self._telemetry = telemetry
        self._oauth.observe(telemetry)

    @property
    def oauth(self) -> HttpMailChimpOAuth:
        return self._oauth

    def account(
        self, api_endpoint: str, access_token: str, account_id: str = ""
    ) -> HttpMailChimpAccount:
        """Close the account when done with it (it owns a connection pool)."""
        base = api_endpoint.rstrip("/") + "/3.0"
        # Bearer for OAuth tokens on the Marketing API (§1.5).
        client = self._client(base_url=base, auth=f"Bearer {access_token}")
        requester = Requester(
            client,
            max_retries=self._max_retries,
            sleep=self._sleep,
            gate=self._gate(api_endpoint, access_token, account_id),
            throttle_budget=self._throttle_budget,
            telemetry=self._telemetry,
        )
        return HttpMailChimpAccount(requester, workers=self._max_connections)

    def close(self) -> None:
        self._oauth.close()

    def _gate(
        self, api_endpoint: str, token: str, account_id: str
    ) -> AbstractContextManager[object]:
        local = gate_for(api_endpoint, token, self._max_connections, account_id)
        if self._shared is None:
            return local
        key = gate_key(api_endpoint, token, account_id)
        return BothGates(local, SharedGate(self._shared, key, self._max_connections))

    def _client(self, base_url: str = "", auth: str | None = None) -> httpx.Client:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if auth is not None:
            headers["Authorization"] = auth
        limits = httpx.Limits(
            max_connections=self._max_connections, max_keepalive_connections=self._max_connections
        )
        return httpx.Client(
            base_url=base_url,
            headers=headers,
            timeout=self._timeout,
            limits=limits,
            transport=self._transport,
            verify=self._tls if self._tls is not None else True,
        )
