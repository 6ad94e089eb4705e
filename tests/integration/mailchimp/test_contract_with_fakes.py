"""The same cases against the fake MailChimp account (tests/fakes.py) and the real adapter
talking to the bundled simulator over HTTP: the fake the use-case tests rely on answers as
MailChimp does for every call the plugin makes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fakes import FakeMailChimp

from calendarspots_mailchimp.core.model import MemberStatus, MergeField
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceNotFound,
    MailChimpError,
    MemberErrorKind,
    MemberWrite,
    WebhookSpec,
)

from .conftest import World


@dataclass
class Side:
    account: Any  # a MailChimpAccount
    list_id: str
    unsubscribe: Callable[[str], None]  # the member opts out in MailChimp


@pytest.fixture(params=["fake", "simulator"])
def side(request: pytest.FixtureRequest) -> Side:
    if request.param == "fake":
        mailchimp = FakeMailChimp()
        account = mailchimp.add_account()
        audience = mailchimp.add_audience(account)

        def opt_out(email: str) -> None:
            member = audience.members[email.lower()]
            audience.members[email.lower()] = type(member)(
                member.email, MemberStatus.UNSUBSCRIBED, member.last_changed, member.merge_fields
            )

        return Side(
            mailchimp.account("", mailchimp.issue_token(account)), audience.audience_id, opt_out
        )
    world: World = request.getfixturevalue("world")
    return Side(
        world.account(),
        world.list_id,
        lambda email: world.sim.unsubscribe(world.list_id, email),
    )


def write(email: str, status: MemberStatus = MemberStatus.SUBSCRIBED, **merges: str) -> MemberWrite:
    return MemberWrite(email, status, dict(merges))


def test_batch_subscribe_creates_then_updates(side: Side) -> None:
    account, list_id = side.account, side.list_id
    [(_, first)] = account.batch_subscribe(list_id, [[write("ann@example.com", FNAME="Ann")]])
    [(_, second)] = account.batch_subscribe(list_id, [[write("Ann@Example.com", FNAME="Anne")]])

    assert [e.lower() for e in first.created] == ["ann@example.com"] and not first.updated
    assert [e.lower() for e in second.updated] == ["ann@example.com"] and not second.created
    member = account.get_member(list_id, "ann@example.com")
    assert member is not None and member.status == MemberStatus.SUBSCRIBED
    assert member.merge_fields["FNAME"] == "Anne"
    assert account.get_member(list_id, "nobody@example.com") is None
    assert [m.email.lower() for m in account.members(list_id)] == ["ann@example.com"]


def test_an_unsubscribed_member_cannot_be_subscribed_again(side: Side) -> None:
    """R10's safety net: MailChimp refuses, naming the compliance state."""
    account, list_id = side.account, side.list_id
    list(account.batch_subscribe(list_id, [[write("bob@example.com")]]))
    side.unsubscribe("bob@example.com")

    [(_, result)] = account.batch_subscribe(list_id, [[write("bob@example.com")]])
    kept = account.upsert_member(list_id, write("bob@example.com", FNAME="Bob"))

    assert [e.kind for e in result.errors] == [MemberErrorKind.COMPLIANCE_STATE]
    assert kept.status == MemberStatus.UNSUBSCRIBED  # status_if_new: never touched
    member = account.get_member(list_id, "bob@example.com")
    assert member is not None and member.status == MemberStatus.UNSUBSCRIBED


def test_an_archived_member_leaves_the_listing(side: Side) -> None:
    account, list_id = side.account, side.list_id
    list(account.batch_subscribe(list_id, [[write("a@example.com"), write("b@example.com")]]))

    account.archive_member(list_id, "a@example.com")

    assert [m.email for m in account.members(list_id)] == ["b@example.com"]
    archived = account.get_member(list_id, "a@example.com")
    assert archived is not None and archived.status == MemberStatus.ARCHIVED


def test_an_email_change_moves_the_member(side: Side) -> None:
    account, list_id = side.account, side.list_id
    list(account.batch_subscribe(list_id, [[write("old@example.com", FNAME="Zoé")]]))

    moved = account.change_email(list_id, "old@example.com", "new@example.com", {"LNAME": "Roy"})

    assert moved.email == "new@example.com" and moved.status == MemberStatus.SUBSCRIBED
    assert account.get_member(list_id, "old@example.com") is None
    assert [m.email for m in account.members(list_id)] == ["new@example.com"]


def test_merge_fields_and_audiences(side: Side) -> None:
    account, list_id = side.account, side.list_id
    tags = {f.tag for f in account.merge_fields(list_id)}
    assert tags == {"FNAME", "LNAME", "ADDRESS", "PHONE", "BIRTHDAY"}
    assert [a.name for a in account.audiences()] == ["calendarspots"]
    created = account.create_merge_field(list_id, MergeField("SALON", "Salon", type="text"))
    assert created.tag == "SALON"
    with pytest.raises(MailChimpError):
        account.create_merge_field(list_id, MergeField("SALON", "Salon", type="text"))
    with pytest.raises(AudienceNotFound):
        account.merge_fields("no-such-list")


def test_webhooks_one_per_url(side: Side, webhook_receiver: str) -> None:
    account, list_id = side.account, side.list_id
    spec = WebhookSpec(
        f"{webhook_receiver}/webhooks/mailchimp/salon/s3cret",
        frozenset({"unsubscribe", "cleaned"}),
        frozenset({"user", "admin"}),
    )
    hook = account.create_webhook(list_id, spec)
    with pytest.raises(MailChimpError):
        account.create_webhook(list_id, spec)  # MailChimp takes one webhook per URL

    edited = WebhookSpec(spec.url, spec.events | {"profile"}, spec.sources)
    updated = account.update_webhook(list_id, hook.webhook_id, edited)

    assert updated.matches(edited) and [h.webhook_id for h in account.webhooks(list_id)] == [
        hook.webhook_id
    ]
    account.delete_webhook(list_id, hook.webhook_id)
    assert account.webhooks(list_id) == []
