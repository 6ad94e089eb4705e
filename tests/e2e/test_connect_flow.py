"""Connect (R1 R2 R3 R5) over real HTTP: the owner's browser, the plugin's app, the simulator."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from support.harness import World, sample_rows

from calendarspots_mailchimp.core.model import ConnectionState
from calendarspots_mailchimp.entrypoints.container import build_container, stop_background
from calendarspots_mailchimp.entrypoints.http.app import create_app
from calendarspots_mailchimp.entrypoints.http.server import RunningServer

JSON = {"Accept": "application/json"}


def stored_token(world: World, tenant: str = "salon") -> bytes | None:
    with world.uow() as uow:
        return uow.scope(tenant).token.get()


def state_from_start(world: World, tenant: str = "salon") -> str:
    """The signed state the owner carries to MailChimp and back."""
    start = httpx.get(world.start_link(tenant))
    assert start.status_code == 302, start.text
    return parse_qs(urlsplit(start.headers["location"]).query)["state"][0]


def test_callback_does_every_step_and_logs_each(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(12))
    side = world.mailchimp()

    result = world.authorize("salon")

    assert result["status_code"] == 200
    assert set(result) >= {"ok", "message"} and result["ok"] is True
    assert "12 contacts added" in result["message"]
    token = stored_token(world)
    assert token is not None
    assert world.box.decrypt(token) in world.sim.tokens_of(side.account_id)
    assert all(t.encode() not in token for t in world.sim.tokens_of(side.account_id))
    tenant = world.tenant()
    assert tenant.state == ConnectionState.CONNECTED
    assert tenant.account_name == "Account of owner@example.com"
    assert tenant.api_endpoint and tenant.audience_id == side.list_id and tenant.webhook_id
    assert len(world.members(side.list_id)) == 12
    assert world.kinds("salon") == [
        "sync.succeeded",
        "webhook.installed",
        "check.passed",
        "authorization.granted",
    ]
    granted = world.entries("salon", "authorization.granted")[0]
    assert granted.details["dc"] and granted.details["account"] == tenant.account_name


def test_callback_answers_html_to_a_browser(world: World) -> None:
    world.add_tenant("salon")
    world.mailchimp()
    with httpx.Client(timeout=30, follow_redirects=True) as browser:
        page = browser.get(
            world.start_link("salon"),
            headers={"Accept": "text/html", "Accept-Language": "fr-CA,fr;q=0.9"},
        )
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "MailChimp est connecté" in page.text


def test_reauthorizing_replaces_the_token_without_a_second_webhook(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(5))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    first_token = world.box.decrypt(stored_token(world) or b"")
    first_hook = world.tenant().webhook_id
    world.sim.stats.reset()

    again = world.authorize("salon")

    assert again["ok"] is True, again
    second_token = world.box.decrypt(stored_token(world) or b"")
    assert second_token != first_token
    assert second_token in world.sim.tokens_of(side.account_id)
    hooks = world.sim.webhooks(side.list_id)
    assert [h["id"] for h in hooks] == [first_hook] == [world.tenant().webhook_id]
    # The initial sync after an authorization is a full one (R3): same members, no new ones.
    assert "0 contacts added and 5 updated" in again["message"]
    assert len(world.members(side.list_id)) == 5
    kinds = world.kinds("salon")
    assert kinds.count("authorization.granted") == 2
    assert kinds.count("webhook.installed") == 1 and "webhook.repaired" not in kinds


def test_owner_refusing_on_mailchimp_is_a_clear_message(world: World) -> None:
    world.add_tenant("salon")
    world.mailchimp()
    callback = f"{world.app_url}/oauth/mailchimp/callback"

    def params() -> dict[str, str]:
        return {"error": "access_denied", "state": state_from_start(world)}

    answer = httpx.get(callback, params=params(), headers=JSON)
    page = httpx.get(callback, params=params(), headers={"Accept": "text/html"})

    assert answer.status_code == 200
    data = answer.json()
    assert data["ok"] is False
    assert "not granted (access_denied)" in data["message"]
    assert "Authorize again" in data["message"]
    # The tenant reads French unless the browser asks for another language.
    assert '<h1 class="bad">MailChimp n&#x27;est pas connecté</h1>' in page.text
    assert "n&#x27;a pas donné l&#x27;autorisation (access_denied)" in page.text
    assert stored_token(world) is None
    assert world.tenant().state == ConnectionState.NOT_CONNECTED
    failures = world.entries("salon", "authorization.failed")
    assert len(failures) == 2 and "access_denied" in failures[0].message
    assert world.kinds("salon") == ["authorization.failed", "authorization.failed"]


def test_a_state_is_good_for_one_callback_only(world: World) -> None:
    """A reload, or someone replaying a copied callback with a code of their own: refused
    before any code is exchanged, and logged."""
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(2))
    owner = world.mailchimp(login="owner@example.com")
    with httpx.Client(timeout=60) as browser:
        start = browser.get(world.start_link("salon"))
        back = browser.get(start.headers["location"]).headers["location"]
        first = browser.get(back, headers=JSON)
        assert first.json()["ok"] is True, first.text
        token = stored_token(world)

        replay = browser.get(back, headers=JSON)
        intruder = world.mailchimp(login="intruder@example.com")
        with_their_code = browser.get(
            back.replace(parse_qs(urlsplit(back).query)["code"][0], "their-code"), headers=JSON
        )

    for answer in (replay, with_their_code):
        assert answer.status_code == 200
        assert answer.json()["ok"] is False
        assert answer.json()["message"] == (
            "This authorization link was already used: click Authorize again to connect."
        )
    assert stored_token(world) == token
    assert world.tenant().account_name == "Account of owner@example.com"
    assert world.members(intruder.list_id) == {}
    assert world.kinds()[:2] == ["authorization.failed", "authorization.failed"]
    # A new link works as before.
    world.sim.approve_as(owner.account_id)
    assert world.authorize("salon")["ok"] is True
    assert world.tenant().account_name == "Account of owner@example.com"


def test_forged_or_missing_state_is_refused(world: World) -> None:
    world.add_tenant("salon")
    world.mailchimp()
    callback = f"{world.app_url}/oauth/mailchimp/callback"
    state = state_from_start(world)
    tampered = state[:-2] + ("yy" if state.endswith("xx") else "xx")
    for params in ({"code": "x", "state": tampered}, {"code": "x"}):
        answer = httpx.get(callback, params=params, headers=JSON)
        assert answer.status_code == 400
        assert answer.json() == {
            "ok": False,
            "message": "the authorization link is invalid: start again from Authorize",
        }
    admin = {"Authorization": f"Bearer {world.settings.admin_token}"}
    unknown = httpx.get(
        f"{world.app_url}/oauth/mailchimp/start", params={"tenant": "nobody"}, headers=admin
    )
    assert unknown.status_code == 404
    assert stored_token(world) is None


def test_a_bad_code_is_logged_and_nothing_is_stored(world: World) -> None:
    world.add_tenant("salon")
    world.mailchimp()
    state = state_from_start(world)
    answer = httpx.get(
        f"{world.app_url}/oauth/mailchimp/callback",
        params={"code": "not-a-code", "state": state},
        headers=JSON,
    )
    assert answer.status_code == 200 and answer.json()["ok"] is False
    assert "did not complete the authorization" in answer.json()["message"]
    assert stored_token(world) is None
    assert world.kinds("salon") == ["authorization.failed"]


def test_without_a_secret_key_no_token_is_stored(
    world: World, request: pytest.FixtureRequest
) -> None:
    world.add_tenant("salon")
    world.mailchimp()
    state = state_from_start(world)  # issued while the key was still set
    keyless = build_container(replace(world.settings, secret_key=""))
    request.addfinalizer(lambda: stop_background(keyless))  # its webhook applier
    with RunningServer(create_app(keyless)).start() as app:
        start = httpx.get(
            f"{app.url}/oauth/mailchimp/start",
            params={"tenant": "salon"},
            headers={"Authorization": f"Bearer {world.settings.admin_token}"},
        )
        assert start.status_code == 500
        assert "CS_MAILCHIMP_SECRET_KEY is not set" in start.json()["error"]
        with httpx.Client(timeout=30) as browser:
            at_mailchimp = browser.get(
                str(
                    httpx.URL(
                        f"{world.sim_url}/oauth2/authorize",
                        params={
                            "response_type": "code",
                            "client_id": world.settings.client_id,
                            "redirect_uri": world.settings.redirect_uri,
                            "state": state,
                        },
                    )
                )
            )
            code = parse_qs(urlsplit(at_mailchimp.headers["location"]).query)["code"][0]
            answer = browser.get(
                f"{app.url}/oauth/mailchimp/callback",
                params={"code": code, "state": state},
                headers=JSON,
            )
    assert answer.status_code == 500
    assert answer.json()["ok"] is False
    assert answer.json()["message"].startswith(
        "CS_MAILCHIMP_SECRET_KEY is not set: refusing to store MailChimp tokens"
    )
    assert stored_token(world) is None
    assert world.tenant().state == ConnectionState.NOT_CONNECTED


def test_the_start_route_is_closed_to_anyone_not_vouched_for(world: World) -> None:
    """Without the host's word, the admin token or the operator's one-use link, the start
    route answers the same 404 for a known and an unknown tenant and writes nothing: nobody
    can connect a business's client list to their own MailChimp account."""
    world.add_tenant("salon")
    world.mailchimp()
    start = f"{world.app_url}/oauth/mailchimp/start"
    link = world.start_link("salon")
    other = world.start_link("salon")
    token = httpx.URL(link).params["link_token"]
    body, _, sig = token.partition(".")
    attempts = [
        {"tenant": "salon"},
        {"tenant": "nobody"},
        {"tenant": "salon", "link_token": ""},
        {"tenant": "salon", "link_token": f"{body}.{sig[::-1]}"},
        {"tenant": "salon", "link_token": "garbage"},
        {"tenant": "nobody", "link_token": token},  # a link made for another tenant
    ]
    answers = [httpx.get(start, params=params) for params in attempts]
    answers.append(
        httpx.get(start, params={"tenant": "salon"}, headers={"Authorization": "Bearer wrong"})
    )
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert len({a.text for a in answers}) == 1
    assert world.kinds("salon") == [] and world.tenant().state == ConnectionState.NOT_CONNECTED

    assert httpx.get(link).status_code == 302  # the operator's link: once
    assert httpx.get(link).status_code == 404  # once (a browser is told why: test_spent_links.py)
    assert httpx.get(other).status_code == 302  # each printed link is its own
    vouched = httpx.get(
        start,
        params={"tenant": "salon"},
        headers={"Authorization": f"Bearer {world.settings.admin_token}"},
    )
    assert vouched.status_code == 302
    assert vouched.headers["location"].startswith(f"{world.sim_url}/oauth2/authorize?")
    assert world.kinds("salon") == []


def test_the_operator_link_may_move_a_tenant_to_another_account(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(3))
    owner = world.mailchimp(login="owner@example.com")
    assert world.authorize("salon")["ok"]

    other = world.mailchimp(login="other@example.com")  # approves the next authorize
    switched = world.authorize("salon")

    assert switched["ok"] is True, switched
    assert world.tenant().account_name == "Account of other@example.com"
    assert len(world.members(other.list_id)) == 3
    assert world.sim.webhooks(owner.list_id) == []  # the old account no longer calls us


def test_an_account_renamed_in_mailchimp_is_the_same_account(world: World) -> None:
    """The owner may edit the account's name in MailChimp: re-authorizing is not a switch (MailChimp's account id says so), and nothing is reset."""
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(3))
    side = world.mailchimp(login="owner@example.com")
    assert world.authorize("salon")["ok"]
    before = world.tenant()
    assert before.account_id == side.account_id
    with world.sim.store.lock:
        world.sim.store.account(side.account_id).account_name = "Salon Zoé (new name)"

    again = world.authorize("salon")

    assert again["ok"] is True, again
    after = world.tenant()
    assert after.account_name == "Salon Zoé (new name)"
    assert (after.account_id, after.audience_id, after.webhook_id) == (
        before.account_id,
        before.audience_id,
        before.webhook_id,
    )
    assert len(world.sim.webhooks(side.list_id)) == 1


def test_an_audience_recreated_without_birthday_is_adopted_and_fixed(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(3))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    world.sim.delete_list(side.list_id)
    again = world.sim.create_list(side.account_id, name="calendarspots", with_birthday=False)

    retry = world.authorize("salon")
    assert retry["ok"] is False and "BIRTHDAY" in str(retry["message"])
    assert world.tenant().audience_id == again.list_id

    fixed = world.cli("check", "salon", "--fix")
    assert fixed.exit_code == 0, fixed.output
    assert world.cli("sync", "salon").exit_code == 0
    assert len(world.members(again.list_id)) == 3
    assert len(world.sim.webhooks(again.list_id)) == 1


def test_a_mailchimp_that_will_not_give_its_account_id_still_connects(world: World) -> None:
    """The account id only sharpens the switch check: its absence never blocks a connection."""
    from calendarspots_mailchimp.simulator import Fault

    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(2))
    side = world.mailchimp()
    # The API root is the first /3.0 call of an authorization: refuse it past every retry.
    retries = world.settings.max_retries
    world.sim.inject_fault(
        Fault(status=429, count=retries + 1, method="GET", path_prefix="/3.0", retry_after=0.01)
    )

    first = world.authorize("salon")

    assert first["ok"] is True, first
    # The initial sync asked again, once the root answered.
    assert world.tenant().account_id == side.account_id
    again = world.authorize("salon")
    assert again["ok"] is True, again

    # An id known before and not told this time is kept (data center and name match).
    world.sim.inject_fault(
        Fault(status=429, count=retries + 1, method="GET", path_prefix="/3.0", retry_after=0.01)
    )
    unconfirmed = world.authorize("salon")
    assert unconfirmed["ok"] is True, unconfirmed
    assert world.tenant().account_id == side.account_id
    world.sim.clear_faults()


def test_a_sync_learns_the_account_id_of_a_tenant_connected_without_it(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(2))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    with world.uow() as uow:  # as schema 0001 left it
        tenant = uow.tenants.get("salon")
        assert tenant is not None
        uow.tenants.save(replace(tenant, account_id=""))
        uow.commit()

    assert world.cli("sync", "salon").exit_code == 0

    assert world.tenant().account_id == side.account_id
    world.sim.stats.reset()
    assert world.cli("sync", "salon").exit_code == 0
    assert world.sim.stats.count("GET", "/3.0/") == 0  # asked once, not every night


def test_the_callback_page_says_connected_but_needs_attention_when_a_field_is_missing(
    world: World,
) -> None:
    world.add_tenant("salon")
    world.mailchimp(with_birthday=False)
    with httpx.Client(timeout=60, follow_redirects=True) as browser:
        page = browser.get(world.start_link("salon"), headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert '<h1 class="bad">MailChimp est connecté, mais demande votre attention</h1>' in page.text
    assert "BIRTHDAY" in page.text and "n&#x27;est pas connecté" not in page.text
