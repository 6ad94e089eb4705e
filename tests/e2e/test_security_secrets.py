"""R5/R9 security: no token, secret or webhook URL in any log line, activity entry or error
page during a whole connect + sync + webhook flow; tenants cannot touch each other; admin
routes need the token; a tampered or expired OAuth state changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from support.databases import fresh_database
from support.harness import World, make_world, sample_rows
from support.waiting import eventually

from calendarspots_mailchimp.adapters.persistence.database import normalize_url
from calendarspots_mailchimp.core.services.oauth_state import make_state
from calendarspots_mailchimp.entrypoints.http.server import RunningServer

UVICORN = ("uvicorn", "uvicorn.access", "uvicorn.error")


@pytest.fixture
def loud_world(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[World]:
    """The usual world, but the app's uvicorn logs everything, access log included, into
    caplog (uvicorn's loggers do not propagate to the root)."""
    caplog.set_level(logging.DEBUG)
    with fresh_database(tmp_path) as url:

        def tap(_server: RunningServer) -> None:
            for name in UVICORN:  # after uvicorn's dictConfig, which Config() ran
                logging.getLogger(name).addHandler(caplog.handler)
                logging.getLogger(name).setLevel(logging.DEBUG)

        world = make_world(
            url,
            before_start=tap,
            server_options={"log_level": "debug", "access_log": True},
            max_retries=2,
        )
        try:
            yield world
        finally:
            world.close()
            for name in UVICORN:
                logging.getLogger(name).removeHandler(caplog.handler)


def test_no_secret_leaks_during_connect_sync_and_webhooks(
    loud_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world = loud_world
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(5))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    assert world.cli("sync", "salon", "--full").exit_code == 0
    hook_url = world.sim.webhooks(side.list_id)[0]["url"]
    world.sim.unsubscribe(side.list_id, "client1@example.com")
    world.sim.clean(side.list_id, "client2@example.com")
    world.sim.update_profile(side.list_id, "client3@example.com", merges={"FNAME": "X"})
    assert eventually(lambda: len(world.entries(kind="mailchimp.profile.recorded")) == 1)
    # error pages: bad webhook input, a wrong secret, a failing callback, a refused admin call
    pages = [
        httpx.post(hook_url, content=b"%zz", headers={"Content-Type": "x/y"}),
        httpx.post(hook_url, data={"type": "nope"}),
        httpx.post(hook_url + "x", data={"type": "nope"}),
        httpx.get(f"{world.app_url}/oauth/mailchimp/callback", params={"code": "c", "state": "s"}),
        httpx.get(f"{world.app_url}/tenants/salon/activity"),
    ]
    assert all(400 <= p.status_code < 500 for p in pages), [p.status_code for p in pages]
    secret = hook_url.rsplit("/", 1)[1]
    # Paths the route does not match but that carry the secret: masked all the same.
    for target in (
        f"/webhooks/mailchimp/../mailchimp/salon/{secret}",
        f"/webhooks/mailchimp/salon/{secret}/extra",
        f"/webhooks//mailchimp/salon/{secret}?token={secret}",
    ):
        assert raw_get(world.app_url, target).startswith(b"HTTP/1.1 404")

    assert len(secret) == 43
    forbidden = {
        "webhook secret": secret,
        "webhook URL": hook_url,
        "client secret": world.settings.client_secret,
        "secret key": world.settings.secret_key,
        "admin token": world.settings.admin_token,
        **{f"access token {i}": t for i, t in enumerate(world.sim.tokens_of(side.account_id))},
    }
    assert len(forbidden) >= 6
    # MailChimp's own HTTP client (the simulator delivering to us) logs the URL it calls:
    # that is MailChimp's log, not ours.
    ours = [
        r
        for r in caplog.records
        if not (r.name.startswith(("httpx", "httpcore")) and world.app_url in r.getMessage())
    ]
    access = [r for r in ours if r.name == "uvicorn.access"]
    assert any("/webhooks/mailchimp/salon/***" in r.getMessage() for r in access)
    texts = [r.getMessage() + (r.exc_text or "") for r in ours]
    texts += [e.message + repr(e.details) for e in world.entries()]
    texts += [p.text + repr(dict(p.headers)) for p in pages]
    for what, value in forbidden.items():
        leaks = [t for t in texts if value in t]
        assert not leaks, f"{what} leaked: {leaks[:2]}"

    # At rest: the token is encrypted and the webhook secret is not stored at all.
    stored = database_text(world)
    assert "salon" in stored and "client1@example.com" in stored  # the dump does read rows
    at_rest = {
        "webhook secret": secret,
        **{f"access token {i}": t for i, t in enumerate(world.sim.tokens_of(side.account_id))},
    }
    for what, value in at_rest.items():
        assert value not in stored, f"{what} is stored in clear"


def raw_get(base: str, target: str) -> bytes:
    """A GET sent as is (an HTTP client would resolve the dot segments first)."""
    import socket

    url = httpx.URL(base)
    with socket.create_connection((url.host, url.port or 80), timeout=10) as raw:
        raw.sendall(
            f"GET {target} HTTP/1.1\r\nHost: {url.host}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    return answer


def database_text(world: World) -> str:
    """Every value of every row of every table, as text (bytes decoded leniently)."""
    engine = sa.create_engine(normalize_url(world.settings.database_url))
    parts: list[str] = []
    try:
        with engine.connect() as connection:
            for name in sa.inspect(connection).get_table_names():
                table = sa.Table(name, sa.MetaData(), autoload_with=connection)
                for row in connection.execute(sa.select(table)):
                    for value in row:
                        if isinstance(value, bytes | memoryview):
                            value = bytes(value).decode("latin-1")
                        parts.append(str(value))
    finally:
        engine.dispose()
    return "\n".join(parts)


def two_tenants(world: World) -> tuple[str, str]:
    urls = []
    for tenant_id, login in (("alpha", "a@example.com"), ("beta", "b@example.com")):
        world.add_tenant(tenant_id)
        world.import_rows(tenant_id, sample_rows(3))
        side = world.mailchimp(login=login)
        assert world.authorize(tenant_id)["ok"]
        urls.append(world.sim.webhooks(side.list_id)[0]["url"])
    return urls[0], urls[1]


def test_one_tenants_secret_never_touches_another_tenants_clients(world: World) -> None:
    alpha_url, beta_url = two_tenants(world)
    alpha_secret = alpha_url.rsplit("/", 1)[1]
    beta_list = world.tenant("beta").audience_id
    beta_event = {
        "type": "unsubscribe",
        "data[list_id]": beta_list,
        "data[email]": "client1@example.com",
    }
    before = world.clients("beta")
    crossed = beta_url.rsplit("/", 1)[0] + "/" + alpha_secret
    assert httpx.post(crossed, data=beta_event).status_code == 404
    refused = httpx.post(alpha_url, data=beta_event)  # beta's list via alpha's URL
    assert (refused.status_code, refused.json()["outcome"]) == (200, "refused")
    assert world.clients("beta") == before
    assert str(world.clients("alpha")["client1@example.com"].newsletter) == "subscribed"
    assert world.entries("alpha", "webhook.refused")
    assert not world.entries("beta", "contact.unsubscribed")


@pytest.mark.parametrize("token", [None, "", "wrong", "Bearer", "bearer x"])
def test_admin_routes_refuse_missing_and_wrong_tokens(world: World, token: str | None) -> None:
    world.add_tenant("salon")
    headers = {} if token is None else {"Authorization": token}
    answer = httpx.get(f"{world.app_url}/tenants/salon/activity", headers=headers)
    assert answer.status_code == 401
    good = {"Authorization": f"Bearer {world.settings.admin_token}"}
    assert httpx.get(f"{world.app_url}/tenants/salon/activity", headers=good).status_code == 200


def test_tampered_or_expired_oauth_state_is_refused_without_side_effects(world: World) -> None:
    world.add_tenant("salon")
    world.mailchimp()
    start = httpx.get(world.start_link("salon"))
    state = httpx.URL(start.headers["location"]).params["state"]
    body, _, sig = state.partition(".")
    expired = make_state(
        "salon", world.settings.secret_key, world.clock.now() - timedelta(minutes=20)
    )
    forged = make_state("salon", "another-key-entirely-000", world.clock.now())
    for bad in (f"{body}.{sig[::-1]}", f"{body}x.{sig}", expired, forged, "", "a.b.c"):
        answer = httpx.get(
            f"{world.app_url}/oauth/mailchimp/callback",
            params={"code": "any-code", "state": bad},
            headers={"Accept": "application/json"},
        )
        assert answer.status_code == 400, (bad, answer.text)
        assert answer.json()["ok"] is False
    assert "expired" in answer.text or "invalid" in answer.text
    tenant = world.tenant()
    assert (tenant.state, tenant.api_endpoint, tenant.webhook_id) == ("not_connected", "", "")
    with world.uow() as uow:
        assert uow.scope("salon").token.get() is None
    assert world.kinds() == []
