"""A sync process killed with SIGKILL between batches leaves nothing wrong: the next run takes
its expired lease over and completes with no duplicate member, no lost client and a correct
ledger. The killed process is a real `cs-mailchimp sync` in its own interpreter."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from support.harness import World, sample_rows
from support.processes import CHILD, child_env, ledger_rows, wait_until_mailchimp_is_quiet

from calendarspots_mailchimp.core.model import SyncStatus

TENANT = "salon"
CLIENTS = 3000


def test_a_sync_killed_between_batches_is_completed_by_the_next_run(
    world: World, tmp_path: Path
) -> None:
    world.add_tenant(TENANT)
    side = world.mailchimp()
    assert world.authorize(TENANT)["ok"]
    world.import_rows(TENANT, sample_rows(CLIENTS))
    world.sim.latency = 0.25  # every call is slow: batches land one round at a time

    log = (tmp_path / "child.log").open("wb")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, "sync", TENANT, "--json"],
        env=child_env(world),
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while ledger_rows(world) < 500:
            assert child.poll() is None, (tmp_path / "child.log").read_text()
            assert time.monotonic() < deadline, "the child recorded no batch in time"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        log.close()
    assert child.returncode == -signal.SIGKILL
    world.sim.latency = 0.0
    wait_until_mailchimp_is_quiet(world, side.account_id)
    recorded = ledger_rows(world)
    assert 500 <= recorded < CLIENTS, f"the kill did not land mid-run ({recorded} recorded)"
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
