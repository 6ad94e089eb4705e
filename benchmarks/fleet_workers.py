"""The nightly fan-out on the scale-out path, every piece a real process: a fresh PostgreSQL
database as the shared store, Redis as the Celery broker, the bundled simulator served by
`cs-mailchimp simulator --latency 0.05`, the plugin's web app (`cs-mailchimp serve`, which
MailChimp's webhook validator calls), N `cs-mailchimp worker --concurrency 1` processes and
`cs-mailchimp enqueue --now …` to fan the night out (one task per tenant).

    bash benchmarks/run.sh --only fleet-workers [--fleet 200x1000] [--workers 1,2]
    .venv/bin/python -m benchmarks.fleet_workers --fleet 1000x1000

For each worker count, a fresh world (database, simulator, app; every tenant its own
MailChimp account, connected but never synced) and two nights:

- night 1, onboarding: every client is new to MailChimp (the night pushes everything);
- night 2, 1 % of the clients changed (and, as in `--only fleet`, the first night after the
  onboarding, which reads back every member it wrote).

The tenants live in a fixed-offset zone where it is now 01:xx, so the workers (real clock)
find them inside their night; between the nights every tenant's `last_sync_local_date` is set
back one day ("the next night comes" without waiting for it). Figures per night: tenants
synced (nightly runs in the database), wall time from the enqueue command until every
enqueued tenant has a finished nightly run (the database is polled), API calls and peak
in-flight requests per MailChimp account (the simulator's /_sim/stats), CPU seconds of the
worker processes (main + pool, /proc, from "ready" to the end) and each worker's peak RSS
(VmHWM of its pool process, where the syncs run). Workers are started afresh for each night.

For a large fleet: `--paths celery,inprocess` also measures a steady night through one
`cs-mailchimp nightly --concurrency N` process (the cron path) in the same world;
`--unmeasured-onboarding` onboards (and runs the first night) at 0 ms in such a process, as
set-up; `--setup-processes N` creates the fleet in N processes; `--quiet-load L` waits, before
the measured nights, until the 1-minute load average is under L. The 10,000-tenant command is
in benchmarks/README.md.

Clean-up: the workers, the app and the simulator are stopped, the Celery queue is purged and
deleted, the database dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import sqlalchemy as sa

from benchmarks.stack import (
    CLIENT_ID,
    POSTGRES_ADMIN_URL,
    change_some,
    client_rows,
    upsert_clients,
)
from calendarspots_mailchimp.core.model import ConnectionState
from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.container import Container, build_container
from calendarspots_mailchimp.entrypoints.http.server import free_port

LATENCY = 0.05  # seconds the simulator adds to every API request (as the other benchmarks)
CLI = str(Path(sys.executable).parent / "cs-mailchimp")
TICKS = os.sysconf("SC_CLK_TCK")
DONE = re.compile(r"Task csmc\.sync_tenant\[[^\]]+\] succeeded in [^:]+: (.*)$", re.MULTILINE)
OUTCOME = re.compile(r"'outcome': '([^']+)'")
TROUBLE = re.compile(r"^.*\b(ERROR|CRITICAL|Traceback|WARNING)\b.*$", re.MULTILINE)


def _say(text: str) -> None:
    print(text, flush=True)


# -- processes ---------------------------------------------------------------------------------
def _stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: [state, ppid, …, utime, stime, cutime, cstime …]."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
        text = stat.read()
    return text[text.rindex(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    """`root` and every descendant still alive."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                children.setdefault(int(_stat_fields(int(entry))[1]), []).append(int(entry))
            except (OSError, ValueError):
                continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU of a process tree (reaped children included through cutime/cstime)."""
    total = 0
    for pid in process_tree(root):
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])
    return total / TICKS


def vm_hwm_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pool_rss_mb(root: int) -> float:
    """Peak RSS of a worker's pool processes (where the syncs run), else of the worker."""
    return max((vm_hwm_mb(p) for p in process_tree(root)[1:]), default=vm_hwm_mb(root))


@dataclass
class Service:
    """A `cs-mailchimp …` process started here, its output in a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes]

    @classmethod
    def start(cls, name: str, args: list[str], env: dict[str, str], workdir: Path) -> Service:
        log = workdir / f"{name}.log"
        handle = log.open("wb")
        popen = subprocess.Popen(
            [CLI, *args], cwd=workdir, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
        return cls(name, popen, log, handle)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for pid in reversed(process_tree(self.popen.pid)):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self.popen.wait()
        self.handle.close()


def _wait_until(what: str, ready: Any, timeout: float, service: Service | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if service is not None and not service.alive():
            raise RuntimeError(f"{service.name} exited:\n{service.text()[-3000:]}")
        if time.monotonic() > deadline:
            tail = service.text()[-3000:] if service is not None else ""
            raise RuntimeError(f"{what}: not ready after {timeout:.0f} s\n{tail}")
        time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def night_zone(now: datetime) -> str:
    """A fixed-offset zone where it is now 01:xx: inside every tenant's night (01:00-05:00)
    for at least three more hours."""
    shift = (1 - now.hour) % 24
    if shift > 14:
        shift -= 24
    return "Etc/GMT" if shift == 0 else f"Etc/GMT{-shift:+d}"  # Etc/GMT-N is UTC+N


# -- one world: database, simulator, app, tenants ---------------------------------------------
@dataclass
class Night:
    workers: int
    label: str
    enqueued: int
    synced: int
    failed: int
    wall_s: float
    enqueue_s: float
    api_calls: int
    cpu_s: float
    sim_cpu_s: float
    rss_mb: list[float]
    idle_rss_mb: list[float]
    peak_conc: int
    accounts: int
    refused_429: int
    duplicates: int
    outcomes: Counter[str] = field(default_factory=Counter)
    trouble: list[str] = field(default_factory=list)


class World:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.workdir = workdir
        self.broker: str = args.broker
        self.pool: str = args.pool
        self.queue = f"csmc-bench-{uuid.uuid4().hex[:10]}"
        self.services: list[Service] = []
        self.db_name = f"csmc_bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.db_name}"'))
        admin.dispose()
        self.database_url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.db_name}"
        sim_port, app_port = free_port(), free_port()
        self.sim_url = f"http://127.0.0.1:{sim_port}"
        self.settings = Settings(
            database_url=self.database_url,
            oauth_base_url=self.sim_url,
            client_id=CLIENT_ID,
            client_secret=secrets.token_urlsafe(16),
            public_url=f"http://127.0.0.1:{app_port}",
            secret_key=secrets.token_urlsafe(32),
            admin_token=secrets.token_urlsafe(24),
        )
        s = self.settings
        self.env = {
            **os.environ,
            "PYTHONDONTWRITEBYTECODE": "1",
            "CS_MAILCHIMP_DATABASE_URL": s.database_url,
            "CS_MAILCHIMP_OAUTH_BASE_URL": s.oauth_base_url,
            "CS_MAILCHIMP_CLIENT_ID": s.client_id,
            "CS_MAILCHIMP_CLIENT_SECRET": s.client_secret,
            "CS_MAILCHIMP_PUBLIC_URL": s.public_url,
            "CS_MAILCHIMP_SECRET_KEY": s.secret_key,
            "CS_MAILCHIMP_ADMIN_TOKEN": s.admin_token,
            "CS_MAILCHIMP_BROKER_URL": self.broker,
            "CS_MAILCHIMP_QUEUE": self.queue,
        }
        self.container: Container = build_container(self.settings)
        self.engine = sa.create_engine(self.database_url, pool_size=1)
        self.http = httpx.Client(base_url=self.sim_url, timeout=30)
        sim = ["simulator", "--port", str(sim_port), "--latency", str(LATENCY), "--no-seed"]
        try:
            self.sim = self._service("simulator", sim)
            _wait_until("simulator", lambda: _answers(self.sim_url + "/_sim/stats"), 60, self.sim)
            self.app = self._service("app", ["serve", "--port", str(app_port)])
            _wait_until("app", lambda: _answers(s.public_url + "/health"), 60, self.app)
        except BaseException:
            self.close()
            raise

    def _service(self, name: str, args: list[str]) -> Service:
        service = Service.start(name, args, self.env, self.workdir)
        self.services.append(service)
        return service

    def close(self) -> None:
        for service in reversed(self.services):
            service.stop()
        self.http.close()
        self.engine.dispose()
        from calendarspots_mailchimp.adapters.persistence import plugin

        plugin.forget(self.database_url)
        purged = purge_queue(self.broker, self.queue)
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        admin.dispose()
        _say(
            f"  clean-up: processes stopped, queue {self.queue} purged ({purged} left), "
            f"database {self.db_name} dropped"
        )

    # -- tenants ---------------------------------------------------------------------------
    def add_tenants(self, ids: list[str], clients: int, zone: str, processes: int = 1) -> None:
        """Each tenant its own MailChimp account with an empty `calendarspots` audience, a
        stored token, connected, never synced (the onboarding night pushes everything).
        `processes` > 1 splits the work over that many processes (set-up only: not measured)."""
        if processes > 1:
            _in_processes(self._settings_dict(), "add", ids, processes, clients=clients, zone=zone)
            return
        _add_tenants(self.container, self.http, self.sim_url, ids, clients, zone)

    def _settings_dict(self) -> dict[str, Any]:
        return {"settings": asdict(self.settings), "sim_url": self.sim_url}

    def change_some(self, tenant_id: str, total: int, share: float, version: int) -> int:
        return change_some(self.container, tenant_id, total, share, version)

    def change_all(self, ids: list[str], total: int, version: int, processes: int) -> None:
        """1 % of every tenant's clients change (set-up between nights, not measured)."""
        if processes > 1:
            _in_processes(
                self._settings_dict(), "change", ids, processes, clients=total, version=version
            )
            return
        for tenant_id in ids:
            self.change_some(tenant_id, total, 0.01, version)

    def set_latency(self, seconds: float) -> None:
        self.http.post("/_sim/latency", json={"seconds": seconds}).raise_for_status()

    def next_night(self, ids: list[str]) -> None:
        """Moves every tenant's last synced night back one day: tonight is due again."""
        with self.container.uow()() as uow:
            for tenant_id in ids:
                tenant = uow.tenants.get(tenant_id)
                assert tenant is not None and tenant.last_sync_local_date is not None
                uow.tenants.save(
                    replace(tenant, last_sync_local_date=tenant.last_sync_local_date - timedelta(1))
                )
            uow.commit()

    # -- the database, read while the workers run ------------------------------------------
    def last_run_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM sync_runs")).one()[0])

    def finished_runs(self, after_id: int) -> list[tuple[str, str]]:
        query = sa.text(
            "SELECT tenant_id, status FROM sync_runs "
            "WHERE id > :after AND kind = 'nightly' AND status <> 'running'"
        )
        with self.engine.connect() as conn:
            return [(str(t), str(s)) for t, s in conn.execute(query, {"after": after_id})]

    # -- one night ---------------------------------------------------------------------------
    def night(self, label: str, workers: int, concurrency: int, timeout: float) -> Night:
        self.http.post("/_sim/stats/reset").raise_for_status()
        sim_cpu0 = cpu_seconds(self.sim.popen.pid)
        started = [
            self._service(
                f"worker{len(self.services)}",
                [
                    "worker",
                    "--concurrency",
                    str(concurrency),
                    "--pool",
                    self.pool,
                    "--loglevel",
                    "INFO",
                ],
            )
            for _ in range(workers)
        ]
        try:
            for w in started:
                _wait_until(w.name, lambda w=w: " ready." in w.text(), 120, w)
            idle = [pool_rss_mb(w.popen.pid) for w in started]
            cpu0 = sum(cpu_seconds(w.popen.pid) for w in started)
            before = self.last_run_id()
            t0 = time.perf_counter()
            now = datetime.now(UTC).isoformat()
            enqueue = subprocess.run(
                [CLI, "enqueue", "--now", now, "--json"],
                cwd=self.workdir,
                env=self.env,
                capture_output=True,
                text=True,
                check=False,
            )
            enqueue_s = time.perf_counter() - t0
            if enqueue.returncode != 0:
                raise RuntimeError(f"enqueue failed: {enqueue.stderr[-2000:]}")
            sent = json.loads(enqueue.stdout)["sent"]
            deadline = time.monotonic() + timeout
            while len({t for t, _ in self.finished_runs(before)}) < len(sent):
                dead = [w.name for w in started if not w.alive()]
                if dead or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{label}: {'died: ' + ', '.join(dead) if dead else 'timed out'}\n"
                        + started[0].text()[-3000:]
                    )
                time.sleep(0.25)
            wall = time.perf_counter() - t0
            # Let the last task be logged and acknowledged before reading CPU and memory.
            _wait_until(
                "task log",
                lambda: sum(len(DONE.findall(w.text())) for w in started) >= len(sent),
                30,
            )
            cpu = sum(cpu_seconds(w.popen.pid) for w in started) - cpu0
            rss = [pool_rss_mb(w.popen.pid) for w in started]
            sim_cpu = cpu_seconds(self.sim.popen.pid) - sim_cpu0
            stats = self.http.get("/_sim/stats").json()
        finally:
            for w in started:
                w.stop()
        runs = self.finished_runs(before)
        per_tenant = Counter(t for t, _ in runs)
        statuses = Counter(s for _, s in runs)
        logs = "\n".join(w.text() for w in started)
        peaks: dict[str, int] = stats["peak_concurrency"]
        return Night(
            workers=workers,
            label=label,
            enqueued=len(sent),
            synced=statuses["succeeded"] + statuses["partial"],
            failed=statuses["failed"],
            wall_s=wall,
            enqueue_s=enqueue_s,
            api_calls=int(stats["total_api_requests"]),
            cpu_s=cpu,
            sim_cpu_s=sim_cpu,
            rss_mb=rss,
            idle_rss_mb=idle,
            peak_conc=max(peaks.values(), default=0),
            accounts=len(peaks),
            refused_429=int(stats["connections_refused"]),
            duplicates=sum(1 for n in per_tenant.values() if n > 1),
            outcomes=Counter(m for o in DONE.findall(logs) for m in OUTCOME.findall(o)),
            trouble=[m.group(0) for m in TROUBLE.finditer(logs)],
        )

    def inprocess_night(self, label: str, concurrency: int, timeout: float) -> Night:
        """One night through `cs-mailchimp nightly --concurrency N`: one process, N tenants at
        a time (the cron path, no broker). CPU and peak RSS are that process's own (wait4 and
        VmHWM polled while it runs)."""
        self.http.post("/_sim/stats/reset").raise_for_status()
        sim_cpu0 = cpu_seconds(self.sim.popen.pid)
        before = self.last_run_id()
        log = self.workdir / f"nightly{before}.log"
        with log.open("wb") as handle:
            t0 = time.perf_counter()
            popen = subprocess.Popen(
                [CLI, "nightly", "--concurrency", str(concurrency), "--json"],
                cwd=self.workdir,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
            peak, deadline = 0.0, time.monotonic() + timeout
            while True:
                pid, status, usage = os.wait4(popen.pid, os.WNOHANG)
                if pid:
                    break
                peak = max(peak, vm_hwm_mb(popen.pid))
                if time.monotonic() > deadline:
                    popen.kill()
                    raise RuntimeError(f"{label}: timed out")
                time.sleep(0.25)
            wall = time.perf_counter() - t0
            popen.returncode = os.waitstatus_to_exitcode(status)
        text = log.read_text(encoding="utf-8", errors="replace")
        if popen.returncode != 0:
            raise RuntimeError(f"{label}: nightly exited {popen.returncode}\n{text[-3000:]}")
        sim_cpu = cpu_seconds(self.sim.popen.pid) - sim_cpu0
        stats = self.http.get("/_sim/stats").json()
        runs = self.finished_runs(before)
        per_tenant = Counter(t for t, _ in runs)
        statuses = Counter(s for _, s in runs)
        peaks: dict[str, int] = stats["peak_concurrency"]
        return Night(
            workers=0,
            label=label,
            enqueued=len(per_tenant),
            synced=statuses["succeeded"] + statuses["partial"],
            failed=statuses["failed"],
            wall_s=wall,
            enqueue_s=0.0,
            api_calls=int(stats["total_api_requests"]),
            cpu_s=usage.ru_utime + usage.ru_stime,
            sim_cpu_s=sim_cpu,
            rss_mb=[peak],
            idle_rss_mb=[0.0],
            peak_conc=max(peaks.values(), default=0),
            accounts=len(peaks),
            refused_429=int(stats["connections_refused"]),
            duplicates=sum(1 for n in per_tenant.values() if n > 1),
            outcomes=statuses,
            trouble=[m.group(0) for m in TROUBLE.finditer(text)],
        )


# -- set-up in several processes (not measured) -----------------------------------------------
def _add_tenants(
    container: Container, http: httpx.Client, sim_url: str, ids: list[str], clients: int, zone: str
) -> None:
    for tenant_id in ids:
        made = _post(
            http,
            "/_sim/accounts",
            {"login": f"{tenant_id}@example.com", "account_name": tenant_id, "token": True},
        )
        _post(http, f"/_sim/accounts/{made['account_id']}/lists", {"name": "calendarspots"})
        container.tenants().add(AddTenant(tenant_id, f"Salon {tenant_id}", zone))
        upsert_clients(container, tenant_id, client_rows(tenant_id, clients))
        with container.uow()() as uow:
            box = container.secret_box()
            uow.scope(tenant_id).token.put(box.encrypt(str(made["token"])))
            tenant = uow.tenants.get(tenant_id)
            assert tenant is not None
            uow.tenants.save(
                replace(tenant, api_endpoint=sim_url, account_name=tenant_id).with_state(
                    ConnectionState.CONNECTED
                )
            )
            uow.commit()


def _post(http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.post(path, json=body)
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()
    return data


_part: dict[str, Any] = {}


def _part_init(world: dict[str, Any]) -> None:
    _part["container"] = build_container(Settings(**world["settings"]))
    _part["http"] = httpx.Client(base_url=world["sim_url"], timeout=60)
    _part["sim_url"] = world["sim_url"]


def _part_run(job: tuple[str, list[str], dict[str, Any]]) -> int:
    what, ids, extra = job
    container = _part["container"]
    if what == "add":
        _add_tenants(
            container, _part["http"], _part["sim_url"], ids, extra["clients"], extra["zone"]
        )
    else:
        for tenant_id in ids:
            change_some(container, tenant_id, extra["clients"], 0.01, extra["version"])
    return len(ids)


def _in_processes(
    world: dict[str, Any], what: str, ids: list[str], processes: int, **extra: Any
) -> None:
    import multiprocessing

    chunks = [ids[i : i + 50] for i in range(0, len(ids), 50)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=_part_init, initargs=(world,)) as pool:
        done = 0
        for count in pool.imap_unordered(_part_run, [(what, c, extra) for c in chunks]):
            done += count
            if done % 1000 < 50:
                _say(f"    {what}: {done:,} / {len(ids):,} tenants")


def purge_queue(broker: str, queue: str) -> int:
    """Empties and deletes the benchmark's queue (and its kombu binding); returns how many
    messages were still in it."""
    import redis

    client = redis.Redis.from_url(broker)
    try:
        keys = list(client.scan_iter(match=f"{queue}*"))
        left = sum(int(client.llen(k)) for k in keys if client.type(k) == b"list")
        bindings = [f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"]
        client.delete(*keys, *bindings)
        client.zrem("_kombu.binding_deadlines", *bindings)
        return left
    finally:
        client.close()


def _row(n: Night) -> None:
    rss = "/".join(f"{r:.0f}" for r in n.rss_mb)
    idle = "/".join(f"{r:.0f}" for r in n.idle_rss_mb)
    _say(
        f"  {_who(n)}, {n.label:<22} synced={n.synced}/{n.enqueued} "
        f"failed={n.failed}  wall={n.wall_s:7.1f} s (enqueue {n.enqueue_s:.1f} s)  "
        f"calls={n.api_calls:>6}  cpu={n.cpu_s:7.1f} s  peak_rss={rss} MB (idle {idle})  "
        f"peak_conc={n.peak_conc} over {n.accounts} accounts  429s={n.refused_429}  "
        f"simulator cpu={n.sim_cpu_s:.1f} s"
    )
    _say(
        f"    task outcomes: {dict(n.outcomes)}  tenants with >1 run: {n.duplicates}  "
        f"load average after: {os.getloadavg()[0]:.1f}"
    )
    for line in n.trouble[:10]:
        _say(f"    log: {line.strip()[:300]}")
    if len(n.trouble) > 10:
        _say(f"    log: … {len(n.trouble) - 10} more ERROR/WARNING lines")


def _wait_for_quiet(threshold: float, longest: float) -> None:
    """Before the measured nights: waits (at most `longest` seconds) until the machine's
    1-minute load average is under `threshold`, and says what it was."""
    if threshold <= 0:
        return
    deadline = time.monotonic() + longest
    while os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        time.sleep(10)
    _say(f"  load average before the measured nights: {os.getloadavg()[0]:.1f}")


def _who(n: Night) -> str:
    return "in-process (nightly)" if n.workers == 0 else f"{n.workers} worker(s)"


def _table(nights: list[Night], clients: int) -> None:
    _say(
        "\n| workers | night | tenants synced | wall | API calls | worker CPU | "
        "peak RSS per worker | peak connections per account |"
    )
    _say("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in nights:
        rss = " / ".join(f"{r:.0f} MB" for r in n.rss_mb)
        _say(
            f"| {_who(n)} | {n.label} | {n.synced:,} / {n.enqueued:,} | {n.wall_s:.1f} s | "
            f"{n.api_calls:,} | {n.cpu_s:.1f} s | {rss} | {n.peak_conc} |"
        )
    _say(f"({clients:,} clients per tenant; wall includes the enqueue command itself)")


def _capacity(n: Night, tenants: int) -> None:
    """The steady night, extrapolated: tenants per 4-hour night on this machine."""
    per_tenant = n.wall_s / max(1, n.synced)
    _say(
        f"    → {per_tenant * 1000:.1f} ms wall and {n.cpu_s / max(1, n.synced) * 1000:.1f} ms "
        f"CPU per tenant ({_who(n)}); a 4 h night holds ≈ "
        f"{4 * 3600 / per_tenant:,.0f} such tenants (goal: 200,000 = 72 ms per tenant)"
    )


def run(args: argparse.Namespace) -> list[Night]:
    tenants, clients = (int(x) for x in args.fleet.split("x"))
    paths = {p for p in args.paths.split(",") if p}
    nights: list[Night] = []
    procs = args.setup_processes
    for workers in [int(w) for w in args.workers.split(",") if w]:
        _say(
            f"\n== {tenants} tenants × {clients} clients, {workers} × `cs-mailchimp worker "
            f"--pool {args.pool} --concurrency {args.concurrency}`"
            + (
                f" and `cs-mailchimp nightly --concurrency {args.inprocess_concurrency}`"
                if "inprocess" in paths
                else ""
            )
            + f", PostgreSQL + Redis, {LATENCY * 1000:.0f} ms"
        )
        workdir = Path(tempfile.mkdtemp(prefix="csmc-bench-workers-"))
        world = World(args, workdir)
        try:
            zone = night_zone(datetime.now(UTC))
            started = time.perf_counter()
            ids = [f"f{i:05d}" for i in range(tenants)]
            world.add_tenants(ids, clients, zone, procs)
            _say(
                f"  set-up ({tenants} accounts, {tenants * clients:,} clients, zone {zone}, "
                f"queue {world.queue}): {time.perf_counter() - started:.1f} s"
            )
            version = 1
            if args.unmeasured_onboarding:
                # Set-up, not figures: the onboarding and the first night after it (which reads
                # back what the onboarding wrote) at 0 ms, in one `nightly` process.
                world.set_latency(0)
                for label in ("onboarding (0 ms, set-up)", "first night (0 ms, set-up)"):
                    t0 = time.perf_counter()
                    done = world.inprocess_night(label, args.inprocess_concurrency, args.timeout)
                    _row(done)
                    _say(f"    ({time.perf_counter() - t0:.1f} s)")
                    world.change_all(ids, clients, version, procs)
                    version += 1
                    world.next_night(ids)
                world.set_latency(LATENCY)
            else:
                first = world.night("onboarding (all new)", workers, args.concurrency, args.timeout)
                _row(first)
                world.change_all(ids, clients, version, procs)
                version += 1
                world.next_night(ids)
                second = world.night("night, 1 % changed", workers, args.concurrency, args.timeout)
                _row(second)
                nights += [first, second]
                world.change_all(ids, clients, version, procs)
                version += 1
                world.next_night(ids)
            # The steady state: 1 % changed, nothing left to read back.
            _wait_for_quiet(args.quiet_load, args.quiet_wait)
            if "celery" in paths:
                third = world.night("night, 1 % (steady)", workers, args.concurrency, args.timeout)
                _row(third)
                nights.append(third)
                _capacity(third, tenants)
                world.change_all(ids, clients, version, procs)
                version += 1
                world.next_night(ids)
            if "inprocess" in paths:
                alone = world.inprocess_night(
                    "night, 1 % (steady)", args.inprocess_concurrency, args.timeout
                )
                _row(alone)
                nights.append(alone)
                _capacity(alone, tenants)
        finally:
            world.close()
            if args.keep_logs:
                _say(f"  logs kept in {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    return nights


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet_workers")
    parser.add_argument("--fleet", default="200x1000", help="TENANTSxCLIENTS")
    parser.add_argument("--workers", default="1,2", help="worker process counts, e.g. 1,2")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="pool processes (or threads) per worker"
    )
    parser.add_argument(
        "--pool", default="prefork", choices=["prefork", "threads"], help="the workers' pool"
    )
    parser.add_argument(
        "--broker",
        default=os.environ.get("CS_MAILCHIMP_BROKER_URL", "redis://127.0.0.1:6379/0"),
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per night")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs")
    parser.add_argument(
        "--paths",
        default="celery",
        help="steady nights to measure: celery, inprocess (`cs-mailchimp nightly`), or both",
    )
    parser.add_argument(
        "--inprocess-concurrency", type=int, default=8, help="`nightly --concurrency` (inprocess)"
    )
    parser.add_argument(
        "--setup-processes", type=int, default=1, help="processes that create the fleet"
    )
    parser.add_argument(
        "--quiet-load",
        type=float,
        default=0.0,
        help="before the measured nights, wait until the 1-minute load average is under this",
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=1800, help="longest wait for --quiet-load (s)"
    )
    parser.add_argument(
        "--unmeasured-onboarding",
        action="store_true",
        help="onboard (and run the first night) at 0 ms in one `nightly` process, as set-up",
    )
    args = parser.parse_args(argv)
    _say(
        "$ "
        + shlex.join(
            [
                "python",
                "-m",
                "benchmarks.fleet_workers",
                *(argv if argv is not None else sys.argv[1:]),
            ]
        )
    )
    nights = run(args)
    _table(nights, int(args.fleet.split("x")[1]))


if __name__ == "__main__":
    main()
