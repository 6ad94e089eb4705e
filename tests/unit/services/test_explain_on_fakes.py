"""`clients explain` on fakes: the platform's record, the ledger, the live member (one GET),
the activity about the address, and why the client is in MailChimp as it is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import pytest
from dependency_injector import providers
from fakes import FakeAudience, FakeMailChimpAccount
from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.errors import NotFound
from calendarspots_mailchimp.core.model import (
    Client,
    ConnectionState,
    LedgerEntry,
    MemberStatus,
    NewsletterStatus,
    SyncKind,
    Tenant,
)
from calendarspots_mailchimp.core.services.explain_story import Next, Story, explain


def synced(fakes: Fakes, clients: int = 3) -> tuple[FakeMailChimpAccount, FakeAudience]:
    account, audience = fakes.connected(clients=clients)
    assert fakes.container.sync_service().sync("salon", SyncKind.INITIAL).ok
    return account, audience


def test_a_synced_client_is_in_the_audience_with_one_get(fakes: Fakes) -> None:
    account, _ = synced(fakes)
    calls = account.calls

    story = fakes.container.explain_client().explain("salon", "CLIENT1@Example.com")

    assert account.calls == calls + 1  # one GET, nothing else
    assert story.client.client_id == "c1"
    assert story.ledger is not None and story.ledger.member_status == MemberStatus.SUBSCRIBED
    assert story.up_to_date is True
    assert story.live.read and story.live.member is not None
    assert story.live.member.status == MemberStatus.SUBSCRIBED
    assert (story.explanation.story, story.explanation.detail) == (Story.IN_AUDIENCE, "subscribed")
    assert story.explanation.next == Next.UNCHANGED
    assert fakes.container.explain_client().explain("salon", "c1").client.email == (
        "client1@example.com"
    )


def test_a_changed_client_and_a_new_one_wait_for_the_next_sync(fakes: Fakes) -> None:
    synced(fakes, clients=2)
    fakes.directory.upsert("salon", [Client("c0", "client0@example.com", "Renamed", "Nom0")])
    fakes.add_clients(1, start=5)

    changed = fakes.container.explain_client().explain("salon", "c0")
    new = fakes.container.explain_client().explain("salon", "client5@example.com")

    assert changed.up_to_date is False
    assert (changed.explanation.story, changed.explanation.next) == (Story.IN_AUDIENCE, Next.UPDATE)
    assert new.ledger is None and new.up_to_date is None
    assert new.live.read and new.live.member is None
    assert (new.explanation.story, new.explanation.next) == (Story.WILL_BE_SENT, Next.ADD)


def test_an_unsubscribe_in_mailchimp_is_the_story_with_its_activity(fakes: Fakes) -> None:
    _, audience = synced(fakes)
    member = audience.members["client2@example.com"]
    audience.members["client2@example.com"] = replace(
        member, status=MemberStatus.UNSUBSCRIBED, last_changed=fakes.clock.now()
    )
    fakes.clock.advance(days=1)
    assert fakes.container.sync_service().sync("salon").ok  # finds it, marks the client

    story = fakes.container.explain_client().explain("salon", "c2")

    assert story.client.newsletter == NewsletterStatus.UNSUBSCRIBED
    assert (story.explanation.story, story.explanation.detail) == (Story.OPTED_OUT, "unsubscribed")
    assert [str(e.kind) for e in story.entries] == ["contact.unsubscribed"]
    assert story.entries_truncated is False


def test_a_member_archived_in_mailchimp_left_the_audience(fakes: Fakes) -> None:
    account, audience = synced(fakes)
    account.archive_member(audience.audience_id, "client0@example.com")

    story = fakes.container.explain_client().explain("salon", "c0")

    assert story.explanation.story == Story.LEFT_AUDIENCE
    assert story.explanation.next == Next.UNCHANGED  # not added again


def test_a_tenant_not_connected_is_said_and_mailchimp_is_not_asked(fakes: Fakes) -> None:
    account, _ = synced(fakes)
    fakes.container.disconnect_service().disconnect("salon")
    calls = account.calls

    story = fakes.container.explain_client().explain("salon", "c1")

    assert account.calls == calls
    assert (story.live.read, story.live.skipped) == (False, "not_connected")
    assert (story.explanation.story, story.explanation.detail) == (
        Story.NOT_CONNECTED,
        "disconnected",
    )
    assert story.ledger is not None  # the ledger stays for a reconnection


def test_a_revoked_token_is_reported_not_raised(fakes: Fakes) -> None:
    account, _ = synced(fakes)
    fakes.mailchimp.revoke(account)  # the tenant does not know it yet

    story = fakes.container.explain_client().explain("salon", "c1")

    assert (story.live.read, story.live.error) == (False, "revoked")
    assert story.explanation.story == Story.IN_AUDIENCE  # from what the ledger remembers


def test_an_unknown_client_or_tenant_is_not_found(fakes: Fakes) -> None:
    synced(fakes, clients=1)
    with pytest.raises(NotFound, match=r"nobody@example\.com"):
        fakes.container.explain_client().explain("salon", "nobody@example.com")
    with pytest.raises(NotFound, match="no tenant"):
        fakes.container.explain_client().explain("spa", "c0")


class HostDirectory:
    """A host's directory written before the port had `find`."""

    def __init__(self, clients: list[Client]) -> None:
        self.rows = clients

    def clients(self, tenant_id: str, changed_since: datetime | None = None) -> Iterator[Client]:
        yield from self.rows

    def mark_unsubscribed(self, tenant_id: str, email: str) -> Client | None:
        return None

    def mark_cleaned(self, tenant_id: str, email: str) -> Client | None:
        return None


def test_a_host_directory_without_find_is_scanned(fakes: Fakes) -> None:
    fakes.add_tenant()
    host = HostDirectory([Client("x1", "Ann@Example.com"), Client("ann@example.com", "b@x.com")])
    fakes.container.directory.override(providers.Object(host))

    by_id = fakes.container.explain_client().explain("salon", "ann@example.com")
    by_email = fakes.container.explain_client().explain("salon", "ANN@example.com ")

    assert by_id.client.client_id == "ann@example.com"  # an id first, as `find` does
    assert by_email.client.client_id == "x1"


# -- the decision alone ------------------------------------------------------------------------

CLIENT = Client("c1", "ann@example.com", "Ann", "Lee")
CONNECTED = Tenant("t", "T", "UTC", state=ConnectionState.CONNECTED, audience_id="l1")


def entry(status: MemberStatus | None = MemberStatus.SUBSCRIBED, error: str = "") -> LedgerEntry:
    return LedgerEntry("c1", CLIENT.email, CLIENT.content_hash(), status, error)


@pytest.mark.parametrize(
    ("client", "ledger", "member", "live", "expected"),
    [
        (CLIENT, entry(), MemberStatus.SUBSCRIBED, True, (Story.IN_AUDIENCE, Next.UNCHANGED)),
        (CLIENT, entry(), MemberStatus.PENDING, True, (Story.IN_AUDIENCE, Next.UNCHANGED)),
        (CLIENT, None, None, True, (Story.WILL_BE_SENT, Next.ADD)),
        (CLIENT, entry(), None, True, (Story.LEFT_AUDIENCE, Next.UNCHANGED)),
        (CLIENT, entry(), MemberStatus.CLEANED, True, (Story.OPTED_OUT, Next.UNCHANGED)),
        (CLIENT, None, MemberStatus.UNSUBSCRIBED, True, (Story.OPTED_OUT, Next.SKIP)),
        (
            CLIENT,
            entry(None, "fake_or_invalid"),
            None,
            True,
            (Story.REFUSED, Next.SKIP),
        ),
        (
            replace(CLIENT, newsletter=NewsletterStatus.UNSUBSCRIBED),
            None,
            None,
            True,
            (Story.NOT_SUBSCRIBED_HERE, Next.SKIP),
        ),
        (
            replace(CLIENT, newsletter=NewsletterStatus.UNSUBSCRIBED),
            entry(),
            MemberStatus.SUBSCRIBED,
            True,
            (Story.SUBSCRIBED_THERE_ONLY, Next.UNCHANGED),
        ),
        (
            replace(CLIENT, email="not-an-address"),
            None,
            None,
            True,
            (Story.INVALID_EMAIL, Next.SKIP),
        ),
        (CLIENT, entry(MemberStatus.ARCHIVED), None, False, (Story.LEFT_AUDIENCE, Next.UNCHANGED)),
        (CLIENT, entry(), None, False, (Story.IN_AUDIENCE, Next.UNCHANGED)),  # ledger stands in
    ],
)
def test_why_a_client_is_as_it_is(
    client: Client,
    ledger: LedgerEntry | None,
    member: MemberStatus | None,
    live: bool,
    expected: tuple[Story, Next],
) -> None:
    got = explain(CONNECTED, client, ledger, member, live)
    assert (got.story, got.next) == expected


def test_a_refusal_is_told_with_its_stored_reason_and_retried_once_details_change() -> None:
    refused = entry(None, "fake_or_invalid")
    same = explain(CONNECTED, CLIENT, refused, None, True)
    changed = explain(CONNECTED, replace(CLIENT, first_name="Anne"), refused, None, True)

    assert (same.story, same.detail, same.next_reason) == (
        Story.REFUSED,
        "fake_or_invalid",
        "refused_before:fake_or_invalid",
    )
    assert (changed.story, changed.next) == (Story.WILL_BE_SENT, Next.ADD)


def test_a_tenant_not_connected_explains_nothing_else() -> None:
    got = explain(
        replace(CONNECTED, state=ConnectionState.NOT_CONNECTED), CLIENT, None, None, False
    )
    assert (got.story, got.detail, got.next) == (Story.NOT_CONNECTED, "not_connected", Next.NOTHING)
