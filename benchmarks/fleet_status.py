"""`status` and `GET /metrics` over a large fleet: how long the fleet view takes, how much memory
and how many SQL statements, whatever the number of tenants.

    .venv/bin/python -m benchmarks.fleet_status --tenants 200000
    .venv/bin/python -m benchmarks.fleet_status --tenants 200000 --database-url postgresql://postgres@127.0.0.1:5432/test

A fresh database (a SQLite file in a temporary folder; with --database-url, a new database
created on that PostgreSQL server and dropped at the end) gets the schema (Alembic), then N
tenants and a few sync runs each (--runs, default 3) by bulk inserts: most tenants connected
and synced last night, some overdue (their nights fail), some never synced, some not
connected, disconnected, revoked or held, in six time zones. No MailChimp, no clients: the
fleet view reads only the tenants and their runs.

Each measured action runs in this process after the seeding, on a container built from
Settings with that database: `FleetStatus.view()` (what `status --json` prints: the JSON is
built too), then one `/metrics` collection (the registry's `generate_latest`, what a scrape
returns). Figures per action: wall time, CPU time (this process), peak RSS (VmHWM, reset before
each action where the kernel allows it) and the SQL statements sent (SQLAlchemy's
`before_cursor_execute` on the engine).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from prometheus_client import generate_latest

from calendarspots_mailchimp.adapters.persistence.database import Database, normalize_url
from calendarspots_mailchimp.adapters.persistence.records import (
    SyncRunRecord,
    TenantRecord,
    table_of,
)
from calendarspots_mailchimp.core.services.fleet import RUNS_LOOKED_AT, glance
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.container import (
    Container,
    build_container,
    stop_background,
)
from calendarspots_mailchimp.entrypoints.http.metrics import Metrics
from calendarspots_mailchimp.entrypoints.messages import status_json

ZONES = (
    "America/Montreal",
    "America/Vancouver",
    "Europe/Paris",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
)
CHUNK = 10_000  # rows per bulk insert
SECRET = "benchmark-secret-key-benchmark-secret-key"


def _say(text: str) -> None:
    print(text, flush=True)


# -- seeding ----------------------------------------------------------------------------------


def _profile(i: int) -> str:
    """Which kind of tenant number i is (a fixed mix, per hundred tenants)."""
    slot = i % 100
    if slot < 2:
        return "not_connected"
    if slot < 3:
        return "disconnected"
    if slot < 4:
        return "revoked"
    if slot < 5:
        return "held"
    if slot < 7:
        return "overdue"
    if slot < 8:
        return "onboarding"
    return "healthy"


def _tenant_row(i: int, now: datetime) -> dict[str, Any]:
    zone = ZONES[i % len(ZONES)]
    today = now.astimezone(ZoneInfo(zone)).date()
    profile = _profile(i)
    state = {
        "not_connected": "not_connected",
        "disconnected": "disconnected",
        "revoked": "needs_reauthorization",
        "held": "needs_attention",
    }.get(profile, "connected")
    reason = {"revoked": "revoked", "held": "held"}.get(profile, "")
    synced: date | None = {
        "healthy": today,
        "held": today,
        "overdue": today - timedelta(days=5),
        "revoked": today - timedelta(days=3),
        "disconnected": today - timedelta(days=30),
    }.get(profile)
    connected_once = profile != "not_connected"
    return {
        "tenant_id": f"t{i:07d}",
        "name": f"Salon {i}",
        "timezone": zone,
        "list_name": "calendarspots",
        "double_opt_in": False,
        "archive_removed_clients": False,
        "state": state,
        "state_reason": reason,
        "api_endpoint": "https://us1.api.mailchimp.com" if connected_once else "",
        "account_name": f"Account {i}" if connected_once else "",
        "account_id": f"acc{i}" if connected_once else "",
        "audience_id": f"aud{i}" if connected_once else "",
        "webhook_id": f"wh{i}" if state in ("connected", "needs_attention") else "",
        "webhook_salt": uuid.UUID(int=i).hex,
        "webhook_salt_previous": "",
        "last_sync_at": (
            datetime.combine(synced, datetime.min.time(), ZoneInfo(zone)) + timedelta(hours=2)
            if synced is not None and profile != "held"
            else None
        ),
        "last_sync_local_date": synced,
        "members_checked_at": None,
        "locale": "fr" if i % 3 else "en",
        "guard_update_percent": None,
        "guard_archive_percent": None,
        "attention_notified": "",
        "clients_marker": "",
    }


_COUNTS = {
    "created": 0,
    "updated": 3,
    "unchanged": 500,
    "skipped": 0,
    "failed": 0,
    "unsubscribed": 1,
    "cleaned": 0,
}


def _run_row(
    i: int, back: int, runs: int, now: datetime, rng: random.Random
) -> dict[str, Any] | None:
    """Tenant i's run `back` nights ago, if it has one: an initial sync first, then one nightly
    run a night (the latest one last night, at 01:xx local time), now and then a manual one."""
    profile = _profile(i)
    if profile == "not_connected" or (profile == "onboarding" and back != runs - 1):
        return None
    zone = ZoneInfo(ZONES[i % len(ZONES)])
    night = now.astimezone(zone).date() - timedelta(days=back)
    started = datetime.combine(night, datetime.min.time(), zone) + timedelta(
        hours=1, minutes=rng.randrange(60)
    )
    started = min(started, now - timedelta(minutes=1)).astimezone(UTC)
    kind, status, message = "nightly", "succeeded", ""
    if back == runs - 1:
        kind = "initial"
    elif rng.random() < 0.05:
        kind = "manual"
    if profile == "overdue" and back < 5:
        status, message = "failed", "mailchimp.unavailable 503"
    elif profile == "revoked" and back < 3:
        status, message = "failed", "authorization.revoked"
    elif profile == "held" and back == 0:
        status, message = "held", "held"
    elif profile == "onboarding":
        status = "running"
    return {
        "tenant_id": f"t{i:07d}",
        "kind": kind,
        "status": status,
        "started_at": started,
        "finished_at": None if status == "running" else started + timedelta(minutes=2),
        "message": message,
        **_COUNTS,
    }


def _run_rows(tenants: int, runs: int, now: datetime) -> Iterator[dict[str, Any]]:
    """Night after night across the fleet, as the database receives them (the ids of one
    tenant's runs are far apart, interleaved with every other tenant's)."""
    rng = random.Random(20261206)
    for back in range(runs - 1, -1, -1):
        for i in range(tenants):
            row = _run_row(i, back, runs, now, rng)
            if row is not None:
                yield row


def _batches(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """SQLite: one executemany INSERT. PostgreSQL: COPY … FROM STDIN (psycopg's executemany
    sends a statement per row: 600,000 runs took 3 minutes)."""
    if connection.dialect.name != "postgresql":
        connection.execute(sa.insert(table), rows)
        return
    names = list(rows[0])
    driver = connection.connection.dbapi_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row[name] for name in names])


def seed(database: Database, tenants: int, runs: int, now: datetime) -> tuple[int, float]:
    """N tenants and their runs, in bulk INSERTs; returns (runs inserted, seconds)."""
    began = time.perf_counter()
    tenant_table, run_table = table_of(TenantRecord), table_of(SyncRunRecord)
    inserted = 0
    with database.engine.begin() as connection:
        for batch in _batches((_tenant_row(i, now) for i in range(tenants)), CHUNK):
            _insert(connection, tenant_table, batch)
        for batch in _batches(_run_rows(tenants, runs, now), CHUNK):
            _insert(connection, run_table, batch)
            inserted += len(batch)
    if database.dialect == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("VACUUM ANALYZE"))
    else:
        with database.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
    return inserted, time.perf_counter() - began


# -- measuring --------------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss() -> bool:
    """Linux ≥ 4.0 resets VmHWM to the current RSS; elsewhere the peak is the process's."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


@dataclass
class Figures:
    label: str
    wall_s: float
    cpu_s: float
    rss_before_mb: float
    peak_rss_mb: float
    statements: int
    note: str = ""

    def line(self) -> str:
        return (
            f"  {self.label:<34} wall={self.wall_s:7.2f} s  cpu={self.cpu_s:7.2f} s  "
            f"peak_rss={self.peak_rss_mb:6.0f} MB (before {self.rss_before_mb:.0f})  "
            f"sql={self.statements}" + (f"  {self.note}" if self.note else "")
        )


def measure(label: str, action: Callable[[], str]) -> Figures:
    sent = [0]

    def count(*_: object) -> None:
        sent[0] += 1

    gc.collect()
    _reset_peak_rss()
    before = _peak_rss_mb()
    sa.event.listen(sa.Engine, "before_cursor_execute", count)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        note = action()
    finally:
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        sa.event.remove(sa.Engine, "before_cursor_execute", count)
    return Figures(label, wall, cpu, before, _peak_rss_mb(), sent[0], note)


def one_by_one(container: Container) -> str:
    """The fleet view as it was read before FleetRuns: one query per tenant (--per-tenant)."""
    fleet = container.fleet_status()
    now = fleet.clock.now()
    with container.uow()() as uow:
        tenants = sorted(uow.tenants.list(), key=lambda t: t.tenant_id)
        glances = [
            glance(
                t,
                uow.scope(t.tenant_id).runs.latest(RUNS_LOOKED_AT),
                now,
                fleet.night_start_hour,
                fleet.night_end_hour,
            )
            for t in tenants
        ]
    return f"{len(glances)} tenants"


@contextmanager
def fresh_database(server_url: str | None) -> Iterator[str]:
    """A SQLite file in a temporary folder, or a new database on the PostgreSQL server."""
    if server_url is None:
        with tempfile.TemporaryDirectory(prefix="csmc-fleet-") as folder:
            yield f"sqlite:///{Path(folder) / 'fleet.db'}"
        return
    server = normalize_url(server_url)
    name = f"csmc_fleet_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet_status", description=__doc__)
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="nights of runs per tenant")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (postgresql://user@host:port/db): a new database is created "
        "on it and dropped at the end (default: a SQLite file in a temporary folder)",
    )
    parser.add_argument(
        "--per-tenant",
        action="store_true",
        help="also time the view read one query per tenant, as before FleetRuns (slow)",
    )
    args = parser.parse_args(argv)
    _say(f"$ {sys.executable} -m benchmarks.fleet_status {' '.join(sys.argv[1:])}")
    with fresh_database(args.database_url) as url:
        database = Database(url)
        database.upgrade()
        shown = database.url.render_as_string(hide_password=True)
        runs, seconds = seed(database, args.tenants, args.runs, datetime.now(UTC))
        database.dispose()
        _say(
            f"== {args.tenants:,} tenants, {runs:,} sync runs ({args.runs} nights), "
            f"{database.dialect} ({shown}); seeded in {seconds:.1f} s"
        )
        container = build_container(Settings(database_url=url, secret_key=SECRET))
        try:
            container.fleet_status()  # the engine and the schema check, before measuring
            _report(container, args.per_tenant)
        finally:
            stop_background(container)
    return 0


def _report(container: Container, per_tenant: bool) -> None:
    """Each action keeps nothing once measured (so no action's peak holds another's view)."""
    seen: dict[str, str] = {}

    def view() -> str:
        fleet = container.fleet_status().view()
        seen["middle"] = fleet.tenants[len(fleet.tenants) // 2].tenant.tenant_id
        seen["fleet"] = (
            f"{fleet.by_state()}; last night {fleet.last_night()}; "
            f"{len(fleet.overdue()):,} overdue; {len(fleet.attention()):,} problems"
        )
        return f"{len(fleet.tenants):,} tenants"

    def as_json() -> str:
        text = json.dumps(status_json(container.fleet_status().view()))
        return f"{len(text) / 1e6:.1f} MB of JSON"

    def one() -> str:
        return f"{len(container.fleet_status().view(seen['middle']).tenants)} tenant"

    def scrape() -> str:
        return f"{len(generate_latest(Metrics(container).registry)):,} bytes"

    for label, action in (
        ("FleetStatus.view()", view),
        ("status --json (view + JSON)", as_json),
        ("status TENANT (one tenant)", one),
        ("/metrics collection", scrape),
    ):
        _say(measure(label, action).line())
    _say(f"  fleet: {seen['fleet']}")
    if per_tenant:
        _say(measure("view, one query per tenant (before)", lambda: one_by_one(container)).line())
    _say(f"  load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    sys.exit(main())
