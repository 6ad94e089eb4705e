"""The httpx MailChimp adapter against the bundled simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from calendarspots_mailchimp.core.model import MemberStatus, MergeField
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceNotFound,
    MailChimpUnavailable,
    MemberErrorKind,
    MemberWrite,
    TokenRevoked,
    WebhookSpec,
)
from calendarspots_mailchimp.simulator import Fault

REDIRECT = "http://127.0.0.1:1/oauth/mailchimp/callback"


def clients(
    n: int, start: int = 0, status: MemberStatus = MemberStatus.SUBSCRIBED
) -> list[MemberWrite]:
    return [
        MemberWrite(
            f"client{i}@salon.example",
            status,
            {"FNAME": f"First{i}", "LNAME": f"Last{i}", "BIRTHDAY": "05/15"},
        )
        for i in range(start, start + n)
    ]


def test_oauth_round_trip(world: Any) -> None:
    oauth = world.connector().oauth
    url = oauth.authorize_url(REDIRECT, "state-123")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == ["sim-client"]
    assert query["state"] == ["state-123"]
    # The simulator approves at once and sends the browser back with a code.
    with httpx.Client() as browser:
        answer = browser.get(url, follow_redirects=False)
    assert answer.status_code in (302, 303)
    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert back["state"] == ["state-123"]
    token = oauth.exchange_code(back["code"][0], REDIRECT)
    meta = oauth.metadata(token)
    assert meta.api_endpoint.rstrip("/") == world.url
    account = world.open_account(meta.api_endpoint, token)
    assert [a.name for a in account.audiences()] == ["calendarspots"]


def test_a_revoked_token_is_reported(world: Any) -> None:
    world.sim.revoke_tokens(world.account_id)
    connector = world.connector()
    with pytest.raises(TokenRevoked):
        connector.oauth.metadata(world.token)
    with pytest.raises(TokenRevoked):
        world.open_account(world.url, world.token).audiences()


def test_merge_fields_are_read_and_created(world: Any) -> None:
    account = world.account()
    tags = {f.tag: f.type for f in account.merge_fields(world.list_id)}
    assert tags["BIRTHDAY"] == "birthday"
    created = account.create_merge_field(world.list_id, MergeField("NICK", "Nickname", "text"))
    assert created.tag == "NICK"
    assert created.merge_id is not None
    assert "NICK" in {f.tag for f in account.merge_fields(world.list_id)}


def test_1200_members_in_three_calls(world: Any) -> None:
    account = world.account()
    members = clients(1200)
    batches = [members[i : i + 500] for i in range(0, 1200, 500)]
    results = list(account.batch_subscribe(world.list_id, batches))
    assert account.api_calls == 3
    assert sum(len(r.created) for _, r in results) == 1200
    assert all(not r.errors for _, r in results)
    listed = list(account.members(world.list_id))
    assert len(listed) == 1200
    assert {m.status for m in listed} == {MemberStatus.SUBSCRIBED}
    # A second push of the same members updates them.
    again = list(account.batch_subscribe(world.list_id, [members[:10]]))
    assert len(again[0][1].updated) == 10


def test_per_member_errors_are_reported(world: Any) -> None:
    account = world.account()
    bad_birthday = MemberWrite(
        "bday@salon.example",
        MemberStatus.SUBSCRIBED,
        {"FNAME": "", "LNAME": "", "BIRTHDAY": "1990-05-15"},
    )
    ((_, result),) = list(account.batch_subscribe(world.list_id, [[*clients(2), bad_birthday]]))
    assert len(result.created) == 2
    (error,) = result.errors
    assert error.email == "bday@salon.example"
    assert error.kind is MemberErrorKind.MERGE_FIELDS
    assert error.field == "BIRTHDAY"


@pytest.mark.R10
def test_upsert_never_resubscribes(world: Any) -> None:
    account = world.account()
    (member,) = clients(1)
    account.upsert_member(world.list_id, member)
    list(
        account.batch_subscribe(
            world.list_id,
            [[MemberWrite(member.email, MemberStatus.UNSUBSCRIBED, member.merge_fields)]],
        )
    )
    state = account.upsert_member(world.list_id, member)
    assert state.status is MemberStatus.UNSUBSCRIBED
    fetched = account.get_member(world.list_id, member.email.upper())
    assert fetched is not None
    assert fetched.status is MemberStatus.UNSUBSCRIBED
    puts = world.transport.bodies("PUT", "/members/")
    assert len(puts) == 2
    assert all("status" not in body for body in puts)
    assert all(body["status_if_new"] == "subscribed" for body in puts)
    unsubscribed = list(account.members(world.list_id, status=MemberStatus.UNSUBSCRIBED))
    assert [m.email for m in unsubscribed] == [member.email]


def test_change_email_and_archive(world: Any) -> None:
    account = world.account()
    (member,) = clients(1)
    account.upsert_member(world.list_id, member)
    moved = account.change_email(
        world.list_id, member.email, "moved@salon.example", {"FNAME": "Moved"}
    )
    assert moved.email == "moved@salon.example"
    assert account.get_member(world.list_id, member.email) is None
    account.archive_member(world.list_id, "moved@salon.example")
    account.archive_member(world.list_id, "never-there@salon.example")


def test_retry_after_is_honoured(world: Any) -> None:
    world.sim.inject_fault(Fault(status=429, count=3, retry_after=1))
    account = world.account()
    assert len(account.audiences()) == 1
    assert world.waits == [1.0, 1.0, 1.0]
    assert account.api_calls == 4


def test_5xx_then_success(world: Any) -> None:
    world.sim.inject_fault(Fault(status=503, count=1))
    world.sim.inject_fault(Fault(status=500, count=1))
    account = world.account()
    results = list(account.batch_subscribe(world.list_id, [clients(5)]))
    assert len(results[0][1].created) == 5
    assert account.api_calls == 3


def test_giving_up_is_unavailable(world: Any) -> None:
    world.sim.inject_fault(Fault(status=502, count=50))
    account = world.account(max_retries=3)
    with pytest.raises(MailChimpUnavailable):
        account.audiences()
    assert account.api_calls == 4
    assert len(world.waits) == 3


def test_concurrency_stays_within_max_connections(world: Any) -> None:
    world.sim.inject_fault(Fault(latency=0.05, count=40, method="POST"))
    account = world.account(max_connections=4)
    batches = [clients(20, 20 * i) for i in range(16)]
    results = list(account.batch_subscribe(world.list_id, batches))
    assert len(results) == 16
    peak = world.sim.stats.peak_concurrency[world.account_id]
    assert 1 < peak <= 4
    assert world.sim.stats.connections_refused == 0


def test_a_deleted_audience_is_reported(world: Any) -> None:
    account = world.account()
    world.sim.delete_list(world.list_id)
    with pytest.raises(AudienceNotFound):
        account.merge_fields(world.list_id)
    with pytest.raises(AudienceNotFound):
        account.get_member(world.list_id, "a@salon.example")


def test_webhooks_crud(world: Any, webhook_receiver: str) -> None:
    account = world.account()
    spec = WebhookSpec(
        f"{webhook_receiver}/webhooks/mailchimp/secret-part",
        frozenset({"subscribe", "unsubscribe", "profile", "cleaned", "upemail"}),
        frozenset({"user", "admin"}),
    )
    created = account.create_webhook(world.list_id, spec)
    assert created.matches(spec)
    (listed,) = account.webhooks(world.list_id)
    assert listed == created
    narrower = WebhookSpec(spec.url, frozenset({"unsubscribe"}), frozenset({"user"}))
    assert account.update_webhook(world.list_id, created.webhook_id, narrower).matches(narrower)
    account.delete_webhook(world.list_id, created.webhook_id)
    assert account.webhooks(world.list_id) == []
    account.delete_webhook(world.list_id, created.webhook_id)  # already gone is fine


def test_a_batch_whose_answer_was_lost_is_sent_again(world: Any) -> None:
    # The connection drops after MailChimp got the batch: re-sending is safe (update_existing).
    world.sim.inject_fault(Fault(drop=True, count=1, method="POST"))
    account = world.account()
    ((_, result),) = list(account.batch_subscribe(world.list_id, [clients(3)]))
    assert len(result.created) + len(result.updated) == 3
    assert not result.errors
    assert account.api_calls == 2
    assert len(list(account.members(world.list_id))) == 3
