"""Celery workers as real processes for the end-to-end tests: their environment (the world's
settings), starting and stopping them, waiting for their tasks, and a world of connected
tenants whose night is now."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import IO

from calendarspots_mailchimp.core.model import ConnectionState
from support.harness import World, sample_rows

COMMAND = str(Path(sys.executable).parent / "cs-mailchimp")


def done_pattern(task: str) -> re.Pattern[str]:
    """A worker's log line for one task of this name that succeeded; group 1: its result."""
    return re.compile(rf"Task csmc\.{task}\[[^\]]+\] succeeded in [^:]+: (.*)$", re.MULTILINE)


SYNC_TENANT_DONE = done_pattern("sync_tenant")


def world_env(world: World, **extra: str) -> dict[str, str]:
    """This process's environment with the world's settings, for a child process of the
    plugin (`extra` first: the world's settings win)."""
    s = world.settings
    return {
        **os.environ,
        **extra,
        "CS_MAILCHIMP_DATABASE_URL": s.database_url,
        "CS_MAILCHIMP_OAUTH_BASE_URL": s.oauth_base_url,
        "CS_MAILCHIMP_CLIENT_ID": s.client_id,
        "CS_MAILCHIMP_CLIENT_SECRET": s.client_secret,
        "CS_MAILCHIMP_PUBLIC_URL": s.public_url,
        "CS_MAILCHIMP_SECRET_KEY": s.secret_key,
    }


def night_zone(now: datetime) -> str:
    """A fixed-offset zone where it is now 03:xx: inside every tenant's night (01:00-05:00),
    after every tenant's start (within the first two hours)."""
    shift = (3 - now.hour) % 24
    if shift > 14:
        shift -= 24
    # Etc/GMT-N is UTC+N (POSIX signs).
    return "Etc/GMT" if shift == 0 else f"Etc/GMT{-shift:+d}"


def connect_tenant(world: World, tenant_id: str, zone: str) -> None:
    world.add_tenant(tenant_id, timezone=zone)
    world.import_rows(tenant_id, sample_rows(5, start=0))
    side = world.mailchimp(login=f"{tenant_id}@example.com")
    token = world.sim.issue_token(side.account_id)
    with world.uow() as uow:
        uow.scope(tenant_id).token.put(world.box.encrypt(token))
        tenant = uow.tenants.get(tenant_id)
        assert tenant is not None
        uow.tenants.save(
            replace(tenant, api_endpoint=world.sim_url, account_name=tenant_id).with_state(
                ConnectionState.CONNECTED
            )
        )
        uow.commit()


def start_worker(
    world: World,
    queue: str,
    log: IO[str],
    cwd: Path,
    concurrency: int = 2,
    pool: str = "prefork",
    **extra: str,
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [COMMAND, "worker", "--concurrency", str(concurrency), "--pool", pool, "--queue", queue],
        cwd=cwd,
        env=world_env(world, CS_MAILCHIMP_MAX_RETRIES="2", **extra),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


def completions(logs: list[Path], done: re.Pattern[str] = SYNC_TENANT_DONE) -> list[str]:
    return [m for path in logs for m in done.findall(path.read_text(encoding="utf-8"))]


def wait_for_completions(
    logs: list[Path],
    workers: list[subprocess.Popen[str]],
    count: int,
    timeout: float,
    done: re.Pattern[str] = SYNC_TENANT_DONE,
) -> None:
    deadline = time.monotonic() + timeout
    while len(completions(logs, done)) < count:
        assert time.monotonic() < deadline, "\n".join(p.read_text() for p in logs)[-3000:]
        assert all(w.poll() is None for w in workers), "a worker died"
        time.sleep(0.2)


def forget_queue(queue: str) -> None:
    """Nothing of a test's queue stays in the broker's Redis."""
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        keys = [queue, *client.scan_iter(f"_kombu.binding*.{queue}")]
        client.delete(*keys)
    finally:
        client.close()


def stop(workers: list[subprocess.Popen[str]], handles: list[IO[str]]) -> None:
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=15)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait()
    for handle in handles:
        handle.close()
