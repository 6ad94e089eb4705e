"""`worker` and `enqueue`: the nightly fan-out on Celery (Redis broker, shared database)."""

from __future__ import annotations

import logging
import os
from enum import StrEnum
from typing import Annotated

import typer

from calendarspots_mailchimp.entrypoints.cli.common import emit, failures, schedule_instant, words
from calendarspots_mailchimp.entrypoints.container import runtime
from calendarspots_mailchimp.entrypoints.logs import JsonFormatter, json_logs_wanted, use_json_logs


class Pool(StrEnum):
    PREFORK = "prefork"
    THREADS = "threads"


# Top-level commands: main.py adds this app without a name.
app = typer.Typer()


def keep_json_logs(**kwargs: object) -> None:
    if not any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers):
        use_json_logs()


@app.command("worker")
def worker(
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            help="Pool size: processes (prefork) or threads (threads), each syncing one tenant "
            "at a time.",
        ),
    ] = 2,
    pool: Annotated[
        Pool,
        typer.Option(
            "--pool",
            "-P",
            help="prefork: one process per task slot. threads: the tasks of this process run "
            "in threads, so tenants overlap their waits on MailChimp (run one such worker "
            "per core, e.g. --pool threads --concurrency 8).",
        ),
    ] = Pool.PREFORK,
    beat: Annotated[
        bool,
        typer.Option(
            "--beat", help="Also enqueue due tenants every 10 minutes (run on ONE worker)."
        ),
    ] = False,
    broker: Annotated[
        str, typer.Option("--broker", help="Overrides CS_MAILCHIMP_BROKER_URL.")
    ] = "",
    queue: Annotated[str, typer.Option("--queue", help="Overrides CS_MAILCHIMP_QUEUE.")] = "",
    loglevel: Annotated[str, typer.Option("--loglevel")] = "INFO",
    hostname: Annotated[
        str,
        typer.Option(
            "--hostname",
            "-n",
            help="Celery node name (default: csmc-<pid>@<host>, unique per worker on a machine).",
        ),
    ] = "",
) -> None:
    """Start a Celery worker that runs one nightly sync task per tenant."""
    with failures():
        from calendarspots_mailchimp.entrypoints.worker.celery_app import configure
        from calendarspots_mailchimp.entrypoints.worker.tasks import app as celery

        configure(celery, broker or None, queue or None)
        if json_logs_wanted():
            from celery.signals import setup_logging

            # Celery leaves logging alone when someone answers this signal: the console
            # script's JSON handler (entrypoints/logs.py) stays, in every pool process.
            setup_logging.connect(keep_json_logs, weak=False)
        argv = [
            "worker",
            f"--concurrency={concurrency}",
            f"--pool={pool.value}",
            f"--loglevel={loglevel}",
            f"--queues={celery.conf.task_default_queue}",
            "--without-gossip",
            "--without-mingle",
            f"--hostname={hostname or f'csmc-{os.getpid()}@%h'}",
        ]
        if beat:
            argv.append("--beat")
        celery.worker_main(argv)


@app.command("enqueue")
def enqueue(
    now: Annotated[
        str,
        typer.Option(
            "--now",
            help="Pretend it is this instant for the schedule (ISO-8601; naive means UTC).",
        ),
    ] = "",
    broker: Annotated[
        str, typer.Option("--broker", help="Overrides CS_MAILCHIMP_BROKER_URL.")
    ] = "",
    queue: Annotated[str, typer.Option("--queue", help="Overrides CS_MAILCHIMP_QUEUE.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Send one sync task per tenant whose local night has come (cron, or `worker --beat`)."""
    with failures():
        from calendarspots_mailchimp.entrypoints.worker.celery_app import make_celery
        from calendarspots_mailchimp.entrypoints.worker.tasks import enqueue_due

        celery = make_celery(broker or None, queue or None)
        container = runtime()
        instant = schedule_instant(now, container.clock())
        try:
            sent = enqueue_due(container, celery, instant)
        finally:
            celery.close()
        emit(
            {"now": instant.isoformat(), "queue": celery.conf.task_default_queue, "sent": sent},
            as_json,
            lambda: typer.echo(
                words().n_(
                    "{n} tenant enqueued: {tenants}",
                    "{n} tenants enqueued: {tenants}",
                    len(sent),
                    tenants=", ".join(sent) or "-",
                )
            ),
        )
