"""R7/R8 through real deliveries: the simulator's webhooks reach the served app on loopback."""

from __future__ import annotations

import httpx
import pytest
from support.harness import MailChimpSide, World, sample_rows
from support.waiting import eventually

from calendarspots_mailchimp.core.services.webhooks.applier import InboxApplier
from calendarspots_mailchimp.core.services.webhooks.events import idempotency_key, parse_event
from calendarspots_mailchimp.entrypoints.container import stop_background

pytestmark = [pytest.mark.R7, pytest.mark.R8]


def connect(world: World, rows: int = 10) -> MailChimpSide:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(rows))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    return side


def webhook_url(world: World, side: MailChimpSide) -> str:
    hooks = world.sim.webhooks(side.list_id)
    assert len(hooks) == 1
    return str(hooks[0]["url"])


def status_of(world: World, email: str) -> str:
    return str(world.clients()[email].newsletter)


def test_unsubscribe_and_cleaned_reach_the_client_database(world: World) -> None:
    side = connect(world)
    world.sim.unsubscribe(side.list_id, "client1@example.com", reason="abuse")
    world.sim.clean(side.list_id, "client2@example.com", reason="hard")
    assert eventually(lambda: status_of(world, "client1@example.com") == "unsubscribed")
    assert eventually(lambda: status_of(world, "client2@example.com") == "cleaned")
    assert status_of(world, "client3@example.com") == "subscribed"
    # The client directory is marked first, the activity entry commits just after it.
    assert eventually(lambda: world.kinds().count("contact.unsubscribed") == 1)
    assert eventually(lambda: world.kinds().count("contact.cleaned") == 1)
    (unsub,) = world.entries(kind="contact.unsubscribed")
    assert unsub.details["reason"] == "abuse" and unsub.details["source"] == "webhook"
    assert "Prénom1" in unsub.message and "spam" in unsub.message
    (cleaned,) = world.entries(kind="contact.cleaned")
    assert cleaned.details["reason"] == "hard"
    assert "bounced" in cleaned.message and "new email" in cleaned.message


def test_subscribe_profile_and_upemail_are_only_recorded(world: World) -> None:
    side = connect(world)
    before = world.clients()
    world.sim.signup(side.list_id, "nadia@example.com", merges={"FNAME": "Nadia"})
    world.sim.update_profile(side.list_id, "client4@example.com", merges={"FNAME": "Gisèle"})
    world.sim.change_email(side.list_id, "client5@example.com", "new5@example.com")
    wanted = {
        "mailchimp.subscribe.recorded",
        "mailchimp.profile.recorded",
        "mailchimp.upemail.recorded",
    }
    assert eventually(lambda: wanted <= set(world.kinds())), world.kinds()
    assert world.clients() == before
    profile = world.entries(kind="mailchimp.profile.recorded")
    assert any(e.details["merges"].get("FNAME") == "Gisèle" for e in profile)
    (signup,) = world.entries(kind="mailchimp.subscribe.recorded")
    assert "Nadia" in signup.message and "by hand" in signup.message


def test_a_duplicated_delivery_applies_once(world: World) -> None:
    side = connect(world)
    world.sim.unsubscribe(side.list_id, "client6@example.com")
    assert world.sim.wait_deliveries(5)
    (delivery,) = [d for d in world.sim.deliveries if dict(d.payload)["type"] == "unsubscribe"]
    url = webhook_url(world, side)
    answers = [httpx.post(url, data=dict(delivery.payload), timeout=10) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all(a.json()["duplicate"] for a in answers)
    assert len(world.entries(kind="contact.unsubscribed")) == 1


def test_mailchimp_validator_gets_200_and_empty_post_too(world: World) -> None:
    side = connect(world, rows=1)
    url = webhook_url(world, side)
    headers = {"User-Agent": "MailChimp.com WebHook Validator"}
    assert httpx.get(url, headers=headers).status_code == 200
    assert httpx.head(url, headers=headers).status_code == 200
    assert httpx.post(url, content=b"").status_code == 200


def store_only(world: World, form: dict[str, str]) -> int:
    """What a process killed after MailChimp's 200 leaves: the inbox row, nothing applied."""
    with world.uow() as uow:
        event_id = uow.scope("salon").inbox.add(idempotency_key(form), world.clock.now(), form)
        uow.commit()
    assert event_id is not None
    return event_id


def test_an_event_stored_but_never_applied_is_applied_by_the_next_delivery(world: World) -> None:
    side = connect(world)
    store_only(
        world,
        {
            "type": "unsubscribe",
            "fired_at": "2026-01-01 10:00:00",
            "data[list_id]": side.list_id,
            "data[email]": "client7@example.com",
            "data[reason]": "manual",
        },
    )
    world.sim.unsubscribe(side.list_id, "client8@example.com")
    assert eventually(lambda: status_of(world, "client8@example.com") == "unsubscribed")
    assert eventually(lambda: status_of(world, "client7@example.com") == "unsubscribed")

    def logged() -> list[str]:
        return sorted(e.details["email"] for e in world.entries(kind="contact.unsubscribed"))

    # The client directory is marked first, the activity entry commits just after it.
    assert eventually(lambda: len(logged()) == 2)
    assert world.container.inbox_applier().apply_pending("salon") == 0
    assert logged() == ["client7@example.com", "client8@example.com"]


def test_an_applier_started_after_a_crash_applies_what_was_left(world: World) -> None:
    side = connect(world, rows=3)
    stop_background(world.container)  # the server "dies" with events stored, not applied
    for n in range(3):
        store_only(
            world,
            {
                "type": "cleaned",
                "data[list_id]": side.list_id,
                "data[email]": f"client{n}@example.com",
                "data[reason]": "hard",
            },
        )

    world.container.inbox_applier().start()  # as a restarted server does

    assert eventually(lambda: len(world.entries(kind="contact.cleaned")) == 3)
    assert {str(c.newsletter) for c in world.clients().values()} == {"cleaned"}


def test_two_appliers_racing_apply_once(world: World) -> None:
    side = connect(world, rows=1)
    tenant = world.tenant()
    ours = world.container.inbox_applier()
    stop_background(world.container)  # only the two below apply
    other = InboxApplier(world.uow, world.container.directory(), world.clock)  # another process
    form = {
        "type": "cleaned",
        "data[list_id]": side.list_id,
        "data[email]": "client0@example.com",
        "data[reason]": "hard",
    }
    event_id = store_only(world, form)
    assert ours.apply_pending("salon") == 1  # one wins the claim ...
    assert other.apply_batch(tenant, [(event_id, parse_event(form))]) == 0  # ... the twin loses
    assert other.apply_pending("salon") == 0
    assert len(world.entries(kind="contact.cleaned")) == 1
