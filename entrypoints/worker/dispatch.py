"""The web server's side of the worker: the owner's "Sync now" sent as a task, when a worker is
configured (CS_MAILCHIMP_BROKER_URL); otherwise the page runs the sync in its request."""

from __future__ import annotations

import logging
from functools import lru_cache

from celery import Celery

from calendarspots_mailchimp.entrypoints.worker.celery_app import (
    TASK_EXPIRES_S,
    broker_configured,
    broker_url,
    make_celery,
    queue_name,
)

log = logging.getLogger("calendarspots_mailchimp.worker")
SYNC_NOW_TASK = "csmc.sync_now"  # as entrypoints/worker/tasks.py names it


@lru_cache(maxsize=4)
def _sender(broker: str, queue: str) -> Celery:
    return make_celery(broker, queue)


def worker_configured() -> bool:
    return broker_configured()


def queue_sync_now(tenant_id: str) -> bool:
    """Sends the task; False when the broker cannot take it (the caller then runs the sync
    itself). Never retries for long: a person waits for the answer."""
    celery = _sender(broker_url(), queue_name())
    try:
        celery.send_task(
            SYNC_NOW_TASK,
            args=[tenant_id],
            expires=TASK_EXPIRES_S,
            retry=False,
        )
    except Exception as exc:  # kombu's connection errors: the broker is down or unreachable
        log.warning("sync now: the broker did not take the task (%s)", type(exc).__name__)
        return False
    return True
