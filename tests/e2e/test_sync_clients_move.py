"""Clients whose address changes in the platform, and clients removed from it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from dependency_injector import providers
from support.harness import MailChimpSide, World, sample_rows

from calendarspots_mailchimp.core.model import Client, LedgerEntry
from calendarspots_mailchimp.ports.client_directory import ClientDirectory

TENANT = "salon"


def connected(world: World, count: int, archive_removed: bool = False) -> MailChimpSide:
    world.add_tenant(TENANT, archive_removed=archive_removed)
    world.import_rows(TENANT, sample_rows(count))
    side = world.mailchimp()
    result = world.authorize(TENANT)
    assert result["ok"], result
    return side


def sync(world: World) -> dict[str, Any]:
    return world.sync_json(TENANT)


def ledger(world: World) -> dict[str, LedgerEntry]:
    return world.ledger(TENANT)


def move(world: World, count: int, index: int, new_email: str) -> None:
    rows = sample_rows(count)
    _old, first, last, birthday = rows[index]
    rows[index] = (new_email, first, last, birthday)
    world.import_rows(TENANT, rows)


class WithoutSome:
    """The host platform after it deleted some clients."""

    def __init__(self, inner: ClientDirectory, removed: set[str], added: list[Client]) -> None:
        self.inner = inner
        self.removed = removed
        self.added = added

    def clients(self, tenant_id: str, changed_since: datetime | None = None) -> Iterator[Client]:
        yield from (c for c in self.inner.clients(tenant_id) if c.client_id not in self.removed)
        yield from self.added

    def mark_unsubscribed(self, tenant_id: str, email: str) -> Client | None:
        return self.inner.mark_unsubscribed(tenant_id, email)

    def mark_cleaned(self, tenant_id: str, email: str) -> Client | None:
        return self.inner.mark_cleaned(tenant_id, email)


def remove_clients(world: World, *client_ids: str, added: tuple[Client, ...] = ()) -> None:
    inner = world.container.directory()
    platform = WithoutSome(inner, set(client_ids), list(added))
    world.container.directory.override(providers.Object(platform))


def statuses(world: World, list_id: str) -> dict[str, str]:
    return {email: m["status"] for email, m in world.members(list_id).items()}


def test_an_address_changed_in_the_platform_moves_the_same_member(world: World) -> None:
    side = connected(world, 5)
    before = world.members(side.list_id)["client1@example.com"]
    move(world, 5, 1, "nouvelle.adresse@example.com")

    world.sim.stats.reset()
    report = sync(world)

    members = world.members(side.list_id)
    assert "client1@example.com" not in members
    moved = members["nouvelle.adresse@example.com"]
    assert moved["unique_email_id"] == before["unique_email_id"]
    assert moved["status"] == "subscribed"
    assert len(members) == 5
    assert ledger(world)["c000001"].email == "nouvelle.adresse@example.com"
    assert report["counts"]["updated"] == 1
    assert "contact.email_changed" in world.kinds(TENANT)

    world.sim.stats.reset()
    sync(world)
    assert world.sim.stats.member_writes == 0


def test_an_unsubscribed_client_stays_unsubscribed_under_its_new_address(world: World) -> None:
    """MailChimp keeps an opted-out member's address: the old member is archived and the
    new address carries the opt-out."""
    side = connected(world, 5)
    world.sim.unsubscribe(side.list_id, "client2@example.com")
    sync(world)  # learns the opt-out (webhook or backfill)
    move(world, 5, 2, "autre@example.com")

    sync(world)

    members = statuses(world, side.list_id)
    assert members["autre@example.com"] == "unsubscribed"
    assert members["client2@example.com"] == "archived"
    subscribed = [e for e, s in members.items() if s in ("subscribed", "pending")]
    assert sorted(subscribed) == [f"client{i}@example.com" for i in (0, 1, 3, 4)]
    entry = ledger(world)["c000002"]
    assert (entry.email, entry.member_status) == ("autre@example.com", "unsubscribed")


def test_moving_onto_an_address_already_in_the_audience_leaves_one_subscribed(
    world: World,
) -> None:
    side = connected(world, 5)
    world.sim.signup(side.list_id, "deja@example.com")
    move(world, 5, 0, "deja@example.com")

    sync(world)

    members = statuses(world, side.list_id)
    assert members["deja@example.com"] == "subscribed"
    assert members["client0@example.com"] == "archived"
    assert ledger(world)["c000000"].email == "deja@example.com"


def test_a_refused_new_address_leaves_the_old_member_alone(world: World) -> None:
    side = connected(world, 5)
    world.sim.fake_addresses.add("bidon@example.com")
    move(world, 5, 3, "bidon@example.com")

    report = sync(world)

    assert report["status"] == "partial"
    assert report["counts"]["failed"] == 1
    assert "fake or invalid" in report["problems"][0]["reason"]
    assert statuses(world, side.list_id)["client3@example.com"] == "subscribed"
    entry = ledger(world)["c000003"]
    assert entry.email == "client3@example.com"
    assert entry.last_error

    world.sim.stats.reset()
    report = sync(world)
    assert world.sim.stats.total_api_requests <= 5  # the same refusal is not retried
    assert report["status"] == "succeeded"
    (problem,) = report["problems"]  # but it is still reported
    assert problem["email"] == "bidon@example.com"
    assert "earlier sync" in problem["reason"] and "fake or invalid" in problem["reason"]


def test_removed_clients_are_left_alone_in_mailchimp_by_default(world: World) -> None:
    side = connected(world, 5)
    remove_clients(world, "c000001", "c000002")

    world.sim.stats.reset()
    sync(world)

    assert world.sim.stats.count("DELETE", "/3.0/lists/{list_id}/members/{subscriber_hash}") == 0
    assert set(statuses(world, side.list_id).values()) == {"subscribed"}
    assert set(ledger(world)) == {"c000000", "c000003", "c000004"}
    removed = world.entries(TENANT, "contact.removed")
    assert len(removed) == 1
    assert removed[0].details["count"] == 2
    assert removed[0].details["archived"] == 0


def test_removed_clients_are_archived_when_the_tenant_chose_it(world: World) -> None:
    side = connected(world, 6, archive_removed=True)
    without = [h["id"] for h in world.sim.webhooks(side.list_id)]
    for hook_id in without:
        world.sim.delete_webhook(side.list_id, hook_id)
    # Someone already archived client3 in MailChimp; client5's address now belongs to a
    # new client of the platform, who must stay subscribed.
    with world.sim.store.lock:
        from calendarspots_mailchimp.simulator.members import archive, find

        lst = world.sim.store.any_list(side.list_id)
        member = find(lst, "client3@example.com")
        assert member is not None
        archive(world.sim.store, lst, member)
    newcomer = Client("new-5", "client5@example.com", "Reprise", "X")
    remove_clients(world, "c000001", "c000003", "c000005", added=(newcomer,))

    report = sync(world)

    assert report["status"] == "succeeded", report
    members = statuses(world, side.list_id)
    assert members["client1@example.com"] == "archived"
    assert members["client3@example.com"] == "archived"
    assert members["client5@example.com"] == "subscribed"
    assert ledger(world)["new-5"].email == "client5@example.com"
    assert "c000001" not in ledger(world)
    removed = world.entries(TENANT, "contact.removed")[0]
    assert removed.details["archived"] == 1
    assert removed.details["count"] == 3
