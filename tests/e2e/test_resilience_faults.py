"""Per-member refusals end in `sync.partial` with readable reasons; 429 storms, 503s, timeouts
and dropped connections end with every member present once, never more than 10 connections."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from dependency_injector import providers
from support.harness import World, sample_rows

from calendarspots_mailchimp.adapters.mailchimp.connector import HttpMailChimpConnector
from calendarspots_mailchimp.core.model import Client, LedgerEntry
from calendarspots_mailchimp.ports.client_directory import ClientDirectory
from calendarspots_mailchimp.simulator import Fault
from calendarspots_mailchimp.simulator import members as sim_members
from calendarspots_mailchimp.simulator.members import archive, delete_permanent, find

TENANT = "salon"


class DayMonthBirthday:
    """A host platform that formats birthdays DD/MM: MailChimp wants MM/DD (docs/mailchimp-api.md §3)."""

    def mailchimp(self) -> str:
        return "31/12"


class PlusOne:
    def __init__(self, inner: ClientDirectory, extra: Client) -> None:
        self.inner = inner
        self.extra = extra

    def clients(self, tenant_id: str, changed_since: datetime | None = None) -> Iterator[Client]:
        yield from self.inner.clients(tenant_id)
        yield self.extra

    def mark_unsubscribed(self, tenant_id: str, email: str) -> Client | None:
        return self.inner.mark_unsubscribed(tenant_id, email)

    def mark_cleaned(self, tenant_id: str, email: str) -> Client | None:
        return self.inner.mark_cleaned(tenant_id, email)


def ledger(world: World) -> dict[str, LedgerEntry]:
    return world.ledger(TENANT)


def sync(world: World) -> dict[str, Any]:
    return world.sync_json(TENANT)


def test_refused_members_end_in_a_partial_sync_with_readable_reasons(world: World) -> None:
    world.add_tenant(TENANT)
    side = world.mailchimp()
    assert world.authorize(TENANT)["ok"]
    sim, lst = world.sim, world.sim.store.any_list(side.list_id)
    sim.fake_addresses.add("robot@example.com")
    sim.signup(side.list_id, "oublie@example.com")
    sim.signup(side.list_id, "parti@example.com")
    for hook in sim.webhooks(side.list_id):  # its delivery was lost long ago
        sim.delete_webhook(side.list_id, hook["id"])
    sim.unsubscribe(side.list_id, "parti@example.com")
    with sim.store.lock:
        forgotten, gone = find(lst, "oublie@example.com"), find(lst, "parti@example.com")
        assert forgotten is not None and gone is not None
        delete_permanent(sim.store, lst, forgotten)
        archive(sim.store, lst, gone)  # archived after unsubscribing: compliance state
        for member in lst.members.values():
            member.last_changed -= timedelta(days=2)
    rows = [
        *sample_rows(3),
        ("robot@example.com", "Robot", "X", ""),
        ("quelquun@domaine.invalid", "Quelqu'un", "X", ""),
        ("oublie@example.com", "Oublié", "X", ""),
        ("parti@example.com", "Parti", "X", ""),
    ]
    world.import_rows(TENANT, rows)
    odd = Client("birthday-1", "anniv@example.com", "Anne", "Iversaire", DayMonthBirthday())  # type: ignore[arg-type]
    world.container.directory.override(providers.Object(PlusOne(world.container.directory(), odd)))

    report = sync(world)

    assert report["status"] == "partial"
    counts = report["counts"]
    assert (counts["created"], counts["failed"], counts["skipped"]) == (3, 4, 1)
    reasons = {p["email"]: p["reason"] for p in report["problems"]}
    assert len(reasons) == len(report["problems"]), report["problems"]
    assert "fake or invalid" in reasons["robot@example.com"]
    assert "fake or invalid" in reasons["quelquun@domaine.invalid"]
    assert "permanently deleted" in reasons["oublie@example.com"]
    assert "birthday" in reasons["anniv@example.com"]
    assert "never re-subscribed" in reasons["parti@example.com"]
    entries = {e.email: e for e in ledger(world).values()}
    codes = {p["email"]: p["code"] for p in report["problems"]}
    assert entries["robot@example.com"].last_error == codes["robot@example.com"]
    assert entries["anniv@example.com"].last_error == codes["anniv@example.com"]
    assert codes["robot@example.com"] == "fake_or_invalid"  # the ledger keeps the reason's code
    assert entries["parti@example.com"].member_status == "unsubscribed"
    partial = world.entries(TENANT, "sync.partial")
    assert partial[0].details["counts"]["failed"] == 4
    assert world.members(side.list_id)["parti@example.com"]["status"] == "archived"

    world.sim.stats.reset()
    report = sync(world)  # the same refusals are not sent again every night ...
    assert world.sim.stats.member_writes == 0
    assert report["status"] == "succeeded"
    # ... but they are still reported, every night, until the client's details change.
    again = {p["email"]: p["reason"] for p in report["problems"]}
    for email in ("robot@example.com", "anniv@example.com"):
        assert "refused by MailChimp at an earlier sync" in again[email]
        assert reasons[email] in again[email]
    assert report["counts"]["skipped"] == len(report["problems"])


def test_faults_end_with_every_member_present_once(world: World) -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(min(seconds, 0.05))

    settings = world.settings
    connector = HttpMailChimpConnector(
        settings.oauth_base_url,
        settings.client_id,
        settings.client_secret,
        timeout=1.0,
        max_connections=10,
        max_retries=20,
        sleep=sleep,
    )
    world.container.mailchimp.override(providers.Object(connector))
    world.add_tenant(TENANT)
    side = world.mailchimp()
    assert world.authorize(TENANT)["ok"]
    world.import_rows(TENANT, sample_rows(2400))
    batch = f"/3.0/lists/{side.list_id}"
    for fault in (
        Fault(status=429, count=6, retry_after=2, path_prefix=batch, method="POST"),
        Fault(status=503, count=3, path_prefix=batch, method="POST"),
        Fault(latency=1.5, count=2, path_prefix=batch, method="POST"),  # beyond the timeout
        Fault(drop=True, count=2, path_prefix=batch, method="POST"),
        Fault(status=503, count=2, path_prefix=f"{batch}/members", method="GET"),
    ):
        world.sim.inject_fault(fault)
    world.sim.stats.reset()

    report = sync(world)

    assert report["status"] == "succeeded", report
    assert world.sim.faults.pending() == []
    members = world.members(side.list_id)
    assert len(members) == 2400
    assert {m["status"] for m in members.values()} == {"subscribed"}
    assert len(world.sim.members(side.list_id)) == 2400
    assert report["counts"]["created"] + report["counts"]["updated"] == 2400
    entries = ledger(world)
    assert len(entries) == 2400
    assert {e.member_status for e in entries.values()} == {"subscribed"}
    assert max(world.sim.stats.peak_concurrency.values()) <= 10
    assert 2.0 in slept  # Retry-After honoured
    # A request the client gave up on (timeout) may still be running in MailChimp: it only
    # re-applies the same values. The next sync itself sends nothing.
    again = sync(world)
    assert again["counts"]["unchanged"] == 2400
    assert again["counts"]["created"] + again["counts"]["updated"] == 0


def unknown_wording(monkeypatch: pytest.MonkeyPatch, world: World) -> None:
    """MailChimp words its compliance refusal in a way we do not recognise."""
    monkeypatch.setattr(
        sim_members,
        "compliance",
        lambda email: sim_members.MemberRefused("Bad Request", f"{email} cannot be added now."),
    )


def test_a_refusal_in_unknown_words_for_an_unsubscribed_member_is_an_opt_out(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batch error texts are undocumented: the member's own status decides (R10, R7)."""
    world.add_tenant(TENANT)
    world.import_rows(TENANT, sample_rows(3))
    side = world.mailchimp()
    assert world.authorize(TENANT)["ok"]
    sim, lst = world.sim, world.sim.store.any_list(side.list_id)
    for hook in sim.webhooks(side.list_id):  # the unsubscribe's delivery is lost
        sim.delete_webhook(side.list_id, hook["id"])
    sim.unsubscribe(side.list_id, "client1@example.com")
    with sim.store.lock:  # and too old for the backfill to see it
        for member in lst.members.values():
            member.last_changed -= timedelta(days=2)
    unknown_wording(monkeypatch, world)
    rows = sample_rows(3)
    rows[1] = ("client1@example.com", "Renamed", "X", "")  # a change to push
    world.import_rows(TENANT, rows)

    report = sync(world)

    reasons = {p["email"]: p["reason"] for p in report["problems"]}
    assert "never re-subscribed" in reasons["client1@example.com"], reasons
    assert report["counts"]["failed"] == 0
    assert world.members(side.list_id)["client1@example.com"]["status"] == "unsubscribed"
    assert world.clients()["client1@example.com"].newsletter == "unsubscribed"


def test_a_refusal_in_unknown_words_for_an_archived_member_is_a_plain_refusal(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Archived says nothing of consent: no opt-out is made up from an unreadable refusal,
    and the contact is not sent again until it changes."""
    world.add_tenant(TENANT)
    side = world.mailchimp()
    assert world.authorize(TENANT)["ok"]
    sim, lst = world.sim, world.sim.store.any_list(side.list_id)
    sim.signup(side.list_id, "parti@example.com")
    for hook in sim.webhooks(side.list_id):
        sim.delete_webhook(side.list_id, hook["id"])
    sim.unsubscribe(side.list_id, "parti@example.com")
    with sim.store.lock:
        gone = find(lst, "parti@example.com")
        assert gone is not None
        archive(sim.store, lst, gone)
        for member in lst.members.values():
            member.last_changed -= timedelta(days=2)
    unknown_wording(monkeypatch, world)
    world.import_rows(TENANT, [*sample_rows(2), ("parti@example.com", "Parti", "X", "")])

    report = sync(world)

    reasons = {p["email"]: p["reason"] for p in report["problems"]}
    assert "cannot be added now" in reasons["parti@example.com"], reasons
    assert report["counts"]["failed"] == 1
    assert world.members(side.list_id)["parti@example.com"]["status"] == "archived"
    assert world.clients()["parti@example.com"].newsletter == "subscribed"
    world.sim.stats.reset()
    sync(world)
    assert world.sim.stats.member_writes == 0  # not sent again until it changes
