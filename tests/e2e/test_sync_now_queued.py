"""The owner's "Synchroniser maintenant" with a worker configured: the page answers at once
("queued"), a real Celery worker (`cs-mailchimp worker`, real Redis broker, PostgreSQL) runs the
sync, and a second click within 15 minutes is refused even before that sync starts. A broker
that cannot be reached: the page runs the sync itself, as without a worker."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from support.databases import postgres_database
from support.harness import World, make_world, sample_rows
from support.workers import done_pattern, forget_queue, start_worker, stop

from calendarspots_mailchimp.core.model import SyncKind, SyncStatus
from calendarspots_mailchimp.ports.clock import FixedClock

DONE = done_pattern("sync_now")


@pytest.fixture
def pg_world() -> Iterator[World]:
    """PostgreSQL: the worker is another process sharing the database."""
    with postgres_database("csmc_sync_now") as url:
        w = make_world(url)
        try:
            yield w
        finally:
            w.close()


@contextmanager
def owner(world: World) -> Iterator[tuple[httpx.Client, str]]:
    link = json.loads(world.cli("owner-link", "salon", "--json").stdout)["url"]
    with httpx.Client(base_url=world.app_url, timeout=60) as browser:
        assert browser.get(link).status_code == 303
        page = browser.get("/tenants/salon/newsletters")
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        yield browser, found.group(1)


def connected_salon(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(4))
    world.mailchimp()
    assert world.authorize("salon")["ok"] is True
    # Sixteen minutes after the initial sync, for the page (the worker keeps the real time).
    world.container.clock.override(FixedClock(datetime.now(UTC) + timedelta(minutes=16)))


@pytest.mark.postgres
@pytest.mark.slow
def test_sync_now_is_queued_on_the_worker_which_runs_it(
    pg_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = pg_world
    connected_salon(world)
    queue = f"csmc-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("CS_MAILCHIMP_BROKER_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("CS_MAILCHIMP_QUEUE", queue)
    log = tmp_path / "worker.log"
    handle = log.open("w", encoding="utf-8")
    worker = start_worker(world, queue, handle, tmp_path, concurrency=1)
    try:
        with owner(world) as (browser, csrf):
            asked = browser.post("/tenants/salon/newsletters/sync", data={"csrf": csrf})
            assert asked.status_code == 303
            assert asked.headers["location"].endswith("?done=sync-queued")
            page = browser.get(asked.headers["location"])
            assert "Synchronisation demandée : elle aura lieu dans quelques instants." in page.text
            assert world.kinds()[0] == "sync.requested"

            # At once, before the worker has even started it: refused, in French.
            again = browser.post("/tenants/salon/newsletters/sync", data={"csrf": csrf})
            assert again.status_code == 429
            assert "réessayez dans 15\u00a0min" in again.text and "a sync ran" not in again.text

            deadline = datetime.now(UTC) + timedelta(seconds=60)
            while not DONE.search(log.read_text(encoding="utf-8")):
                assert datetime.now(UTC) < deadline, log.read_text(encoding="utf-8")[-3000:]
                assert worker.poll() is None, "the worker died"
                time.sleep(0.2)
    finally:
        stop([worker], [handle])
        forget_queue(queue)

    outcome = DONE.search(log.read_text(encoding="utf-8"))
    assert outcome is not None and "'outcome': 'synced'" in outcome.group(1)
    with world.uow() as uow:
        runs = uow.scope("salon").runs.latest(5)
    assert [(r.kind, r.status) for r in runs][:2] == [
        (SyncKind.MANUAL, SyncStatus.SUCCEEDED),
        (SyncKind.INITIAL, SyncStatus.SUCCEEDED),
    ]
    assert world.kinds()[:2] == ["sync.succeeded", "sync.requested"]


def test_an_unreachable_broker_leaves_the_sync_to_the_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    connected_salon(world)
    monkeypatch.setenv("CS_MAILCHIMP_BROKER_URL", "redis://127.0.0.1:9/0")  # nobody listens
    monkeypatch.setenv("CS_MAILCHIMP_QUEUE", f"csmc-test-{uuid.uuid4().hex}")
    with owner(world) as (browser, csrf):
        done = browser.post("/tenants/salon/newsletters/sync", data={"csrf": csrf})
        assert done.status_code == 303 and done.headers["location"].endswith("?done=sync")
    assert "sync.requested" not in world.kinds()
    assert world.kinds()[0] in ("sync.succeeded", "sync.partial")


def test_without_a_worker_a_second_click_is_refused_and_changes_nothing(world: World) -> None:
    connected_salon(world)
    with owner(world) as (browser, csrf):
        assert (
            browser.post("/tenants/salon/newsletters/sync", data={"csrf": csrf}).status_code == 303
        )
        before = world.kinds()
        again = browser.post("/tenants/salon/newsletters/sync", data={"csrf": csrf})
        stale = browser.post("/tenants/salon/newsletters/sync", data={"csrf": "0" * 64})
    assert again.status_code == 429 and stale.status_code == 403
    assert "Le formulaire a expiré" in stale.text
    assert world.kinds() == before
