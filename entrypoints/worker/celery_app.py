"""The Celery application: Redis broker, no result backend, one queue.

Settings beyond core's (read here because only the worker needs them):
CS_MAILCHIMP_BROKER_URL (default redis://127.0.0.1:6379/0) and CS_MAILCHIMP_QUEUE (default
cs-mailchimp), from the environment or the .env file like every other setting. The web
server reads them too: with CS_MAILCHIMP_BROKER_URL set, the owner's "Sync now" is queued on
the worker (entrypoints/worker/dispatch.py) instead of running in the web request.
"""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery

from calendarspots_mailchimp.core.settings import read_dotenv

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE = "cs-mailchimp"
ENQUEUE_EVERY_S = 600.0  # the beat schedule: due tenants are looked for every 10 minutes
# A sync of 100k clients takes minutes; a task still queued this long after it was enqueued
# is dropped, and the next enqueue (10 minutes later) puts the tenant back if still due.
TASK_EXPIRES_S = 3600


def _setting(name: str, default: str) -> str:
    value = os.environ.get(name) or read_dotenv(Path(".env")).get(name, "")
    return value.strip() or default


def broker_url() -> str:
    return _setting("CS_MAILCHIMP_BROKER_URL", DEFAULT_BROKER_URL)


def broker_configured() -> bool:
    """Whether a worker is configured: CS_MAILCHIMP_BROKER_URL set (not just the default)."""
    return bool(_setting("CS_MAILCHIMP_BROKER_URL", ""))


def queue_name() -> str:
    return _setting("CS_MAILCHIMP_QUEUE", DEFAULT_QUEUE)


def make_celery(broker: str | None = None, queue: str | None = None) -> Celery:
    app = Celery("cs_mailchimp", include=[__package__ + ".tasks"])
    app.conf.update(
        task_ignore_result=True,
        # A task is acknowledged once done: a worker killed mid-sync gives it back. The
        # database lease makes the redelivered copy wait its turn instead of syncing twice.
        task_acks_late=True,
        # Tasks are long (seconds to minutes): a worker takes one at a time, so an idle worker
        # is never starved by a busy one that reserved several.
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
    )
    return configure(app, broker, queue)


def configure(app: Celery, broker: str | None = None, queue: str | None = None) -> Celery:
    """Points the app at a broker and a queue (defaults: the settings above)."""
    name = queue or queue_name()
    app.conf.update(
        broker_url=broker or broker_url(),
        task_default_queue=name,
        beat_schedule={
            "enqueue-due-tenants": {
                "task": "csmc.enqueue_due",
                "schedule": ENQUEUE_EVERY_S,
                "options": {"queue": name, "expires": ENQUEUE_EVERY_S},
            }
        },
    )
    return app
