"""The sync use case on fakes: what it sends, what it never sends (R10), what it records."""

from __future__ import annotations

from dataclasses import replace

from fakes import FakeAudience
from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.model import (
    Client,
    ConnectionState,
    MemberStatus,
    NewsletterStatus,
    SyncKind,
)
from calendarspots_mailchimp.core.services.sync.report import Reason
from calendarspots_mailchimp.ports.mailchimp import MemberState


def statuses(audience: FakeAudience) -> dict[str, MemberStatus]:
    return {email: m.status for email, m in audience.members.items()}


def test_an_initial_sync_adds_every_client_subscribed_and_installs_the_webhook(
    fakes: Fakes,
) -> None:
    _, audience = fakes.connected(clients=7)

    report = fakes.container.sync_service().sync("salon", SyncKind.INITIAL)

    assert report.ok and report.counts.created == 7
    assert set(statuses(audience).values()) == {MemberStatus.SUBSCRIBED}
    assert audience.members["client3@example.com"].merge_fields["FNAME"] == "Prénom3"
    [hook] = audience.webhooks.values()
    assert hook.sources == frozenset({"user", "admin"})  # never "api": no echo of our writes
    assert fakes.tenant().last_sync_at is not None
    assert fakes.kinds()[:2] == ["sync.succeeded", "webhook.installed"]


def test_a_second_sync_sends_only_what_changed(fakes: Fakes) -> None:
    account, audience = fakes.connected(clients=5)
    sync = fakes.container.sync_service()
    assert sync.sync("salon", SyncKind.INITIAL).ok
    fakes.directory.upsert("salon", [Client("c2", "client2@example.com", "Renamed", "Nom2")])
    before = account.calls

    report = sync.sync("salon")

    assert (report.counts.created, report.counts.updated, report.counts.unchanged) == (0, 1, 4)
    assert audience.members["client2@example.com"].merge_fields["FNAME"] == "Renamed"
    assert account.calls - before <= 6  # lists, fields, webhooks, changes read, one batch


def test_nobody_who_unsubscribed_is_subscribed_again(fakes: Fakes) -> None:
    """R10: an unsubscribe made in MailChimp reaches the client database, and no later sync,
    even a full one, subscribes that person again."""
    _, audience = fakes.connected(clients=3)
    sync = fakes.container.sync_service()
    assert sync.sync("salon", SyncKind.INITIAL).ok
    member = audience.members["client1@example.com"]
    fakes.clock.advance(minutes=30)
    audience.members["client1@example.com"] = MemberState(
        member.email, MemberStatus.UNSUBSCRIBED, fakes.clock.now(), member.merge_fields
    )

    for full in (False, True):
        assert sync.sync("salon", SyncKind.MANUAL, full=full).ok

    assert audience.members["client1@example.com"].status == MemberStatus.UNSUBSCRIBED
    assert fakes.directory.rows["salon"]["c1"].newsletter == NewsletterStatus.UNSUBSCRIBED
    assert fakes.kinds().count("contact.unsubscribed") == 1


def test_double_opt_in_adds_new_contacts_as_pending(fakes: Fakes) -> None:
    _, audience = fakes.connected(clients=0)
    with fakes.db.uow() as uow:  # the tenant chose reconfirmation (step 6 of the help page)
        uow.tenants.save(replace(fakes.tenant(), double_opt_in=True))
        uow.commit()
    fakes.add_clients(2)

    assert fakes.container.sync_service().sync("salon", SyncKind.INITIAL).ok

    assert set(statuses(audience).values()) == {MemberStatus.PENDING}


def test_an_invalid_address_is_skipped_and_reported_not_fatal(fakes: Fakes) -> None:
    _, audience = fakes.connected(clients=2)
    fakes.directory.upsert("salon", [Client("bad", "not an address")])

    report = fakes.container.sync_service().sync("salon", SyncKind.INITIAL)

    assert report.ok and report.counts.skipped == 1 and report.counts.created == 2
    assert [(p.reason, p.email) for p in report.problems] == [
        (Reason.INVALID_EMAIL, "not an address")
    ]
    assert "not an address" not in audience.members


def test_a_revoked_authorization_flags_the_tenant(fakes: Fakes) -> None:
    account, _ = fakes.connected(clients=1)
    fakes.mailchimp.revoke(account)

    report = fakes.container.sync_service().sync("salon")

    assert not report.ok and report.failure == "revoked"
    assert fakes.tenant().state == ConnectionState.NEEDS_REAUTHORIZATION
    assert fakes.kinds()[:2] == ["sync.failed", "authorization.revoked"]


def test_activity_reaches_the_host_hook_only_once_committed(fakes: Fakes) -> None:
    fakes.connected(clients=1)

    fakes.container.sync_service().sync("salon", SyncKind.INITIAL)

    stored, _ = fakes.container.tenants().activity("salon")
    assert [e.entry_id for e in fakes.published] == sorted(e.entry_id for e in stored)
