"""Webhook load: MailChimp events, 50 in flight on 50 keep-alive connections, against a real
`cs-mailchimp serve` process on loopback, on SQLite and on PostgreSQL. Prints events/s, p50/p99
latency of the answers, and how long after the last answer every event was applied.

    .venv/bin/python benchmarks/webhook_load.py [--events 5000] [--concurrency 50]
        [--backend sqlite|postgresql|both] [--workers 1]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/test]

The client is raw asyncio sockets with requests built beforehand, so that on a 2-core machine
it takes little of the CPU the server needs. Not a test: tests/e2e/test_webhook_load.py proves
exactly-once, tests/e2e/test_resilience_kill.py through kill -9.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import httpx

from calendarspots_mailchimp.core.model import Tenant
from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.services.webhook_address import webhook_secret
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.container import build_container
from calendarspots_mailchimp.entrypoints.http.server import free_port

LIST_ID = "benchlist01"
SALT = "bench-salt"
KEY = "bench-key-not-for-production-0123456789"


@contextmanager
def database(backend: str, postgres_url: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    import sqlalchemy as sa

    name = f"csmc_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, clients: int) -> None:
    container = build_container(Settings(database_url=url, secret_key=KEY))
    container.tenants().add(AddTenant("salon", "Salon", "America/Montreal"))
    rows = ["email,first_name,last_name,birthday,client_id"]
    rows += [f"client{i}@example.com,Prénom{i},Nom{i},,c{i}" for i in range(clients)]
    report = container.clients().import_csv("salon", ("\n".join(rows) + "\n").encode())
    assert not report.errors, report.errors
    with container.uow()() as uow:
        tenant = uow.tenants.get("salon")
        assert tenant is not None
        uow.tenants.save(replace(tenant, audience_id=LIST_ID, webhook_salt=SALT))
        uow.commit()


@contextmanager
def serve(url: str, log: Path, workers: int = 1) -> Iterator[tuple[str, int]]:
    port = free_port()
    command = [str(Path(sys.executable).parent / "cs-mailchimp"), "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    env = {**os.environ, "CS_MAILCHIMP_DATABASE_URL": url, "CS_MAILCHIMP_SECRET_KEY": KEY}
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"serve did not start; see {log}")
                time.sleep(0.1)
            yield base, process.pid
        finally:
            process.terminate()
            process.wait(timeout=30)


def events(count: int, start: int = 0) -> list[dict[str, str]]:
    kinds = ("unsubscribe", "cleaned", "profile", "subscribe")
    return [
        {
            "type": kinds[i % 4],
            "fired_at": f"2026-03-01 12:{i // 60 % 60:02d}:{i % 60:02d}",
            "data[list_id]": LIST_ID,
            "data[email]": f"client{i}@example.com",
            "data[reason]": "hard" if i % 4 == 1 else "manual",
            "data[merges][FNAME]": f"Prénom{i}",
        }
        for i in range(start, start + count)
    ]


def request_bytes(path: str, form: dict[str, str]) -> bytes:
    body = urlencode(form).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "User-Agent: MailChimp.com\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def blast(
    port: int, requests: list[bytes], concurrency: int
) -> tuple[list[tuple[int, float]], float]:
    """Sends every request over `concurrency` keep-alive connections, one in flight on each;
    returns (status, seconds) per request and the wall time."""
    results: list[tuple[int, float]] = []
    todo = iter(requests)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in todo:
                began = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                results.append((int(head[9:12]), time.perf_counter() - began))
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return results, time.perf_counter() - began


def server_cpu(pid: int) -> float:
    """CPU seconds of the server process and its children (uvicorn's workers), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(c) for c in children.read_text().split()]
    for one in pids:
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pending_and_entries(url: str) -> tuple[int, Counter[str]]:
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            pending = conn.execute(
                sa.text("SELECT count(*) FROM webhook_inbox WHERE applied_at IS NULL")
            ).scalar_one()
            kinds = Counter(
                {
                    str(kind): int(n)
                    for kind, n in conn.execute(
                        sa.text("SELECT kind, count(*) FROM activity GROUP BY kind")
                    )
                }
            )
    finally:
        engine.dispose()
    return int(pending), kinds


def run(backend: str, count: int, concurrency: int, postgres_url: str, workers: int) -> None:
    warm = 500
    with tempfile.TemporaryDirectory() as tmp, database(backend, postgres_url, Path(tmp)) as url:
        seed(url, warm + count)
        with serve(url, Path(tmp) / "serve.log", workers) as (base, pid):
            tenant = Tenant("salon", "Salon", "America/Montreal", webhook_salt=SALT)
            path = f"/webhooks/mailchimp/salon/{webhook_secret(KEY, tenant)}"
            port = int(base.rsplit(":", 1)[1])
            warm_up = [request_bytes(path, form) for form in events(warm)]
            asyncio.run(blast(port, warm_up, concurrency))  # connections, caches, JIT-less paths
            load = [request_bytes(path, form) for form in events(count, warm)]
            cpu_before = server_cpu(pid)
            results, elapsed = asyncio.run(blast(port, load, concurrency))
            answered = time.perf_counter()
            cpu = server_cpu(pid) - cpu_before
            while True:
                pending, kinds = pending_and_entries(url)
                if not pending or time.perf_counter() - answered > 300:
                    break
                time.sleep(0.05)
            drained = time.perf_counter() - answered
            logged = (Path(tmp) / "serve.log").read_text(errors="replace")
        latencies = sorted(latency for _, latency in results)
        statuses = Counter(status for status, _ in results)
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        total = warm + count
        applied = sum(kinds[k] for k in KINDS)
        print(
            f"{backend:10} {count} events, {concurrency} concurrent, {workers} worker(s): "
            f"{count / elapsed:7.1f} events/s, p50 {p50:6.1f} ms, p99 {p99:6.1f} ms, "
            f"max {latencies[-1] * 1000:6.1f} ms, statuses {dict(statuses)}; server CPU "
            f"{cpu / count * 1000:.2f} ms/event during the load; all applied "
            f"{drained:5.1f} s after the last answer ({applied}/{total} activity entries, "
            f"{pending} pending); 'database is locked' in log: {logged.count('locked')}, "
            f"tracebacks: {logged.count('Traceback')}"
        )


KINDS = (
    "contact.unsubscribed",
    "contact.cleaned",
    "mailchimp.profile.recorded",
    "mailchimp.subscribe.recorded",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help="cs-mailchimp serve --workers")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "CS_MAILCHIMP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    print("command:", shlex.join([sys.executable, *sys.argv]))
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        run(backend, args.events, args.concurrency, args.postgres_url, args.workers)


if __name__ == "__main__":
    main()
