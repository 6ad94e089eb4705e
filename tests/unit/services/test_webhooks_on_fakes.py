"""Receiving webhook events on fakes (R7, R8): stored at once, then decided and applied once,
off the request path."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.errors import NotFound
from calendarspots_mailchimp.core.model import MemberStatus, NewsletterStatus, SyncKind
from calendarspots_mailchimp.core.services.webhook_address import webhook_secret
from calendarspots_mailchimp.core.services.webhooks.events import ForeignList


def form(kind: str, list_id: str, email: str, **data: str) -> dict[str, str]:
    fields = {"type": kind, "fired_at": "2026-11-20 12:00:00", "data[list_id]": list_id}
    fields["data[email]"] = email
    fields.update({f"data[{k}]": v for k, v in data.items()})
    return fields


@pytest.fixture
def synced(fakes: Fakes) -> tuple[Fakes, str, str]:
    _, audience = fakes.connected(clients=3)
    assert fakes.container.sync_service().sync("salon", SyncKind.INITIAL).ok
    return (
        fakes,
        audience.audience_id,
        webhook_secret(fakes.container.settings().secret_key, fakes.tenant()),
    )


def test_an_unsubscribe_reaches_the_client_database_once(synced: tuple[Fakes, str, str]) -> None:
    fakes, list_id, secret = synced
    inbound = fakes.container.inbound_service()
    event = form("unsubscribe", list_id, "Client1@Example.com", reason="manual")

    first = inbound.receive("salon", secret, event)
    again = inbound.receive("salon", secret, event)  # MailChimp retries a lost answer
    assert (first.duplicate, first.outcome) == (False, "stored")
    assert (again.duplicate, again.outcome) == (True, "duplicate")
    assert fakes.directory.rows["salon"]["c1"].newsletter == NewsletterStatus.SUBSCRIBED

    applier = fakes.container.inbox_applier()
    assert applier.apply_pending("salon") == 1
    assert applier.apply_pending("salon") == 0

    assert fakes.directory.rows["salon"]["c1"].newsletter == NewsletterStatus.UNSUBSCRIBED
    assert fakes.kinds().count("contact.unsubscribed") == 1
    with fakes.db.uow() as uow:
        entry = uow.scope("salon").ledger.find_by_email("client1@example.com")
    assert entry is not None and entry.member_status == MemberStatus.UNSUBSCRIBED


def test_a_profile_edit_is_recorded_never_copied(synced: tuple[Fakes, str, str]) -> None:
    """R8: the new values are in the activity log, the client database is untouched."""
    fakes, list_id, secret = synced
    event = form("profile", list_id, "client2@example.com")
    event["data[merges][FNAME]"] = "Changé"

    fakes.container.inbound_service().receive("salon", secret, event)
    assert fakes.container.inbox_applier().apply_pending("salon") == 1

    with fakes.db.uow() as uow:
        assert [r.outcome for r in uow.state.inbox.values()] == ["recorded"]
    assert fakes.directory.rows["salon"]["c2"].first_name == "Prénom2"
    entries, _ = fakes.container.tenants().activity("salon", kinds=["mailchimp.profile.recorded"])
    assert entries[0].details["merges"] == {"FNAME": "Changé"}


def test_a_wrong_secret_and_an_unknown_tenant_are_the_same_not_found(
    synced: tuple[Fakes, str, str],
) -> None:
    fakes, list_id, secret = synced
    inbound = fakes.container.inbound_service()
    for tenant_id, given in (("salon", secret[:-1] + "x"), ("nobody", secret), ("salon", "")):
        with pytest.raises(NotFound, match=r"^not found$"):
            inbound.receive(tenant_id, given, form("cleaned", list_id, "client0@example.com"))
    assert fakes.directory.rows["salon"]["c0"].newsletter == NewsletterStatus.SUBSCRIBED


def test_an_event_for_another_audience_is_refused_and_logged_once(
    synced: tuple[Fakes, str, str],
) -> None:
    fakes, _, secret = synced
    inbound = fakes.container.inbound_service()
    event = form("unsubscribe", "another-list", "client0@example.com")

    for _ in range(2):
        with pytest.raises(ForeignList):
            inbound.receive("salon", secret, event)

    assert fakes.directory.rows["salon"]["c0"].newsletter == NewsletterStatus.SUBSCRIBED
    assert fakes.kinds().count("webhook.refused") == 1


def test_an_event_whose_apply_failed_stays_stored_and_is_applied_later(
    synced: tuple[Fakes, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes, list_id, secret = synced
    inbound = fakes.container.inbound_service()
    applier = fakes.container.inbox_applier()

    def broken(tenant_id: str, email: str) -> Any:
        raise RuntimeError("the host's client database is down")

    monkeypatch.setattr(fakes.directory, "mark_cleaned", broken)
    receipt = inbound.receive("salon", secret, form("cleaned", list_id, "client0@example.com"))
    assert receipt.outcome == "stored"
    with pytest.raises(RuntimeError):
        applier.apply_pending("salon")
    monkeypatch.undo()

    assert fakes.container.sync_service().sync("salon").ok  # applies what was left stored

    assert fakes.directory.rows["salon"]["c0"].newsletter == NewsletterStatus.CLEANED
    assert fakes.kinds().count("contact.cleaned") == 1


def test_one_event_that_cannot_be_applied_does_not_hold_back_the_others(
    synced: tuple[Fakes, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes, list_id, secret = synced
    inbound = fakes.container.inbound_service()
    real = fakes.directory.mark_cleaned

    def refuses_client0(tenant_id: str, email: str) -> Any:
        if email == "client0@example.com":
            raise RuntimeError("the host refuses this one")
        return real(tenant_id, email)

    monkeypatch.setattr(fakes.directory, "mark_cleaned", refuses_client0)
    for n in range(3):
        inbound.receive("salon", secret, form("cleaned", list_id, f"client{n}@example.com"))

    assert fakes.container.inbox_applier().apply_pending("salon") == 2

    assert fakes.kinds().count("contact.cleaned") == 2
    with fakes.db.uow() as uow:
        assert len(uow.scope("salon").inbox.pending()) == 1


def test_an_event_accepted_for_an_audience_since_disconnected_is_refused_when_applied(
    synced: tuple[Fakes, str, str],
) -> None:
    """The route trusts a tenant it read a few seconds ago; the applier reads it again."""
    fakes, list_id, secret = synced
    inbound = fakes.container.inbound_service()
    inbound.receive("salon", secret, form("cleaned", list_id, "client0@example.com"))
    with fakes.db.uow() as uow:
        uow.tenants.save(replace(fakes.tenant(), audience_id=""))
        uow.commit()

    assert fakes.container.inbox_applier().apply_pending("salon") == 1

    assert fakes.directory.rows["salon"]["c0"].newsletter == NewsletterStatus.SUBSCRIBED
    assert fakes.kinds().count("webhook.refused") == 1
