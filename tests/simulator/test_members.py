from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from calendarspots_mailchimp.simulator import (
    SimList,
    Simulator,
    serve_in_thread,
    subscriber_hash,
)


def _post(
    api: httpx.Client, audience: SimList, email: str, status: str = "subscribed", **merges: str
) -> httpx.Response:
    body = {"email_address": email, "status": status, "merge_fields": merges}
    return api.post(f"/lists/{audience.list_id}/members", json=body)


def _url(audience: SimList, key: str) -> str:
    return f"/lists/{audience.list_id}/members/{key}"


def test_subscriber_hash_vector() -> None:
    # docs/mailchimp-api.md §4.1 test vector.
    assert subscriber_hash("Urist.McVankab@freddiesjokes.com") == "62eeb292278cc15f5817cb78f7790b08"


def test_post_get_and_member_exists(api: httpx.Client, audience: SimList) -> None:
    created = _post(api, audience, "Ann@Example.com", FNAME="Ann")
    assert created.status_code == 200
    member = created.json()
    assert member["id"] == subscriber_hash("ann@example.com")
    assert member["list_id"] == audience.list_id
    assert member["unique_email_id"]
    assert api.get(_url(audience, member["id"])).json()["email_address"] == "Ann@Example.com"
    assert api.get(_url(audience, "ann@example.com")).json()["id"] == member["id"]
    again = _post(api, audience, "ann@example.com")
    assert again.status_code == 400
    assert again.json()["title"] == "Member Exists"
    assert again.json()["detail"] == (
        "ann@example.com is already a list member. Use PUT to insert or update list members."
    )
    assert api.get(_url(audience, subscriber_hash("nobody@example.com"))).status_code == 404
    missing_status = api.post(
        f"/lists/{audience.list_id}/members", json={"email_address": "z@example.com"}
    )
    assert missing_status.status_code == 400


def test_single_member_refusals(sim: Simulator, api: httpx.Client, audience: SimList) -> None:
    fake = _post(api, audience, "x@example.invalid")
    assert fake.status_code == 400
    assert (
        fake.json()["detail"]
        == "x@example.invalid looks fake or invalid, please enter a real email address."
    )
    bday = _post(api, audience, "b@example.com", BIRTHDAY="1990-05-15")
    assert bday.status_code == 400
    assert bday.json()["title"] == "Invalid Resource"
    assert bday.json()["errors"] == [
        {"field": "BIRTHDAY", "message": "Please enter a month (01-12) and a day (01-31)"}
    ]


def test_put_upserts_and_status_if_new_never_changes_existing(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    key = subscriber_hash("ann@example.com")
    new = api.put(_url(audience, key), json={
        "email_address": "ann@example.com", "status_if_new": "subscribed",
        "merge_fields": {"FNAME": "Ann"},
    })  # fmt: skip
    assert new.status_code == 200
    assert new.json()["status"] == "subscribed"
    sim.unsubscribe(audience.list_id, "ann@example.com")
    kept = api.put(_url(audience, key), json={
        "email_address": "ann@example.com", "status_if_new": "subscribed",
        "merge_fields": {"FNAME": "Anne"},
    })  # fmt: skip
    assert kept.status_code == 200
    assert kept.json()["status"] == "unsubscribed"
    assert kept.json()["merge_fields"]["FNAME"] == "Anne"
    forced = api.put(
        _url(audience, key), json={"email_address": "ann@example.com", "status": "subscribed"}
    )
    assert forced.status_code == 400
    assert forced.json()["title"] == "Member In Compliance State"
    assert forced.json()["detail"] == (
        "ann@example.com is in a compliance state due to unsubscribe, bounce, or compliance "
        "review and cannot be subscribed."
    )


def test_put_validation(api: httpx.Client, audience: SimList) -> None:
    key = subscriber_hash("ann@example.com")
    no_status = api.put(_url(audience, key), json={"email_address": "ann@example.com"})
    assert no_status.status_code == 400
    assert no_status.json()["errors"][0]["field"] == "status_if_new"
    no_email = api.put(_url(audience, key), json={"status_if_new": "subscribed"})
    assert no_email.status_code == 400
    assert no_email.json()["errors"][0]["field"] == "email_address"
    mismatch = api.put(
        _url(audience, key),
        json={"email_address": "bob@example.com", "status_if_new": "subscribed"},
    )
    assert mismatch.status_code == 400
    assert mismatch.json()["detail"].startswith("The resource submitted could not be validated")
    assert mismatch.json()["errors"][0]["field"] == "email_address"


def test_patch_changes_email_and_merges(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    _post(api, audience, "old@example.com", FNAME="Old")
    _post(api, audience, "taken@example.com")
    changed = api.patch(_url(audience, "old@example.com"), json={
        "email_address": "new@example.com", "merge_fields": {"FNAME": "New"},
    })  # fmt: skip
    assert changed.status_code == 200
    assert changed.json()["id"] == subscriber_hash("new@example.com")
    assert changed.json()["merge_fields"]["FNAME"] == "New"
    assert api.get(_url(audience, "old@example.com")).status_code == 404
    taken = api.patch(
        _url(audience, "new@example.com"), json={"email_address": "taken@example.com"}
    )
    assert taken.status_code == 400
    sim.unsubscribe(audience.list_id, "taken@example.com")
    opted_out = api.patch(
        _url(audience, "taken@example.com"), json={"email_address": "t2@example.com"}
    )
    assert opted_out.status_code == 400
    assert opted_out.json()["title"] == "Invalid Resource"
    resub = api.patch(_url(audience, "taken@example.com"), json={"status": "subscribed"})
    assert resub.json()["title"] == "Member In Compliance State"


def test_archive_and_delete_permanent(sim: Simulator, api: httpx.Client, audience: SimList) -> None:
    _post(api, audience, "arch@example.com")
    _post(api, audience, "pend@example.com", "pending")
    assert api.delete(_url(audience, "arch@example.com")).status_code == 204
    assert api.get(_url(audience, "arch@example.com")).json()["status"] == "archived"
    listed = api.get(f"/lists/{audience.list_id}/members").json()
    assert [m["email_address"] for m in listed["members"]] == ["pend@example.com"]
    archived = api.get(f"/lists/{audience.list_id}/members", params={"status": "archived"}).json()
    assert [m["email_address"] for m in archived["members"]] == ["arch@example.com"]
    for key in ("arch@example.com", "pend@example.com"):
        refused = api.delete(_url(audience, key))
        assert refused.status_code == 405
        assert (
            "Can not archive a contact that is bounced, pending or archived"
            in refused.json()["detail"]
        )
    readded = _post(api, audience, "arch@example.com")
    assert readded.status_code == 200
    assert readded.json()["status"] == "subscribed"
    forget = api.post(_url(audience, "arch@example.com") + "/actions/delete-permanent")
    assert forget.status_code == 204
    assert api.get(_url(audience, "arch@example.com")).status_code == 404
    again = _post(api, audience, "arch@example.com")
    assert again.json()["title"] == "Forgotten Email Not Subscribed"
    assert len(sim.members(audience.list_id)) == 1


def test_archived_unsubscriber_stays_in_compliance(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    _post(api, audience, "out@example.com")
    sim.unsubscribe(audience.list_id, "out@example.com")
    assert api.delete(_url(audience, "out@example.com")).status_code == 204
    assert _post(api, audience, "out@example.com").json()["title"] == "Member In Compliance State"


def _members(client: httpx.Client, audience: SimList, **params: Any) -> list[str]:
    body = client.get(f"/lists/{audience.list_id}/members", params={"count": 1000, **params}).json()
    return [m["email_address"] for m in body["members"]]


def test_filters_status_and_since_last_changed(
    sim: Simulator, audience: SimList, token: str
) -> None:
    now = [datetime(2025, 3, 1, 12, 0, tzinfo=UTC)]
    sim.store.clock = lambda: now[0]
    with (
        serve_in_thread(sim) as handle,
        httpx.Client(
            base_url=handle.url + "/3.0", headers={"Authorization": f"Bearer {token}"}
        ) as client,
    ):
        _post(client, audience, "early@example.com")
        now[0] += timedelta(hours=1)
        _post(client, audience, "late@example.com")
        _post(client, audience, "out@example.com")
        sim.unsubscribe(audience.list_id, "out@example.com")
        assert _members(client, audience, since_last_changed="2025-03-01T12:30:00+00:00") == [
            "late@example.com", "out@example.com",
        ]  # fmt: skip
        assert _members(client, audience, since_last_changed="2025-03-01T12:30:00") == [
            "late@example.com", "out@example.com",
        ]  # fmt: skip
        assert _members(client, audience, since_last_changed="2025-03-01T08:30:00-04:00") == [
            "late@example.com", "out@example.com",
        ]  # fmt: skip
        assert _members(client, audience, status="unsubscribed") == ["out@example.com"]
        # Both filters hold together: only the opt-outs changed since, not the other writes.
        since = {"since_last_changed": "2025-03-01T12:30:00Z"}
        assert _members(client, audience, status="unsubscribed", **since) == ["out@example.com"]
        assert _members(client, audience, status="subscribed", **since) == ["late@example.com"]
        assert _members(client, audience, status="unsubscribed", since_last_changed="2025-03-01T13:00:00Z") == []  # fmt: skip
        assert _members(client, audience, unsubscribed_since="2025-03-01T12:30:00Z") == [
            "out@example.com"
        ]
        # "Changed after" compares at the second MailChimp shows: a member changed at
        # 13:00:00.4 (shown as 13:00:00) is not changed after 13:00:00.
        now[0] += timedelta(milliseconds=400)
        _post(client, audience, "same-second@example.com")
        shown = client.get(_url(audience, "same-second@example.com")).json()["last_changed"]
        assert shown == "2025-03-01T13:00:00+00:00"
        assert _members(client, audience, since_last_changed=shown) == []
        assert _members(client, audience, since_last_changed="2025-03-01T12:59:59Z") == [
            "late@example.com", "out@example.com", "same-second@example.com",
        ]  # fmt: skip
        bad = client.get(
            f"/lists/{audience.list_id}/members", params={"since_last_changed": "yesterday"}
        )
        assert bad.status_code == 400
        page = client.get(
            f"/lists/{audience.list_id}/members",
            params={"count": 1, "offset": 1, "fields": "members.email_address,total_items"},
        ).json()
        assert page == {"members": [{"email_address": "late@example.com"}], "total_items": 4}


@pytest.mark.parametrize(
    "status", ["subscribed", "unsubscribed", "pending", "cleaned", "transactional"]
)
def test_every_writable_status_is_accepted(
    api: httpx.Client, audience: SimList, status: str
) -> None:
    assert _post(api, audience, f"{status}@example.com", status).json()["status"] == status
