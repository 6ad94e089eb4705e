"""Prometheus metrics at `GET /metrics`, behind the admin token.

The fleet's gauges are read from the shared database (the `status` view, the webhook inbox), so
they are right whichever process serves the scrape and however many workers sync; on a large
fleet the view is recomputed in the background at most once a minute (FleetCollector). The counters (syncs, MailChimp requests, webhook events) come from the Telemetry adapter:
with PROMETHEUS_MULTIPROC_DIR, every process's (adapters/metrics/prometheus.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from calendarspots_mailchimp.core.services.fleet import FleetView
from calendarspots_mailchimp.entrypoints.container import Container
from calendarspots_mailchimp.entrypoints.http.access import admin_token

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class FleetCollector(Collector):
    """The fleet's gauges. A small fleet's are read at every scrape. A large one's view takes
    seconds (≈ 20 s of CPU at 200,000 tenants, more than a scrape's usual 10 s timeout), so
    once a view took longer than SLOW seconds, scrapes get the last one while it is younger
    than FRESH seconds, and then the last one again while a new one is computed in the
    background; `csmc_fleet_gauges_age_seconds` tells how old the figures are. The webhook
    inbox's age is one indexed query: read at every scrape."""

    SLOW = 0.5
    FRESH = 60.0

    def __init__(self, container: Container) -> None:
        self.container = container
        self._lock = threading.Lock()
        self._last: _Figures | None = None
        self._refreshing = False

    def collect(self) -> Iterator[Metric]:
        figures = self._figures()
        yield from figures.families
        yield GaugeMetricFamily(
            "csmc_fleet_gauges_age_seconds",
            "Age of the fleet gauges (tenants, last night, overdue, attention): on a large "
            "fleet they are recomputed in the background, at most once a minute.",
            value=max(0.0, time.monotonic() - figures.at),
        )
        yield GaugeMetricFamily(
            "csmc_webhook_oldest_unapplied_age_seconds",
            "Age of the oldest webhook event stored but not applied yet (0: none waits).",
            value=self.container.fleet_status().unapplied_age(),
        )

    def _figures(self) -> _Figures:
        with self._lock:
            last = self._last
            if last is None or last.took < self.SLOW:
                self._last = last = self._compute()
                return last
            if time.monotonic() - last.at >= self.FRESH and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="fleet-gauges", daemon=True).start()
            return last

    def _refresh(self) -> None:
        try:
            figures = self._compute()
            with self._lock:
                self._last = figures
        finally:
            with self._lock:
                self._refreshing = False

    def _compute(self) -> _Figures:
        started = time.monotonic()
        families = list(fleet_families(self.container.fleet_status().view()))
        return _Figures(families, time.monotonic(), time.monotonic() - started)


@dataclass(frozen=True)
class _Figures:
    families: list[Metric]
    at: float  # time.monotonic() when they were read
    took: float  # seconds the view took


def fleet_families(view: FleetView) -> Iterator[Metric]:
    tenants = GaugeMetricFamily("csmc_tenants", "Tenants by connection state.", labels=["state"])
    for state, count in view.by_state().items():
        tenants.add_metric([state], count)
    yield tenants
    nights = GaugeMetricFamily(
        "csmc_last_night_syncs",
        "Connected tenants by the outcome of their latest nightly sync of the last night.",
        labels=["outcome"],
    )
    for outcome, count in view.last_night().items():
        nights.add_metric([outcome], count)
    yield nights
    yield GaugeMetricFamily(
        "csmc_tenants_overdue",
        "Connected tenants with no successful sync for two local nights.",
        value=len(view.overdue()),
    )
    attention = GaugeMetricFamily(
        "csmc_tenants_needing_attention", "Problems that need someone, by kind.", labels=["code"]
    )
    codes: dict[str, int] = {}
    for problem in view.attention():
        codes[str(problem.code)] = codes.get(str(problem.code), 0) + 1
    for code, count in sorted(codes.items()):
        attention.add_metric([code], count)
    yield attention


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(FleetCollector(container))
        for collector in container.telemetry().collectors():
            self.registry.register(collector)

    async def endpoint(self, request: Request) -> Response:
        if not admin_token(self.container, request):
            return JSONResponse(
                {"error": "authentication required"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        body = await run_in_threadpool(generate_latest, self.registry)
        return Response(body, media_type=CONTENT_TYPE)
