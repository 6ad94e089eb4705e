"""The Telemetry port in Prometheus series (prometheus-client), right across processes.

The HTTP server, the Celery workers and a cron's `nightly` are separate processes, and the
scrape goes to the server. With `PROMETHEUS_MULTIPROC_DIR` set (prometheus-client's own
multiprocess mode, the variable must be set before the process starts), every process writes
its counters to small memory-mapped files in that directory and the scrape adds them all up.
We chose this over counters kept in the database: a count per MailChimp call or webhook event
would be a database write on the hottest paths, and the fleet's gauges, which the database
already knows, are read from it at scrape time anyway.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    values,
)
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from calendarspots_mailchimp.core.errors import ConfigurationError

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# A sync of a small tenant takes about a second, a 100,000-client initial sync a few minutes.
SYNC_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


def multiprocess_dir() -> str | None:
    """The directory every process of the fleet shares, when set and present."""
    path = os.environ.get(MULTIPROC_ENV, "")
    return path if path and os.path.isdir(path) else None


def writes_to_files() -> bool:
    """Whether this process's metrics live in the shared files (decided when
    prometheus-client was first imported, from the environment the process started with)."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


class PrometheusTelemetry:
    """Implements ports.telemetry.Telemetry."""

    def __init__(self) -> None:
        self._failed = False
        # `_created` series mean nothing across processes.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.syncs = Counter(
            "csmc_syncs", "Sync runs ended, by kind and outcome.", ["kind", "outcome"], registry=r
        )
        self.sync_seconds = Histogram(
            "csmc_sync_duration_seconds",
            "How long sync runs took, by kind.",
            ["kind"],
            buckets=SYNC_BUCKETS,
            registry=r,
        )
        self.requests = Counter(
            "csmc_mailchimp_requests",
            "HTTP requests answered by MailChimp (or not: transport_error), by method, "
            "endpoint template and status.",
            ["method", "endpoint", "status"],
            registry=r,
        )
        self.throttles = Counter(
            "csmc_mailchimp_throttles",
            "Requests MailChimp throttled (429), waited out.",
            registry=r,
        )
        self.retries = Counter(
            "csmc_mailchimp_retries",
            "Requests sent again after a 5xx or a transport error, by reason.",
            ["reason"],
            registry=r,
        )
        self.webhook_events = Counter(
            "csmc_webhook_events",
            "Webhook events MailChimp delivered, by event type and outcome.",
            ["type", "outcome"],
            registry=r,
        )

    def sync_finished(self, kind: str, outcome: str, seconds: float) -> None:
        with self._never_failing():
            self.syncs.labels(kind, outcome).inc()
            self.sync_seconds.labels(kind).observe(seconds)

    def mailchimp_request(self, method: str, endpoint: str, status: str) -> None:
        with self._never_failing():
            self.requests.labels(method, endpoint, status).inc()

    def mailchimp_throttled(self) -> None:
        with self._never_failing():
            self.throttles.inc()

    def mailchimp_retried(self, reason: str) -> None:
        with self._never_failing():
            self.retries.labels(reason).inc()

    def webhook_event(self, event_type: str, outcome: str) -> None:
        with self._never_failing():
            self.webhook_events.labels(event_type, outcome).inc()

    @contextmanager
    def _never_failing(self) -> Iterator[None]:
        """A count that cannot be written (a full disk under the metrics directory) is lost,
        said once per process; the sync or the webhook goes on."""
        try:
            yield
        except Exception:
            if not self._failed:
                self._failed = True
                log.exception("a metric could not be counted (more such failures are not logged)")

    def collectors(self) -> list[Collector]:
        """What a scrape reports of the counters: every process's files in multiprocess mode,
        plus this process's own live values when they are not in those files (a process
        started without the variable, as a test's in-process server is)."""
        found: list[Collector] = []
        path = multiprocess_dir()
        if path is not None:
            found.append(_Files(path))
        if path is None or not writes_to_files():
            found.append(_Live(self.registry))
        return found


class _Files(Collector):
    def __init__(self, path: str) -> None:
        self.collector = MultiProcessCollector(None, path=path)  # type: ignore[no-untyped-call]

    def collect(self) -> Iterator[Metric]:
        return iter(self.collector.collect())  # type: ignore[no-untyped-call]


class _Live(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        return iter(self.registry.collect())


_lock = threading.Lock()
_shared: PrometheusTelemetry | None = None


def telemetry() -> PrometheusTelemetry:
    """In multiprocess mode one per process (two sets of metrics of the same name in one
    process would overwrite each other's counts in its file); otherwise one per container, so
    tests that build many apps in one process count each app's own."""
    global _shared
    if not writes_to_files():
        return PrometheusTelemetry()
    if multiprocess_dir() is None:
        given = os.environ.get(MULTIPROC_ENV, "")
        raise ConfigurationError(
            f"{MULTIPROC_ENV} must name an existing directory the fleet's processes can write "
            f"to, got {given!r}",
            code="setting.metrics_dir",
            facts={"name": MULTIPROC_ENV, "value": given},
        )
    with _lock:
        if _shared is None:
            _shared = PrometheusTelemetry()
        return _shared
