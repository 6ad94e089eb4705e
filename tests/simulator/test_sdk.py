from __future__ import annotations

from typing import Any

import mailchimp_marketing
import pytest
from mailchimp_marketing.api_client import ApiClientError

from calendarspots_mailchimp.simulator import RunningSimulator, SimList, Simulator, subscriber_hash

Receiver = Any  # the `receiver` fixture (conftest.py)


@pytest.fixture
def client(running: RunningSimulator, token: str) -> Any:
    sdk = mailchimp_marketing.Client()
    sdk.set_config({"access_token": token, "server": "us1"})
    # mailchimp-marketing 3.0.80 keeps the base URL on api_client.host (no .configuration).
    sdk.api_client.host = running.url + "/3.0"
    return sdk


def test_official_sdk_round_trip(
    sim: Simulator, client: Any, audience: SimList, receiver: Receiver
) -> None:
    assert client.ping.get() == {"health_status": "Everything's Chimpy!"}
    lists = client.lists.get_all_lists(fields=["lists.id", "lists.name", "total_items"])
    assert lists == {"lists": [{"id": audience.list_id, "name": "calendarspots"}], "total_items": 1}
    fields = client.lists.get_list_merge_fields(audience.list_id, count=100)
    assert {f["tag"] for f in fields["merge_fields"]} >= {"FNAME", "LNAME", "BIRTHDAY"}
    batch = client.lists.batch_list_members(audience.list_id, {
        "members": [
            {"email_address": "ann@example.com", "status": "subscribed",
             "merge_fields": {"FNAME": "Ann", "BIRTHDAY": "05/15"}},
            {"email_address": "bad@example.com", "status": "subscribed",
             "merge_fields": {"BIRTHDAY": "1990-05-15"}},
        ],
        "update_existing": False,
    })  # fmt: skip
    assert batch["total_created"] == 1
    assert batch["errors"][0]["field"] == "BIRTHDAY"
    upsert = client.lists.set_list_member(
        audience.list_id,
        subscriber_hash("ann@example.com"),
        {"email_address": "ann@example.com", "status_if_new": "subscribed",
         "merge_fields": {"LNAME": "Lee"}},
    )  # fmt: skip
    assert upsert["merge_fields"]["LNAME"] == "Lee"
    hook = client.lists.create_list_webhook(audience.list_id, {
        "url": receiver.url,
        "events": {"subscribe": True, "unsubscribe": True, "profile": True, "cleaned": True,
                   "upemail": True, "campaign": False},
        "sources": {"user": True, "admin": True, "api": False},
    })  # fmt: skip
    assert hook["url"] == receiver.url
    assert len(receiver.gets()) == 1


def test_sdk_sees_problem_documents(client: Any, audience: SimList) -> None:
    with pytest.raises(ApiClientError) as caught:
        client.lists.add_list_member(
            audience.list_id, {"email_address": "x@example.invalid", "status": "subscribed"}
        )
    assert caught.value.status_code == 400
    assert "looks fake or invalid" in caught.value.text
