"""The benchmark's world: the simulator (with injected latency) and the plugin's web app served
on loopback in this process, a database, and helpers to create tenants with many clients.

Measured work never runs here: it runs in a child process (benchmarks/child.py), so its CPU
time and peak memory are the plugin's alone, not the simulator's.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from calendarspots_mailchimp.core.model import Birthday, Client, ConnectionState
from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.container import Container, build_container
from calendarspots_mailchimp.entrypoints.http.app import create_app
from calendarspots_mailchimp.entrypoints.http.server import RunningServer, free_port
from calendarspots_mailchimp.simulator import RunningSimulator, Simulator, serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "bench-client-id"
POSTGRES_ADMIN_URL = os.environ.get(
    "CS_MAILCHIMP_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class ShiftedClock:
    """Real time moved by an offset: the simulator and the plugin share one virtual timeline,
    so "the next night" can come without waiting for it."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self.offset

    def set(self, offset: timedelta) -> None:
        with self._lock:
            self.offset = offset


def client_rows(tenant: str, count: int, version: int = 0) -> Iterator[Client]:
    for i in range(count):
        yield Client(
            client_id=f"{tenant}-{i:07d}",
            email=f"c{i}.{tenant}@example.com",
            first_name=f"Prénom{i}" + (f"-v{version}" if version else ""),
            last_name=f"D'Nom{i}",
            birthday=Birthday(1 + i % 12, 1 + i % 28, 1950 + i % 50),
        )


def upsert_clients(container: Container, tenant_id: str, clients: Iterable[Client]) -> None:
    """Writes clients into the embedded directory, 5,000 at a time."""
    store = container.client_store()
    assert store is not None
    chunk: list[Client] = []
    for client in clients:
        chunk.append(client)
        if len(chunk) >= 5000:
            store.upsert(tenant_id, chunk)
            chunk = []
    if chunk:
        store.upsert(tenant_id, chunk)


def change_some(
    container: Container, tenant_id: str, total: int, share: float, version: int
) -> int:
    """Edits the first name of every (1/share)-th client; returns how many."""
    step = max(1, round(1 / share))
    changed = [c for i, c in enumerate(client_rows(tenant_id, total, version)) if i % step == 0]
    upsert_clients(container, tenant_id, changed)
    return len(changed)


@dataclass
class ChildResult:
    data: dict[str, Any]
    api_calls: int
    peak_concurrency: int


class Stack:
    def __init__(self, latency: float, postgres: bool) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="csmc-bench-"))
        self.clock = ShiftedClock()
        secret = secrets.token_urlsafe(16)
        self.sim = Simulator(client_id=CLIENT_ID, client_secret=secret, clock=self.clock.now)
        self.sim.latency = latency
        self._pg_name = ""
        if postgres:
            self.database_url = self._create_pg_database()
        else:
            self.database_url = f"sqlite:///{self.workdir / 'bench.db'}"
        self.sim_server: RunningSimulator = serve_in_thread(self.sim)
        app_port = free_port()
        self.settings = Settings(
            database_url=self.database_url,
            oauth_base_url=self.sim_server.url,
            client_id=CLIENT_ID,
            client_secret=secret,
            public_url=f"http://127.0.0.1:{app_port}",
            secret_key=secrets.token_urlsafe(32),
            admin_token=secrets.token_urlsafe(24),
        )
        self.container: Container = build_container(self.settings)
        self.app = RunningServer(create_app(self.container), port=app_port).start()

    @property
    def sim_url(self) -> str:
        return self.sim_server.url

    def close(self) -> None:
        self.app.stop()
        self.sim_server.stop()
        self.sim.close()
        if self._pg_name:
            import sqlalchemy as sa

            from calendarspots_mailchimp.adapters.persistence import plugin

            plugin.forget(self.database_url)
            admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)'))
            admin.dispose()

    def _create_pg_database(self) -> str:
        import sqlalchemy as sa

        self._pg_name = f"csmc_bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self._pg_name}"'))
        admin.dispose()
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{self._pg_name}"

    # -- tenants -------------------------------------------------------------------------------
    def add_connected_tenant(self, tenant_id: str, clients: int) -> str:
        """A tenant with `clients` clients, an audience `calendarspots` and a stored token, as
        the OAuth callback leaves it (the callback's own cost is two login-host calls).
        Returns the audience id."""
        account = self.sim.create_account(login=f"{tenant_id}@example.com", account_name=tenant_id)
        audience = self.sim.create_list(account.account_id, "calendarspots", with_birthday=True)
        self.container.tenants().add(AddTenant(tenant_id, f"Salon {tenant_id}", "UTC"))
        self.upsert_clients(tenant_id, client_rows(tenant_id, clients))
        token = self.sim.issue_token(account.account_id)
        with self.container.uow()() as uow:
            scope = uow.scope(tenant_id)
            scope.token.put(self.container.secret_box().encrypt(token))
            tenant = uow.tenants.get(tenant_id)
            assert tenant is not None
            uow.tenants.save(
                replace(tenant, api_endpoint=self.sim_url, account_name=tenant_id).with_state(
                    ConnectionState.CONNECTED
                )
            )
            uow.commit()
        return audience.list_id

    def upsert_clients(self, tenant_id: str, clients: Iterable[Client]) -> None:
        upsert_clients(self.container, tenant_id, clients)

    def change_some(self, tenant_id: str, total: int, share: float, version: int) -> int:
        return change_some(self.container, tenant_id, total, share, version)

    # -- measured work -------------------------------------------------------------------------
    def child(self, action: str, **spec: Any) -> ChildResult:
        """Runs one measured action in a fresh process; API calls are counted by the simulator."""
        self.sim.stats.reset()
        spec = {
            "action": action,
            "settings": {
                k: getattr(self.settings, k)
                for k in (
                    "database_url",
                    "oauth_base_url",
                    "client_id",
                    "client_secret",
                    "public_url",
                    "secret_key",
                )
            },
            "offset_s": self.clock.offset.total_seconds(),
            "sim_url": self.sim_url,
            **spec,
        }
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.child", json.dumps(spec)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{action} failed:\n{done.stderr[-4000:]}")
        data = json.loads(done.stdout.strip().splitlines()[-1])
        peaks = self.sim.stats.peak_concurrency
        return ChildResult(data, self.sim.stats.total_api_requests, max(peaks.values(), default=0))
