"""Prometheus metrics at `GET /metrics`, behind the admin token.

The fleet's gauges are read from the shared database at each scrape (the `status` view, the
webhook inbox), so they are right whichever process serves the scrape and however many workers
sync. The counters (syncs, MailChimp requests, webhook events) come from the Telemetry adapter:
with PROMETHEUS_MULTIPROC_DIR, every process's (adapters/metrics/prometheus.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from calendarspots_mailchimp.entrypoints.container import Container
from calendarspots_mailchimp.entrypoints.http.access import admin_token

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class FleetCollector(Collector):
    def __init__(self, container: Container) -> None:
        self.container = container

    def collect(self) -> Iterator[Metric]:
        view = self.container.fleet_status().view()
        tenants = GaugeMetricFamily(
            "csmc_tenants", "Tenants by connection state.", labels=["state"]
        )
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
            "csmc_tenants_needing_attention",
            "Problems that need someone, by kind.",
            labels=["code"],
        )
        codes: dict[str, int] = {}
        for problem in view.attention():
            codes[str(problem.code)] = codes.get(str(problem.code), 0) + 1
        for code, count in sorted(codes.items()):
            attention.add_metric([code], count)
        yield attention
        fleet = self.container.fleet_status()
        oldest = fleet.oldest_unapplied_event()
        age = 0.0 if oldest is None else max(0.0, (view.at - oldest).total_seconds())
        yield GaugeMetricFamily(
            "csmc_webhook_oldest_unapplied_age_seconds",
            "Age of the oldest webhook event stored but not applied yet (0: none waits).",
            value=age,
        )


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
