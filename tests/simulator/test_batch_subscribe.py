from __future__ import annotations

from typing import Any

import httpx

from calendarspots_mailchimp.core.model import subscriber_hash
from calendarspots_mailchimp.simulator import SimList, Simulator

COMPLIANCE = (
    "{} is in a compliance state due to unsubscribe, bounce, or compliance review "
    "and cannot be subscribed."
)


def _batch(
    api: httpx.Client, audience: SimList, members: list[dict[str, Any]], **extra: Any
) -> Any:
    params = extra.pop("params", None)
    answer = api.post(
        f"/lists/{audience.list_id}", json={"members": members, **extra}, params=params
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _m(email: str, status: str = "subscribed", **merges: str) -> dict[str, Any]:
    return {"email_address": email, "status": status, "merge_fields": merges}


def test_new_members_are_created_with_their_status(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    body = _batch(api, audience, [
        _m("ann@example.com", FNAME="Ann", LNAME="Lee", BIRTHDAY="05/15"),
        _m("bob@example.com", "pending"),
        _m("cid@example.com", "unsubscribed"),
    ])  # fmt: skip
    assert body["total_created"] == 3
    assert body["total_updated"] == 0
    assert body["error_count"] == 0
    ann = body["new_members"][0]
    assert ann["merge_fields"] == {
        "FNAME": "Ann", "LNAME": "Lee", "ADDRESS": "", "PHONE": "", "BIRTHDAY": "05/15",
    }  # fmt: skip
    assert "EMAIL" not in ann["merge_fields"]
    assert ann["last_changed"].endswith("+00:00")
    statuses = {m["email_address"]: m["status"] for m in sim.members(audience.list_id)}
    assert statuses == {
        "ann@example.com": "subscribed", "bob@example.com": "pending", "cid@example.com": "unsubscribed",
    }  # fmt: skip
    assert sim.stats.member_writes == 3


def test_existing_without_update_existing_is_contact_exists(
    api: httpx.Client, audience: SimList
) -> None:
    _batch(api, audience, [_m("ann@example.com")])
    body = _batch(api, audience, [_m("Ann@Example.com", FNAME="Changed")])
    assert body["error_count"] == 1
    error = body["errors"][0]
    assert error["error_code"] == "ERROR_CONTACT_EXISTS"
    assert error["error"] == (
        "Ann@Example.com is already a list member, do you want to update? "
        "please provide update_existing:true in the request body"
    )


def test_update_existing_updates_merges_and_status(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    _batch(api, audience, [_m("ann@example.com", FNAME="Ann")])
    body = _batch(
        api, audience, [_m("ann@example.com", "unsubscribed", FNAME="Anne")], update_existing=True
    )
    assert body["total_updated"] == 1
    assert body["updated_members"][0]["merge_fields"]["FNAME"] == "Anne"
    assert body["updated_members"][0]["status"] == "unsubscribed"


def test_opted_out_members_cannot_be_resubscribed(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    _batch(api, audience, [_m("out@example.com"), _m("bounce@example.com")])
    sim.unsubscribe(audience.list_id, "out@example.com")
    sim.clean(audience.list_id, "bounce@example.com")
    body = _batch(
        api,
        audience,
        [_m("out@example.com", FNAME="X"), _m("out@example.com", "pending"),
         _m("bounce@example.com")],
        update_existing=True,
        params={"skip_duplicate_check": "false"},
    )  # fmt: skip
    # the duplicate makes both out@ entries errors; bounce@ is refused for compliance
    assert body["total_updated"] == 0
    assert body["error_count"] == 3
    body = _batch(
        api, audience, [_m("out@example.com", FNAME="X"), _m("bounce@example.com", "pending")],
        update_existing=True,
    )  # fmt: skip
    assert [e["error"] for e in body["errors"]] == [
        COMPLIANCE.format("out@example.com"),
        COMPLIANCE.format("bounce@example.com"),
    ]
    assert {e["error_code"] for e in body["errors"]} == {"ERROR_GENERIC"}
    member = sim.member(audience.list_id, "out@example.com")
    assert member is not None
    assert member["status"] == "unsubscribed"
    assert member["merge_fields"]["FNAME"] == ""  # nothing changed for that member


def test_cleaned_members_cannot_be_edited(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    _batch(api, audience, [_m("bounce@example.com")])
    sim.clean(audience.list_id, "bounce@example.com")
    body = _batch(
        api, audience, [_m("bounce@example.com", "unsubscribed", FNAME="B")], update_existing=True
    )
    assert body["error_count"] == 1
    assert "cleaned" in body["errors"][0]["error"]


def test_unsubscribed_member_may_stay_unsubscribed_with_new_merges(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    _batch(api, audience, [_m("out@example.com")])
    sim.unsubscribe(audience.list_id, "out@example.com")
    body = _batch(
        api, audience, [_m("out@example.com", "unsubscribed", FNAME="O")], update_existing=True
    )
    assert body["total_updated"] == 1


def test_fake_forgotten_and_invalid_merge_values(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    sim.fake_addresses.add("test@mailinator.com")
    _batch(api, audience, [_m("gone@example.com")])
    assert (
        api.post(
            f"/lists/{audience.list_id}/members/gone@example.com/actions/delete-permanent"
        ).status_code
        == 204
    )
    body = _batch(api, audience, [
        _m("not-an-address"),
        _m("someone@example.invalid"),
        _m("test@mailinator.com"),
        _m("gone@example.com", "pending"),
        _m("bday1@example.com", BIRTHDAY="1990-05-15"),
        _m("bday2@example.com", BIRTHDAY="13/40"),
        _m("ok@example.com", BIRTHDAY="12/31", UNKNOWN="ignored"),
    ])  # fmt: skip
    errors = {e["email_address"]: e for e in body["errors"]}
    for email in ("not-an-address", "someone@example.invalid", "test@mailinator.com"):
        assert (
            errors[email]["error"]
            == f"{email} looks fake or invalid, please enter a real email address."
        )
    assert errors["gone@example.com"]["error"].startswith(
        "gone@example.com was permanently deleted and cannot be re-imported."
    )
    for email in ("bday1@example.com", "bday2@example.com"):
        assert errors[email]["field"] == "BIRTHDAY"
        assert errors[email]["field_message"] == "Please enter a month (01-12) and a day (01-31)"
    assert [m["email_address"] for m in body["new_members"]] == ["ok@example.com"]
    assert "UNKNOWN" not in body["new_members"][0]["merge_fields"]


def test_duplicates_refused_unless_skip_duplicate_check(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    members = [_m("dup@example.com", FNAME="First"), _m("DUP@example.com", FNAME="Second")]
    refused = _batch(api, audience, members)
    assert refused["error_count"] == 2
    assert sim.member(audience.list_id, "dup@example.com") is None
    kept = _batch(api, audience, members, params={"skip_duplicate_check": "true"})
    assert kept["total_created"] == 1
    assert kept["new_members"][0]["merge_fields"]["FNAME"] == "First"


def test_limits_and_required_fields(api: httpx.Client, audience: SimList) -> None:
    too_many = [_m(f"p{i}@example.com") for i in range(501)]
    answer = api.post(f"/lists/{audience.list_id}", json={"members": too_many})
    assert answer.status_code == 400
    assert answer.json()["title"] == "Invalid Resource"
    exactly = api.post(f"/lists/{audience.list_id}", json={"members": too_many[:500]})
    assert exactly.json()["total_created"] == 500
    no_status = api.post(
        f"/lists/{audience.list_id}", json={"members": [{"email_address": "x@example.com"}]}
    )
    assert no_status.status_code == 400
    bad_status = api.post(
        f"/lists/{audience.list_id}",
        json={"members": [{"email_address": "x@example.com", "status": "archived"}]},
    )
    assert bad_status.status_code == 400
    assert api.post("/lists/nope", json={"members": []}).status_code == 404


def test_a_required_field_left_empty_is_refused_unless_validation_is_skipped(
    api: httpx.Client, audience: SimList
) -> None:
    fname = next(f for f in audience.merge_fields.values() if f.tag == "FNAME")
    patched = api.patch(
        f"/lists/{audience.list_id}/merge-fields/{fname.merge_id}", json={"required": True}
    )
    assert patched.status_code == 200, patched.text
    members = [_m("blank@example.com", FNAME=""), _m("absent@example.com")]
    refused = _batch(api, audience, members)
    assert refused["error_count"] == 2
    assert {(e["field"], e["field_message"]) for e in refused["errors"]} == {
        ("FNAME", "Please enter a value")
    }
    kept = _batch(api, audience, members, params={"skip_merge_validation": "true"})
    assert kept["total_created"] == 2
    put = api.put(
        f"/lists/{audience.list_id}/members/{subscriber_hash('blank@example.com')}",
        json={
            "email_address": "blank@example.com",
            "status_if_new": "subscribed",
            "merge_fields": {"FNAME": ""},
        },
    )
    assert put.status_code == 400, put.text
    assert "FNAME" in put.text
