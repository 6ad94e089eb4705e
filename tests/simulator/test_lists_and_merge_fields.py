from __future__ import annotations

import httpx
import pytest

from calendarspots_mailchimp.simulator import Account, SimList, Simulator

NEW_LIST = {
    "name": "second",
    "contact": {
        "company": "Salon",
        "address1": "1 rue",
        "city": "Montreal",
        "state": "QC",
        "zip": "H2X",
        "country": "CA",
    },
    "permission_reminder": "You booked with us.",
    "campaign_defaults": {
        "from_name": "Salon",
        "from_email": "salon@example.com",
        "subject": "",
        "language": "fr",
    },
    "email_type_option": False,
}


def _problem(answer: httpx.Response, status: int, title: str) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["title"] == title
    assert body["status"] == status
    assert {"type", "detail", "instance"} <= set(body)
    return dict(body)


def test_root_and_ping(api: httpx.Client, account: Account) -> None:
    assert api.get("/ping").json() == {"health_status": "Everything's Chimpy!"}
    assert api.get("/").json()["account_name"] == "Salon Belle"


def test_lists_are_per_account(sim: Simulator, api: httpx.Client, audience: SimList) -> None:
    other = sim.create_account(login="o@example.com", account_name="O")
    hidden = sim.create_list(other.account_id, name="calendarspots")
    body = api.get("/lists").json()
    assert [lst["id"] for lst in body["lists"]] == [audience.list_id]
    assert body["total_items"] == 1
    assert body["lists"][0]["stats"]["merge_field_count"] == 5
    _problem(api.get(f"/lists/{hidden.list_id}"), 404, "Resource Not Found")


def test_fields_and_exclude_fields_filter_the_json(api: httpx.Client, audience: SimList) -> None:
    body = api.get("/lists", params={"fields": "lists.id,lists.name,total_items"}).json()
    assert body == {"lists": [{"id": audience.list_id, "name": "calendarspots"}], "total_items": 1}
    excluded = api.get("/lists", params={"exclude_fields": "lists.stats,lists._links,_links"})
    first = excluded.json()["lists"][0]
    assert "stats" not in first
    assert "_links" not in first
    assert first["name"] == "calendarspots"
    assert "_links" not in excluded.json()
    nested = api.get(f"/lists/{audience.list_id}", params={"fields": "stats.member_count,name"})
    assert nested.json() == {"name": "calendarspots", "stats": {"member_count": 0}}


def test_count_and_offset(sim: Simulator, api: httpx.Client, account: Account) -> None:
    for index in range(12):
        sim.create_list(account.account_id, name=f"l{index}")
    assert len(api.get("/lists").json()["lists"]) == 10  # default count
    page = api.get("/lists", params={"count": 5, "offset": 10}).json()
    assert [lst["name"] for lst in page["lists"]] == ["l10", "l11"]
    assert page["total_items"] == 12
    assert api.get("/lists", params={"count": 1000}).status_code == 200
    _problem(api.get("/lists", params={"count": 1001}), 400, "Invalid Resource")


def test_unknown_routes_wrong_json_and_methods(api: httpx.Client, audience: SimList) -> None:
    _problem(api.get("/campaigns/x/nothing"), 404, "Resource Not Found")
    wrong = api.post(
        f"/lists/{audience.list_id}/members",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    _problem(wrong, 400, "JSON Parse Error")
    _problem(api.put(f"/lists/{audience.list_id}"), 405, "Method Not Allowed")


def test_create_patch_delete_list(api: httpx.Client) -> None:
    created = api.post("/lists", json=NEW_LIST)
    assert created.status_code == 200
    list_id = created.json()["id"]
    tags = [f["tag"] for f in api.get(f"/lists/{list_id}/merge-fields").json()["merge_fields"]]
    assert tags == ["FNAME", "LNAME", "ADDRESS", "PHONE"]
    renamed = api.patch(f"/lists/{list_id}", json={"name": "renamed"})
    assert renamed.json()["name"] == "renamed"
    assert api.delete(f"/lists/{list_id}").status_code == 204
    _problem(api.get(f"/lists/{list_id}"), 404, "Resource Not Found")


@pytest.mark.parametrize("missing", ["name", "contact", "permission_reminder", "campaign_defaults"])
def test_create_list_requires_fields(api: httpx.Client, missing: str) -> None:
    body = {k: v for k, v in NEW_LIST.items() if k != missing}
    problem = _problem(api.post("/lists", json=body), 400, "Invalid Resource")
    assert problem["errors"] == [{"field": missing, "message": "This value should not be blank."}]


def test_default_merge_fields(api: httpx.Client, audience: SimList) -> None:
    body = api.get(f"/lists/{audience.list_id}/merge-fields").json()
    by_tag = {f["tag"]: f for f in body["merge_fields"]}
    assert list(by_tag) == ["FNAME", "LNAME", "ADDRESS", "PHONE", "BIRTHDAY"]
    assert by_tag["FNAME"]["name"] == "First Name"
    assert by_tag["FNAME"]["type"] == "text"
    assert by_tag["ADDRESS"]["type"] == "address"
    assert by_tag["BIRTHDAY"]["type"] == "birthday"
    assert by_tag["BIRTHDAY"]["options"]["date_format"] == "MM/DD"
    assert body["total_items"] == 5


def test_merge_field_crud(api: httpx.Client, audience: SimList) -> None:
    base = f"/lists/{audience.list_id}/merge-fields"
    created = api.post(base, json={"name": "Favourite colour", "type": "text"})
    assert created.status_code == 200
    field = created.json()
    assert field["tag"] == "FAVOURITEC"
    _problem(
        api.post(base, json={"name": "x", "type": "text", "tag": "FNAME"}), 400, "Invalid Resource"
    )
    _problem(api.post(base, json={"name": "x", "type": "colour"}), 400, "Invalid Resource")
    _problem(api.post(base, json={"type": "text"}), 400, "Invalid Resource")
    bday = api.post(base, json={"name": "Anniversary", "type": "birthday", "tag": "ANNIV"}).json()
    assert bday["options"]["date_format"] == "MM/DD"
    merge_id = field["merge_id"]
    patched = api.patch(f"{base}/{merge_id}", json={"name": "Colour"})
    assert patched.json()["name"] == "Colour"
    assert api.get(f"{base}/{merge_id}").json()["name"] == "Colour"
    assert api.delete(f"{base}/{merge_id}").status_code == 204
    _problem(api.get(f"{base}/{merge_id}"), 404, "Resource Not Found")
