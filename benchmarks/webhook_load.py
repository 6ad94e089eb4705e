"""Webhook load: 2,000 MailChimp events, 20 in flight, against a real `cs-mailchimp serve`
process on loopback, on SQLite and on PostgreSQL. Prints events/s and p50/p99 latency.

    .venv/bin/python benchmarks/webhook_load.py [--events 2000] [--concurrency 20]
        [--backend sqlite|postgresql|both] [--postgres-url postgresql://postgres@127.0.0.1:5432/test]

Not a test: tests/e2e/test_webhook_load.py proves exactly-once with 200 events.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

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
def serve(url: str, log: Path) -> Iterator[str]:
    port = free_port()
    command = [str(Path(sys.executable).parent / "cs-mailchimp"), "serve", "--port", str(port)]
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
            yield base
        finally:
            process.terminate()
            process.wait(timeout=15)


def events(count: int) -> list[dict[str, str]]:
    kinds = ("unsubscribe", "cleaned", "profile", "subscribe")
    return [
        {
            "type": kinds[i % 4],
            "fired_at": "2026-03-01 12:00:00",
            "data[list_id]": LIST_ID,
            "data[email]": f"client{i}@example.com",
            "data[reason]": "hard" if i % 4 == 1 else "manual",
            "data[merges][FNAME]": f"Prénom{i}",
        }
        for i in range(count)
    ]


def run(backend: str, count: int, concurrency: int, postgres_url: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, database(backend, postgres_url, Path(tmp)) as url:
        seed(url, count)
        with serve(url, Path(tmp) / "serve.log") as base:
            tenant = Tenant("salon", "Salon", "America/Montreal", webhook_salt=SALT)
            target = f"{base}/webhooks/mailchimp/salon/{webhook_secret(KEY, tenant)}"
            limits = httpx.Limits(max_connections=concurrency)
            with httpx.Client(timeout=30, limits=limits) as http:

                def post(form: dict[str, str]) -> tuple[int, float]:
                    started = time.perf_counter()
                    status = http.post(target, data=form).status_code
                    return status, time.perf_counter() - started

                began = time.perf_counter()
                with ThreadPoolExecutor(concurrency) as pool:
                    results = list(pool.map(post, events(count)))
                elapsed = time.perf_counter() - began
            locked = (Path(tmp) / "serve.log").read_text(errors="replace").count("locked")
        latencies = sorted(latency for _, latency in results)
        statuses = Counter(status for status, _ in results)
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        print(
            f"{backend:10} {count} events, {concurrency} concurrent: {count / elapsed:7.1f} events/s, "
            f"p50 {p50:6.1f} ms, p99 {p99:6.1f} ms, max {latencies[-1] * 1000:6.1f} ms, "
            f"statuses {dict(statuses)}, 'database is locked' in log: {locked}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
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
        run(backend, args.events, args.concurrency, args.postgres_url)


if __name__ == "__main__":
    main()
