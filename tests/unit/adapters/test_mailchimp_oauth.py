from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from calendarspots_mailchimp.adapters.mailchimp import plugin
from calendarspots_mailchimp.adapters.mailchimp.connector import HttpMailChimpConnector
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.ports.mailchimp import MailChimpError, TokenRevoked

METADATA = {
    "dc": "us7",
    "role": "owner",
    "accountname": "Salon Bella",
    "user_id": 42,
    "login": {"login_name": "bella", "email": "owner@bella.example"},
    "login_url": "https://login.mailchimp.com",
    "api_endpoint": "https://us7.api.mailchimp.com",
}


def test_authorize_url_carries_the_flow_parameters(wire: Any) -> None:
    url = (
        wire(lambda r: httpx.Response(500))
        .connector()
        .oauth.authorize_url("https://plugin.example/oauth/mailchimp/callback", "st&ate")
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "login.example.test",
        "/oauth2/authorize",
    )
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["client-1"],
        "redirect_uri": ["https://plugin.example/oauth/mailchimp/callback"],
        "state": ["st&ate"],
    }


def test_code_exchange_posts_the_form_and_returns_the_token(wire: Any) -> None:
    w = wire(
        lambda r: httpx.Response(
            200, json={"access_token": "tok-1", "expires_in": 0, "scope": None}
        )
    )
    token = w.connector().oauth.exchange_code("code-9", "https://plugin.example/cb")
    assert token == "tok-1"
    (request,) = w.requests
    assert (request.method, request.url.path) == ("POST", "/oauth2/token")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["authorization_code"],
        "client_id": ["client-1"],
        "client_secret": ["secret-1"],
        "redirect_uri": ["https://plugin.example/cb"],
        "code": ["code-9"],
    }


def test_a_refused_code_is_an_error_with_the_oauth_reason(wire: Any) -> None:
    w = wire(
        lambda r: httpx.Response(
            400, json={"error": "invalid_grant", "error_description": "Invalid authorization code"}
        )
    )
    with pytest.raises(MailChimpError) as info:
        w.connector().oauth.exchange_code("used", "https://plugin.example/cb")
    assert (info.value.status, info.value.title) == (400, "invalid_grant")
    assert len(w.requests) == 1


def test_metadata_uses_the_oauth_header_and_reads_the_data_center(wire: Any) -> None:
    w = wire(lambda r: httpx.Response(200, json=METADATA))
    meta = w.connector().oauth.metadata("tok-1")
    assert (meta.dc, meta.api_endpoint, meta.account_name, meta.login_email) == (
        "us7",
        "https://us7.api.mailchimp.com",
        "Salon Bella",
        "owner@bella.example",
    )
    (request,) = w.requests
    assert request.url.path == "/oauth2/metadata"
    assert request.headers["Authorization"] == "OAuth tok-1"


def test_metadata_without_api_endpoint_falls_back_to_the_dc(wire: Any) -> None:
    w = wire(lambda r: httpx.Response(200, json={"dc": "us3"}))
    assert w.connector().oauth.metadata("t").api_endpoint == "https://us3.api.mailchimp.com"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={"error": "invalid_token"}),
        httpx.Response(401, json={"error": "invalid_token"}),
        httpx.Response(401, text=""),
    ],
)
def test_a_revoked_token_is_reported_as_such(wire: Any, response: httpx.Response) -> None:
    with pytest.raises(TokenRevoked):
        wire(lambda r: response).connector().oauth.metadata("gone")


def test_plugin_builds_the_connector_from_settings() -> None:
    settings = Settings(
        oauth_base_url="http://127.0.0.1:9/", client_id="cid", client_secret="cs", max_connections=4
    )
    connector = plugin.csmc_mailchimp_connector(settings=settings)
    assert isinstance(connector, HttpMailChimpConnector)
    url = connector.oauth.authorize_url("http://x/cb", "s")
    assert url.startswith("http://127.0.0.1:9/oauth2/authorize?")
    assert "client_id=cid" in url
    connector.close()


@pytest.mark.parametrize("limit", [0, 11])
def test_more_than_mailchimps_connection_limit_is_refused(limit: int) -> None:
    with pytest.raises(ValueError, match="max_connections"):
        HttpMailChimpConnector("http://127.0.0.1:9", "c", "s", max_connections=limit)
