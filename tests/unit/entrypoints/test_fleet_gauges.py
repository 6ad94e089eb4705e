"""/metrics' fleet gauges (entrypoints/http/metrics.py FleetCollector): a small fleet's are read
at every scrape; once the view is slow (a large fleet), scrapes get the last figures and a new
view is computed in the background, never in the scrape."""

from __future__ import annotations

import threading
import time
from typing import Any

from prometheus_client.core import Metric

from calendarspots_mailchimp.entrypoints.http.metrics import FleetCollector


class View:
    def __init__(self, connected: int) -> None:
        self.connected = connected

    def by_state(self) -> dict[str, int]:
        return {"connected": self.connected}

    def last_night(self) -> dict[str, int]:
        return {"succeeded": self.connected}

    def overdue(self) -> list[Any]:
        return []

    def attention(self) -> list[Any]:
        return []


class Fleet:
    """The fleet status port's stand-in: counts views, each taking `delay` seconds; a view
    can be held (`gate`) to show that a scrape does not wait for it."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.views = 0
        self.connected = 1
        self.gate = threading.Event()
        self.gate.set()

    def view(self) -> View:
        self.gate.wait(10)
        time.sleep(self.delay)
        self.views += 1
        return View(self.connected)

    def unapplied_age(self) -> float:
        return 0.0


class Container:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    def fleet_status(self) -> Fleet:
        return self.fleet


def connected(families: list[Metric]) -> float:
    (tenants,) = [f for f in families if f.name == "csmc_tenants"]
    return next(s.value for s in tenants.samples if s.labels == {"state": "connected"})


def age(families: list[Metric]) -> float:
    (gauge,) = [f for f in families if f.name == "csmc_fleet_gauges_age_seconds"]
    return float(gauge.samples[0].value)


def test_a_small_fleet_is_read_at_every_scrape() -> None:
    fleet = Fleet(delay=0)
    collector = FleetCollector(Container(fleet))  # type: ignore[arg-type]
    assert connected(list(collector.collect())) == 1
    fleet.connected = 2
    assert connected(list(collector.collect())) == 2
    assert fleet.views == 2


def test_a_slow_fleet_view_is_reused_then_refreshed_in_the_background() -> None:
    fleet = Fleet(delay=FleetCollector.SLOW + 0.1)
    collector = FleetCollector(Container(fleet))  # type: ignore[arg-type]
    assert connected(list(collector.collect())) == 1  # the first scrape reads it
    fleet.connected = 2
    assert connected(list(collector.collect())) == 1  # fresh enough: reused
    assert fleet.views == 1

    collector.FRESH = 0.0  # a minute has passed
    fleet.gate.clear()  # the next view takes as long as we like
    started = time.monotonic()
    stale = list(collector.collect())
    assert time.monotonic() - started < 5  # the scrape did not wait for the view
    assert connected(stale) == 1 and age(stale) > 0
    fleet.gate.set()
    deadline = time.monotonic() + 10
    while fleet.views < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.05)
    collector.FRESH = 60.0
    assert connected(list(collector.collect())) == 2  # the background view's figures
    assert fleet.views == 2  # one background view, not one per scrape
