"""Real child processes of the plugin, killed mid-run: their settings and how to wait for
MailChimp (the simulator) to go quiet after them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from support.harness import World

TENANT = "salon"

CHILD = (
    "import sys; from calendarspots_mailchimp.entrypoints.cli.main import app; "
    "sys.argv[0] = 'cs-mailchimp'; app()"
)


def child_env(world: World) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CS_MAILCHIMP_")}
    s = world.settings
    env.update(
        {
            "CS_MAILCHIMP_DATABASE_URL": s.database_url,
            "CS_MAILCHIMP_OAUTH_BASE_URL": s.oauth_base_url,
            "CS_MAILCHIMP_CLIENT_ID": s.client_id,
            "CS_MAILCHIMP_CLIENT_SECRET": s.client_secret,
            "CS_MAILCHIMP_PUBLIC_URL": s.public_url,
            "CS_MAILCHIMP_SECRET_KEY": s.secret_key,
            "CS_MAILCHIMP_MAX_CONNECTIONS": "2",
        }
    )
    return env


def ledger_rows(world: World) -> int:
    with world.uow() as uow:
        return len(uow.scope(TENANT).ledger.all_client_ids())


def wait_until_mailchimp_is_quiet(world: World, account_id: str, quiet: float = 1.0) -> None:
    """The dead process's last requests may still be in the simulator's socket buffer, not
    yet counted in flight: wait until nothing is in flight and no member was written for
    `quiet` seconds."""
    deadline = time.monotonic() + 60
    writes, since = world.sim.stats.member_writes, time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the simulator never went quiet"
        time.sleep(0.05)
        now_writes = world.sim.stats.member_writes
        if now_writes != writes or world.sim.limiter.in_flight(account_id):
            writes, since = now_writes, time.monotonic()


def kill_mid_run(
    world: World, folder: Path, code: str, args: list[str], account_id: str, total: int
) -> int:
    """Runs `python -c code args…` against the world (MailChimp slow: batches land one round at
    a time), SIGKILLs it once 500 clients are in the ledger, waits for MailChimp to go quiet,
    and returns how many the ledger holds (checked to be mid-run)."""
    world.sim.latency = 0.25
    path = folder / "child.log"
    log = path.open("wb")
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=child_env(world),
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while ledger_rows(world) < 500:
            assert child.poll() is None, path.read_text()
            assert time.monotonic() < deadline, "the child recorded no batch in time"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        log.close()
    assert child.returncode == -signal.SIGKILL
    world.sim.latency = 0.0
    wait_until_mailchimp_is_quiet(world, account_id)
    recorded = ledger_rows(world)
    assert 500 <= recorded < total, f"the kill did not land mid-run ({recorded} recorded)"
    return recorded
