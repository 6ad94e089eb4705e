"""Change detection through the real CLI, adapters and simulator: only new and changed clients
are written, --dry-run changes nothing, --full re-sends without re-subscribing anyone, and a
member the ledger does not know keeps its own status."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import httpx
from support.harness import MailChimpSide, World, sample_rows
from support.waiting import eventually

from calendarspots_mailchimp.core.model import LedgerEntry, MemberStatus, NewsletterStatus

TENANT = "salon"


def connected(world: World, count: int, double_opt_in: bool = False) -> MailChimpSide:
    world.add_tenant(TENANT, double_opt_in=double_opt_in)
    world.import_rows(TENANT, sample_rows(count))
    side = world.mailchimp()
    world.sim.stats.reset()
    result = world.authorize(TENANT)
    assert result["ok"], result
    return side


def sync(world: World, *flags: str) -> dict[str, Any]:
    return world.sync_json(TENANT, *flags)


def ledger(world: World) -> dict[str, LedgerEntry]:
    return world.ledger(TENANT)


def age_members(world: World, list_id: str, days: int = 2) -> None:
    """Time passes in MailChimp: past changes fall out of the next backfill's window."""
    with world.sim.store.lock:
        for member in world.sim.store.any_list(list_id).members.values():
            member.last_changed -= timedelta(days=days)


def without_webhooks(world: World, list_id: str) -> None:
    """A lost webhook delivery: the change must come back through the sync's backfill."""
    for hook in world.sim.webhooks(list_id):
        world.sim.delete_webhook(list_id, hook["id"])


def test_only_new_and_changed_clients_are_written_within_the_call_budget(world: World) -> None:
    connected(world, 200)
    initial_calls = world.sim.stats.total_api_requests
    # OAuth token + metadata are on the login host; the API budget is for /3.0 only.
    assert initial_calls <= math.ceil(200 / 500) + 10
    assert world.sim.stats.member_writes == 200
    rows = sample_rows(200)
    for i in (3, 50, 199):
        email, _first, last, birthday = rows[i]
        rows[i] = (email, f"Changé{i}", last, birthday)
    world.import_rows(TENANT, rows)

    world.sim.stats.reset()
    report = sync(world)
    assert world.sim.stats.member_writes == 3
    assert report["counts"]["updated"] == 3
    assert report["counts"]["unchanged"] == 197

    world.sim.stats.reset()
    report = sync(world)
    assert world.sim.stats.member_writes == 0
    assert world.sim.stats.total_api_requests <= 5
    assert report["counts"]["unchanged"] == 200
    assert world.kinds(TENANT)[0] == "sync.succeeded"


def test_dry_run_shows_the_plan_and_changes_nothing(world: World) -> None:
    side = connected(world, 20)
    rows = sample_rows(22)  # two new clients
    email, _first, last, birthday = rows[0]
    rows[0] = (email, "Autre", last, birthday)  # one changed
    world.import_rows(TENANT, rows)
    before_ledger, before_kinds = ledger(world), world.kinds(TENANT)
    before_members = world.members(side.list_id)

    world.sim.stats.reset()
    report = sync(world, "--dry-run")

    assert report["dry_run"] is True
    assert sorted(report["plan"]["create"]) == ["client20@example.com", "client21@example.com"]
    assert report["plan"]["update"] == ["client0@example.com"]
    assert world.sim.stats.member_writes == 0
    assert world.sim.stats.count("POST", "/3.0/lists/{list_id}/webhooks") == 0
    assert ledger(world) == before_ledger
    assert world.kinds(TENANT) == before_kinds
    assert world.members(side.list_id) == before_members
    assert world.tenant(TENANT).members_checked_at is not None

    report = sync(world)
    assert (report["counts"]["created"], report["counts"]["updated"]) == (2, 1)


def test_full_resends_everyone_but_never_resubscribes(world: World) -> None:
    side = connected(world, 30)
    without_webhooks(world, side.list_id)
    world.sim.unsubscribe(side.list_id, "client4@example.com")
    world.sim.clean(side.list_id, "client5@example.com")

    world.sim.stats.reset()
    report = sync(world, "--full")

    assert world.sim.stats.member_writes == 28
    members = world.members(side.list_id)
    assert members["client4@example.com"]["status"] == "unsubscribed"
    assert members["client5@example.com"]["status"] == "cleaned"
    assert report["counts"]["unsubscribed"] == 1
    assert report["counts"]["cleaned"] == 1
    clients = world.clients(TENANT)
    assert clients["client4@example.com"].newsletter == NewsletterStatus.UNSUBSCRIBED
    assert clients["client5@example.com"].newsletter == NewsletterStatus.CLEANED
    assert len(world.sim.webhooks(side.list_id)) == 1  # put back by the watchdog

    world.sim.stats.reset()
    sync(world)
    assert world.sim.stats.member_writes == 0


def test_a_member_unknown_to_the_ledger_keeps_its_own_status(world: World) -> None:
    """Double opt-in tenant; the address is already a confirmed subscriber in MailChimp
    (signed up on a form long ago). Sending it as `pending` would ask a subscribed person to
    confirm again and drop them from campaigns until they do."""
    side = connected(world, 5, double_opt_in=True)
    world.sim.signup(side.list_id, "fidele@example.com", merges={"FNAME": "Ancienne"})
    age_members(world, side.list_id)
    sync(world)  # the platform does not know this person yet
    world.import_rows(TENANT, [*sample_rows(5), ("fidele@example.com", "Fidèle", "Cliente", "")])

    world.sim.stats.reset()
    report = sync(world)

    member = world.members(side.list_id)["fidele@example.com"]
    assert member["status"] == "subscribed"
    assert member["merge_fields"]["FNAME"] == "Fidèle"
    assert report["counts"]["updated"] == 1
    entry = next(e for e in ledger(world).values() if e.email == "fidele@example.com")
    assert entry.member_status == "subscribed"
    assert world.sim.stats.count("GET", "/3.0/lists/{list_id}/members/{subscriber_hash}") == 1


def test_many_unknown_members_are_read_in_pages_not_one_by_one(world: World) -> None:
    side = connected(world, 0)
    for i in range(40):
        world.sim.signup(side.list_id, f"client{i}@example.com")
    age_members(world, side.list_id)
    world.import_rows(TENANT, sample_rows(60))

    world.sim.stats.reset()
    report = sync(world)

    assert report["counts"]["created"] == 20
    assert report["counts"]["updated"] == 40
    assert world.sim.stats.count("GET", "/3.0/lists/{list_id}/members/{subscriber_hash}") <= 25
    assert world.sim.stats.total_api_requests <= 40
    statuses = {m["status"] for m in world.members(side.list_id).values()}
    assert statuses == {"subscribed"}


def test_a_refusal_for_a_cleaned_member_is_recorded_as_cleaned(world: World) -> None:
    """The ledger thought the member subscribed (the bounce happened long ago and no webhook
    came). MailChimp refuses the write as a compliance state; the ledger and the client
    database must then say cleaned, not unsubscribed."""
    side = connected(world, 5)
    without_webhooks(world, side.list_id)
    world.sim.clean(side.list_id, "client2@example.com")
    age_members(world, side.list_id)
    rows = sample_rows(5)
    email, _first, last, birthday = rows[2]
    rows[2] = (email, "Rebond", last, birthday)
    world.import_rows(TENANT, rows)

    report = sync(world)

    assert report["counts"]["skipped"] == 1
    assert report["counts"]["cleaned"] == 1
    assert report["problems"][0]["reason"].startswith("cleaned in MailChimp")
    entry = ledger(world)["c000002"]
    assert entry.member_status == "cleaned"
    assert world.clients(TENANT)[email].newsletter == NewsletterStatus.CLEANED
    assert world.members(side.list_id)[email]["status"] == "cleaned"

    world.sim.stats.reset()
    report = sync(world)
    assert world.sim.stats.member_writes == 0
    assert report["counts"]["skipped"] == 0


def test_someone_who_subscribed_again_in_mailchimp_is_never_unsubscribed_by_the_sync(
    world: World,
) -> None:
    side = connected(world, 5)
    email = "client1@example.com"
    world.sim.unsubscribe(side.list_id, email)
    assert world.sim.wait_deliveries(timeout=10)
    # Webhook events are applied off their request: wait for the effect.
    assert eventually(lambda: "contact.unsubscribed" in world.kinds(TENANT))
    assert world.clients(TENANT)[email].newsletter == NewsletterStatus.UNSUBSCRIBED
    world.sim.signup(side.list_id, email, merges={"FNAME": "Back"})
    assert world.sim.wait_deliveries(timeout=10)
    assert eventually(lambda: "mailchimp.subscribe.recorded" in world.kinds(TENANT))
    subscribe = world.entries(TENANT, "mailchimp.subscribe.recorded")[0]
    assert "already a client" in subscribe.message

    report = sync(world)
    full = sync(world, "--full")

    assert world.members(side.list_id)[email]["status"] == "subscribed"
    assert report["counts"]["failed"] == full["counts"]["failed"] == 0
    # The client database keeps the owner's own record (R8): only MailChimp holds the new opt-in.
    assert world.clients(TENANT)[email].newsletter == NewsletterStatus.UNSUBSCRIBED


def test_a_pretended_future_night_does_not_hide_a_later_opt_out(world: World) -> None:
    from calendarspots_mailchimp.ports.clock import FixedClock

    side = connected(world, 5)
    future = world.cli("nightly", "--now", "2031-03-04T09:30:00+00:00", "--json")
    assert future.exit_code == 0, future.output
    assert not isinstance(world.container.clock(), FixedClock)
    for hook in world.sim.webhooks(side.list_id):  # the delivery gets lost
        world.sim.delete_webhook(side.list_id, hook["id"])
    world.sim.unsubscribe(side.list_id, "client2@example.com")

    report = sync(world)

    assert report["counts"]["unsubscribed"] == 1
    assert world.clients(TENANT)["client2@example.com"].newsletter == NewsletterStatus.UNSUBSCRIBED


def test_dry_run_announces_the_webhook_repair_and_the_opt_outs_it_would_bring_back(
    world: World,
) -> None:
    side = connected(world, 5)
    for hook in world.sim.webhooks(side.list_id):
        world.sim.delete_webhook(side.list_id, hook["id"])
    world.sim.unsubscribe(side.list_id, "client3@example.com")  # no webhook: delivery lost

    result = world.cli("sync", TENANT, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "the webhook is missing: it would be put back" in result.stdout
    assert "would mark in the client database: client3@example.com: unsubscribed" in result.stdout
    assert world.sim.webhooks(side.list_id) == []
    assert world.clients(TENANT)["client3@example.com"].newsletter == NewsletterStatus.SUBSCRIBED


def test_an_address_the_subscriber_moved_away_from_in_mailchimp_is_not_added_back(
    world: World,
) -> None:
    side = connected(world, 5)
    world.sim.change_email(side.list_id, "client2@example.com", "client2.new@example.com")
    assert world.sim.wait_deliveries(timeout=10)
    assert eventually(lambda: "mailchimp.upemail.recorded" in world.kinds(TENANT))
    clients = list(sample_rows(5))
    clients[2] = (clients[2][0], "Renamed", *clients[2][2:])  # and the platform edits the client
    world.import_rows(TENANT, clients)

    nightly = sync(world)
    full = sync(world, "--full")

    members = world.members(side.list_id)
    assert "client2@example.com" not in members
    assert "client2.new@example.com" in members
    assert nightly["counts"]["skipped"] == full["counts"]["skipped"] == 1
    reason = next(p for p in full["problems"] if p["email"] == "client2@example.com")["reason"]
    assert "no longer in the MailChimp audience" in reason


def test_clients_without_names_are_added_even_when_the_owner_made_names_required(
    world: World,
) -> None:
    """The owner's "required" flags are for signup forms: every client still reaches the
    audience, and a name that appears later is sent as usual."""
    world.add_tenant(TENANT)
    world.import_rows(TENANT, [("nameless@example.com", "", "", ""), *sample_rows(2)])
    side = world.mailchimp()
    token = world.sim.issue_token(side.account_id)
    for field in world.sim.merge_fields(side.list_id):
        if field["tag"] in ("FNAME", "LNAME"):
            answer = httpx.patch(
                f"{world.sim_url}/3.0/lists/{side.list_id}/merge-fields/{field['merge_id']}",
                headers={"Authorization": f"Bearer {token}"},
                json={"required": True},
            )
            assert answer.status_code == 200, answer.text
    assert world.authorize(TENANT)["ok"]
    members = world.members(side.list_id)
    assert len(members) == 3
    assert members["nameless@example.com"]["status"] == "subscribed"
    assert members["nameless@example.com"]["merge_fields"]["LNAME"] == ""

    world.import_rows(TENANT, [("nameless@example.com", "Zoé", "Lafleur", "")])
    report = sync(world)
    assert report["counts"]["updated"] == 1 and report["counts"]["failed"] == 0
    assert world.members(side.list_id)["nameless@example.com"]["merge_fields"]["LNAME"] == "Lafleur"


def test_quiet_nights_after_an_onboarding_do_not_read_the_audience_again(world: World) -> None:
    """Neither the first night after an onboarding, nor a sync minutes after another, reads
    back the members the onboarding wrote: one page of members, at most 5 calls."""
    from datetime import UTC, datetime

    from calendarspots_mailchimp.ports.clock import FixedClock

    side = connected(world, 2500)  # three pages of 1,000 members, were they read back
    members = "/3.0/lists/{list_id}/members"
    world.sim.stats.reset()
    minutes_later = sync(world)
    assert minutes_later["counts"]["unchanged"] == 2500
    assert world.sim.stats.count("GET", members) == 1
    assert world.sim.stats.total_api_requests <= 5
    clock = FixedClock(datetime.now(UTC))
    world.container.clock.override(clock)
    calls = []
    for _night in range(3):
        clock.advance(days=1)
        world.sim.stats.reset()
        report = sync(world)
        assert report["counts"]["unchanged"] == 2500
        assert world.sim.stats.count("GET", members) == 1
        calls.append(world.sim.stats.total_api_requests)
    assert max(calls) <= 5, calls
    assert len(world.members(side.list_id)) == 2500


def test_an_opt_out_made_during_the_onboarding_push_is_brought_back(world: World) -> None:
    """A client unsubscribes in MailChimp while the onboarding is still writing, and the
    webhook's delivery is lost: the onboarding reads back the opt-outs made meanwhile (by
    status, not the 2,500 members it wrote), and the quiet first night still reads one page."""
    import threading
    import time

    from calendarspots_mailchimp.simulator.faults import Fault

    world.add_tenant(TENANT)
    world.import_rows(TENANT, sample_rows(2500))  # five batches
    side = world.mailchimp()
    batch = f"/3.0/lists/{side.list_id}"
    # The webhook's creation and the first batch go through at once; the four other batches
    # are slow, so the opt-out falls between MailChimp's writes.
    world.sim.inject_fault(Fault(latency=0.01, count=2, method="POST", path_prefix=batch))
    world.sim.inject_fault(Fault(latency=1.5, count=4, method="POST", path_prefix=batch))
    opted_out: list[str] = []

    def person_unsubscribes() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            written = world.sim.members(side.list_id)
            if written:
                for hook in world.sim.webhooks(side.list_id):  # the delivery gets lost
                    world.sim.delete_webhook(side.list_id, hook["id"])
                email = written[0]["email_address"]
                world.sim.unsubscribe(side.list_id, email)
                opted_out.append(email)
                return
            time.sleep(0.02)

    person = threading.Thread(target=person_unsubscribes)
    person.start()
    result = world.authorize(TENANT)
    person.join()
    assert result["ok"], result
    assert len(opted_out) == 1
    email = opted_out[0]
    member = world.sim.member(side.list_id, email)
    assert member is not None and member["status"] == "unsubscribed"
    # The opt-out came before MailChimp's last write of the onboarding: a read-back that
    # started after that write would never see it.
    last_write = max(m["last_changed"] for m in world.members(side.list_id).values())
    assert member["last_changed"] < last_write
    assert world.clients(TENANT)[email].newsletter == NewsletterStatus.UNSUBSCRIBED
    by_email = {e.email.lower(): e for e in world.ledger(TENANT).values()}
    assert by_email[email].member_status == MemberStatus.UNSUBSCRIBED
    assert "contact.unsubscribed" in world.kinds(TENANT)

    world.sim.stats.reset()
    night = sync(world)
    assert world.sim.stats.count("GET", "/3.0/lists/{list_id}/members") == 1
    assert world.sim.stats.total_api_requests <= 5
    assert world.sim.stats.member_writes == 0
    assert night["counts"]["failed"] == 0
    assert world.members(side.list_id)[email]["status"] == "unsubscribed"
