"""Processes killed with SIGKILL leave nothing wrong.

A sync killed between batches: the next run takes its expired lease over and completes with no
duplicate member, no lost client and a correct ledger. A web server killed while 50
connections deliver webhook events: everything MailChimp delivers again is stored once and
applied exactly once by the next server. The killed processes are real `cs-mailchimp`
commands in their own interpreters."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import httpx
from support.harness import World, sample_rows
from support.processes import (
    CHILD,
    child_env,
    kill_mid_run,
)
from support.waiting import wait_for

from calendarspots_mailchimp.core.model import SyncStatus
from calendarspots_mailchimp.core.services.webhook_address import webhook_secret
from calendarspots_mailchimp.entrypoints.container import stop_background
from calendarspots_mailchimp.entrypoints.http.server import free_port

TENANT = "salon"
CLIENTS = 3000


def test_a_sync_killed_between_batches_is_completed_by_the_next_run(
    world: World, tmp_path: Path
) -> None:
    world.add_tenant(TENANT)
    side = world.mailchimp()
    assert world.authorize(TENANT)["ok"]
    world.import_rows(TENANT, sample_rows(CLIENTS))
    recorded = kill_mid_run(
        world, tmp_path, CHILD, ["sync", TENANT, "--json"], side.account_id, CLIENTS
    )
    assert len(world.sim.members(side.list_id)) < CLIENTS + 1

    # The killed process still holds the lease in the database, but it is dead on this host:
    # the next sync takes over at once (SPEC: a crashed sync resumes).
    with world.uow() as uow:
        assert uow.scope(TENANT).leases.holder() is not None
    world.sim.stats.reset()

    result = world.cli("sync", TENANT, "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    counts = report["counts"]
    assert report["status"] == "succeeded"
    assert counts["unchanged"] == recorded
    assert counts["created"] + counts["updated"] == CLIENTS - recorded
    assert world.sim.stats.member_writes == CLIENTS - recorded
    members = world.sim.members(side.list_id)
    assert len(members) == CLIENTS
    assert len({m["email_address"].lower() for m in members}) == CLIENTS
    assert {m["status"] for m in members} == {"subscribed"}
    clients = {c.client_id: c for c in world.container.directory().clients(TENANT)}
    with world.uow() as uow:
        scope = uow.scope(TENANT)
        entries = scope.ledger.get_many(scope.ledger.all_client_ids())
        runs = scope.runs.latest(3)
    assert set(entries) == set(clients)
    for client_id, entry in entries.items():
        assert entry.content_hash == clients[client_id].content_hash()
        assert entry.member_status == "subscribed"
    killed = runs[1]
    assert killed.status == SyncStatus.FAILED
    assert "interrupted" in killed.message


# -- the webhook intake killed mid-load -------------------------------------------------------

EVENTS = 600
KINDS = ("unsubscribe", "cleaned", "profile", "subscribe")
ENTRY_OF = {
    "unsubscribe": "contact.unsubscribed",
    "cleaned": "contact.cleaned",
    "profile": "mailchimp.profile.recorded",
    "subscribe": "mailchimp.subscribe.recorded",
}


def serve_child(world: World, tmp_path: Path, name: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (tmp_path / f"{name}.log").open("wb")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, "serve", "--port", str(port)],
        env=child_env(world),
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return child.poll() is not None

    wait_for(up, 30, f"{name} to serve")
    assert child.poll() is None, (tmp_path / f"{name}.log").read_text()
    return child, base


def deliver(url: str, forms: list[dict[str, str]], answered: list[int]) -> list[int]:
    """Posts every form, 50 at a time; the status of each, 0 when the connection failed."""

    def post(form: dict[str, str]) -> int:
        try:
            status = httpx.post(url, data=form, timeout=30).status_code
        except httpx.HTTPError:
            return 0
        answered.append(status)
        return status

    with ThreadPoolExecutor(50) as pool:
        return list(pool.map(post, forms))


def test_webhook_events_survive_a_server_killed_mid_load_exactly_once(
    world: World, tmp_path: Path
) -> None:
    world.add_tenant(TENANT)
    world.import_rows(TENANT, sample_rows(EVENTS))
    with world.uow() as uow:
        tenant = uow.tenants.get(TENANT)
        assert tenant is not None
        tenant = replace(tenant, audience_id="aud0000001", webhook_salt="kill-salt")
        uow.tenants.save(tenant)
        uow.commit()
    stop_background(world.container)  # only the served processes apply, as in production
    secret = webhook_secret(world.settings.secret_key, tenant)
    forms = [
        {
            "type": KINDS[i % 4],
            "fired_at": "2026-03-01 12:00:00",
            "data[list_id]": "aud0000001",
            "data[email]": f"client{i}@example.com",
            "data[reason]": "hard" if i % 4 == 1 else "manual",
        }
        for i in range(EVENTS)
    ]

    child, base = serve_child(world, tmp_path, "first")
    answered: list[int] = []
    with ThreadPoolExecutor(1) as load:
        first = load.submit(
            deliver, f"{base}/webhooks/mailchimp/{TENANT}/{secret}", forms, answered
        )
        wait_for(lambda: len(answered) >= EVENTS // 4, 60, "a quarter of the events answered")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        statuses = first.result(timeout=120)
    ok_before = sum(s == 200 for s in statuses)
    assert EVENTS // 4 <= ok_before < EVENTS, f"the kill did not land mid-load ({ok_before})"
    assert set(statuses) <= {0, 200}, statuses  # a 200, or no answer at all: never an error

    # MailChimp delivers again everything it got no 200 for; here it sends everything again.
    child, base = serve_child(world, tmp_path, "second")
    try:
        again = deliver(f"{base}/webhooks/mailchimp/{TENANT}/{secret}", forms, [])
        assert again == [200] * EVENTS

        def pending() -> int:
            with world.uow() as uow:
                return len(uow.scope(TENANT).inbox.pending(limit=EVENTS))

        wait_for(lambda: pending() == 0, 60, "every stored event applied")
    finally:
        child.terminate()
        child.wait(timeout=30)

    entries, total = world.container.tenants().activity(TENANT, limit=1000)
    assert total == EVENTS
    seen = Counter((str(e.kind), e.details.get("email")) for e in entries)
    assert seen == Counter((ENTRY_OF[f["type"]], f["data[email]"]) for f in forms)
    clients = world.clients(TENANT)
    for i, form in enumerate(forms):
        wanted = {"unsubscribe": "unsubscribed", "cleaned": "cleaned"}.get(form["type"])
        assert str(clients[form["data[email]"]].newsletter) == (wanted or "subscribed"), i
    with world.uow() as uow:
        assert len(uow.scope(TENANT).inbox.pending(limit=EVENTS)) == 0
