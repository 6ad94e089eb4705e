from __future__ import annotations

import re
from typing import Any

import httpx

from calendarspots_mailchimp.simulator import SimList, Simulator, subscriber_hash

Receiver = Any  # the `receiver` fixture (conftest.py) records what it is sent

ALL_EVENTS = {"subscribe": True, "unsubscribe": True, "profile": True, "cleaned": True,
              "upemail": True, "campaign": False}  # fmt: skip
NO_API = {"user": True, "admin": True, "api": False}


def _hook(
    api: httpx.Client, audience: SimList, url: str, sources: dict[str, bool] = NO_API
) -> httpx.Response:
    return api.post(
        f"/lists/{audience.list_id}/webhooks",
        json={"url": url, "events": ALL_EVENTS, "sources": sources},
    )


def _types(receiver: Receiver) -> list[str]:
    return [r.fields["type"] for r in receiver.posts()]


def test_create_validates_with_a_get(
    api: httpx.Client, audience: SimList, receiver: Receiver
) -> None:
    created = _hook(api, audience, receiver.url)
    assert created.status_code == 200
    hook = created.json()
    assert hook["url"] == receiver.url
    assert hook["events"] == ALL_EVENTS
    assert hook["sources"] == NO_API
    assert hook["list_id"] == audience.list_id
    [validation] = receiver.gets()
    assert validation.headers["User-Agent"] == "MailChimp.com WebHook Validator"
    assert validation.path == "/hooks/secret-abc"
    listed = api.get(f"/lists/{audience.list_id}/webhooks").json()
    assert [w["id"] for w in listed["webhooks"]] == [hook["id"]]
    assert api.get(f"/lists/{audience.list_id}/webhooks/{hook['id']}").json() == hook
    duplicate = _hook(api, audience, receiver.url)
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"][0]["field"] == "url"


def test_unreachable_or_failing_url_is_refused(
    api: httpx.Client, audience: SimList, receiver: Receiver
) -> None:
    receiver.get_status = 404
    refused = _hook(api, audience, receiver.url)
    assert refused.status_code == 400
    body = refused.json()
    assert body["title"] == "Invalid Resource"
    assert body["detail"].startswith("The resource submitted could not be validated")
    assert body["errors"][0]["field"] == "url"
    assert "we could not validate" in body["errors"][0]["message"]
    dead = _hook(api, audience, "http://127.0.0.1:9/nothing-listens-here")
    assert dead.status_code == 400
    assert api.get(f"/lists/{audience.list_id}/webhooks").json()["total_items"] == 0


def test_patch_url_revalidates_and_delete(
    api: httpx.Client, audience: SimList, receiver: Receiver
) -> None:
    hook = _hook(api, audience, receiver.url).json()
    base = f"/lists/{audience.list_id}/webhooks/{hook['id']}"
    events_only = api.patch(base, json={"events": {"campaign": True}})
    assert events_only.json()["events"]["campaign"] is True
    assert len(receiver.gets()) == 1
    moved = api.patch(base, json={"url": receiver.url + "?v=2"})
    assert moved.status_code == 200
    assert len(receiver.gets()) == 2
    assert api.patch(base, json={"url": "http://127.0.0.1:9/x"}).status_code == 400
    assert api.delete(base).status_code == 204
    assert api.get(base).status_code == 404


def test_delivery_format(
    sim: Simulator, api: httpx.Client, audience: SimList, receiver: Receiver
) -> None:
    _hook(api, audience, receiver.url)
    api.post(f"/lists/{audience.list_id}/members", json={
        "email_address": "ann@example.com", "status": "subscribed",
        "merge_fields": {"FNAME": "Ann", "LNAME": "Lee", "BIRTHDAY": "05/15"},
    })  # fmt: skip
    sim.unsubscribe(audience.list_id, "ann@example.com", reason="abuse")
    assert sim.wait_deliveries(5)
    [post] = receiver.posts()
    assert post.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert post.headers["User-Agent"] == "MailChimp.com"
    fields = post.fields
    assert fields["type"] == "unsubscribe"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", fields["fired_at"])
    assert fields["data[action]"] == "unsub"
    assert fields["data[reason]"] == "abuse"
    assert fields["data[id]"] == subscriber_hash("ann@example.com")
    assert fields["data[list_id]"] == audience.list_id
    assert fields["data[email]"] == "ann@example.com"
    assert fields["data[email_type]"] == "html"
    assert fields["data[merges][EMAIL]"] == "ann@example.com"
    assert fields["data[merges][FNAME]"] == "Ann"
    assert fields["data[merges][BIRTHDAY]"] == "05/15"
    assert "data[web_id]" in fields
    assert "data[ip_opt]" in fields
    assert sim.stats.deliveries_succeeded == 1


def test_user_events_and_their_payloads(
    sim: Simulator, api: httpx.Client, audience: SimList, receiver: Receiver
) -> None:
    _hook(api, audience, receiver.url)
    sim.signup(audience.list_id, "new@example.com", merges={"FNAME": "Nia"})
    sim.update_profile(audience.list_id, "new@example.com", merges={"LNAME": "Obi"})
    sim.change_email(audience.list_id, "new@example.com", "nia@example.com")
    sim.clean(audience.list_id, "nia@example.com", reason="hard")
    assert sim.wait_deliveries(5)
    assert _types(receiver) == ["subscribe", "profile", "upemail", "profile", "cleaned"]
    subscribe, profile, upemail, _, cleaned = (r.fields for r in receiver.posts())
    assert subscribe["data[merges][FNAME]"] == "Nia"
    assert profile["data[merges][LNAME]"] == "Obi"
    assert upemail["data[old_email]"] == "new@example.com"
    assert upemail["data[new_email]"] == "nia@example.com"
    assert upemail["data[new_id]"] == subscriber_hash("nia@example.com")
    assert upemail["data[list_id]"] == audience.list_id
    assert cleaned["data[reason]"] == "hard"
    assert cleaned["data[email]"] == "nia@example.com"
    assert "data[campaign_id]" in cleaned


def test_api_writes_do_not_echo_when_api_source_is_off(
    sim: Simulator, api: httpx.Client, audience: SimList, receiver: Receiver
) -> None:
    _hook(api, audience, receiver.url)
    api.post(f"/lists/{audience.list_id}", json={"members": [
        {"email_address": "a@example.com", "status": "subscribed"},
    ]})  # fmt: skip
    api.patch(
        f"/lists/{audience.list_id}/members/a@example.com", json={"merge_fields": {"FNAME": "A"}}
    )
    api.patch(f"/lists/{audience.list_id}/members/a@example.com", json={"status": "unsubscribed"})
    assert sim.wait_deliveries(5)
    assert receiver.posts() == []


def test_api_writes_echo_when_api_source_is_on(
    sim: Simulator, api: httpx.Client, audience: SimList, receiver: Receiver
) -> None:
    _hook(api, audience, receiver.url, sources={"user": True, "admin": True, "api": True})
    api.post(
        f"/lists/{audience.list_id}/members",
        json={"email_address": "a@example.com", "status": "subscribed"},
    )
    api.patch(f"/lists/{audience.list_id}/members/a@example.com", json={"status": "unsubscribed"})
    assert sim.wait_deliveries(5)
    assert _types(receiver) == ["subscribe", "unsubscribe"]


def test_source_and_event_filters(
    sim: Simulator, api: httpx.Client, audience: SimList, receiver: Receiver
) -> None:
    hook = _hook(api, audience, receiver.url, sources={"user": False, "admin": True, "api": False})
    sim.signup(audience.list_id, "a@example.com")  # user: filtered out
    sim.signup(audience.list_id, "b@example.com", source="admin")
    sim.edit_webhook(audience.list_id, hook.json()["id"], events={"subscribe": False})
    sim.signup(audience.list_id, "c@example.com", source="admin")  # event off
    assert sim.wait_deliveries(5)
    assert [r.fields["data[email]"] for r in receiver.posts()] == ["b@example.com"]


def test_failed_deliveries_are_retried(
    sim: Simulator, api: httpx.Client, audience: SimList, receiver: Receiver
) -> None:
    _hook(api, audience, receiver.url)
    receiver.post_statuses[:] = [500, 503]
    sim.signup(audience.list_id, "a@example.com")
    assert sim.wait_deliveries(5)
    posts = receiver.posts()
    assert len(posts) == 3
    assert posts[0].body == posts[2].body
    assert [d.status for d in sim.deliveries] == [500, 503, 200]
    assert [d.attempt for d in sim.deliveries] == [1, 2, 3]
    assert sim.stats.deliveries_attempted == 3
    assert sim.stats.deliveries_succeeded == 1


def test_retries_stop_after_the_schedule(
    sim: Simulator, api: httpx.Client, audience: SimList, receiver: Receiver
) -> None:
    _hook(api, audience, receiver.url)
    receiver.post_statuses[:] = [500, 500, 500, 500]
    sim.signup(audience.list_id, "a@example.com")
    assert sim.wait_deliveries(5)
    assert len(receiver.posts()) == 1 + len(sim.retry_delays)


def test_410_disables_the_webhook(
    sim: Simulator, api: httpx.Client, audience: SimList, receiver: Receiver
) -> None:
    _hook(api, audience, receiver.url)
    receiver.post_statuses[:] = [410]
    sim.signup(audience.list_id, "a@example.com")
    assert sim.wait_deliveries(5)
    sim.signup(audience.list_id, "b@example.com")
    assert sim.wait_deliveries(5)
    assert len(receiver.posts()) == 1
    assert api.get(f"/lists/{audience.list_id}/webhooks").json()["total_items"] == 0


def test_capture_with_a_transport(audience: SimList) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    sim = Simulator(delivery_transport=httpx.MockTransport(handler))
    acct = sim.create_account(login="t@example.com", account_name="T")
    lst = sim.create_list(acct.account_id, name="calendarspots")
    token = sim.issue_token(acct.account_id)

    async def scenario() -> Any:
        transport = httpx.ASGITransport(app=sim.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim/3.0",
                                     headers={"Authorization": f"Bearer {token}"}) as client:  # fmt: skip
            made = await client.post(
                f"/lists/{lst.list_id}/webhooks", json={"url": "https://hooks.example.com/x"}
            )
            sim.signup(lst.list_id, "z@example.com")
            assert await sim.deliveries_idle(5)
            return made

    import asyncio

    made = asyncio.run(scenario())
    sim.close()
    assert made.status_code == 200
    assert made.json()["sources"] == NO_API  # default sources: user + admin
    assert [r.method for r in seen] == ["GET", "POST"]
    assert b"type=subscribe" in seen[1].content
