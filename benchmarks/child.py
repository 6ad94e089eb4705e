"""One measured action in its own process; prints one JSON line with wall time, CPU time (this
process) and peak RSS. Run by benchmarks/stack.py, not by hand."""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from benchmarks.stack import ShiftedClock, client_rows
from calendarspots_mailchimp.core.model import SyncKind, subscriber_hash
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.container import build_container
from calendarspots_mailchimp.entrypoints.messages import night_message, report_message

_built: dict[str, Any] = {}


def _container(spec: dict[str, Any]) -> Any:
    """One container per process, as a worker has (built before the clock starts for the
    actions in WARM: see main)."""
    from dependency_injector import providers

    if "container" not in _built:
        container = build_container(Settings(**spec["settings"]))
        clock = ShiftedClock(timedelta(seconds=spec["offset_s"]))
        container.clock.override(providers.Object(clock))
        _built["container"] = container
    return _built["container"]


def _warm(spec: dict[str, Any]) -> None:
    """What a worker process does once, before its first task: build the container, its
    database engine, its MailChimp connector (imports, plugins, TLS context)."""
    container = _container(spec)
    container.nightly_service()
    container.mailchimp()
    container.directory()


def initial(spec: dict[str, Any]) -> dict[str, Any]:
    container = _container(spec)
    tenant = spec["tenant"]
    check = container.check_service().check(tenant, fix=False, rediscover=True)
    assert check.ok, check.message
    report = container.sync_service().sync(tenant, SyncKind.INITIAL)
    assert report.ok, report_message(report)
    return {"counts": report.counts.as_dict(), "message": report_message(report)}


def nightly(spec: dict[str, Any]) -> dict[str, Any]:
    outcome = _container(spec).nightly_service().run_one(spec["tenant"])
    assert outcome.ok and outcome.report is not None, night_message(outcome)
    return {"counts": outcome.report.counts.as_dict(), "message": night_message(outcome)}


def manual(spec: dict[str, Any]) -> dict[str, Any]:
    report = _container(spec).sync_service().sync(spec["tenant"])
    assert report.ok, report_message(report)
    return {"counts": report.counts.as_dict(), "message": report_message(report)}


def _fan_out(work: Callable[[str], bool], tenants: list[str], workers: int) -> dict[str, Any]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(work, tenants))
    return {"tenants": len(tenants), "failed": results.count(False)}


def fleet_onboard(spec: dict[str, Any]) -> dict[str, Any]:
    container = _container(spec)

    def one(tenant: str) -> bool:
        if not container.check_service().check(tenant, fix=False, rediscover=True).ok:
            return False
        return bool(container.sync_service().sync(tenant, SyncKind.INITIAL).ok)

    return _fan_out(one, spec["tenants"], spec["workers"])


def fleet_night(spec: dict[str, Any]) -> dict[str, Any]:
    container = _container(spec)
    service = container.nightly_service()
    due = [d.tenant_id for d in service.due(container.clock().now())]
    return _fan_out(lambda t: service.run_one(t).ok, due, spec["workers"])


def _sdk(spec: dict[str, Any]) -> Any:
    import mailchimp_marketing

    client = mailchimp_marketing.Client()
    client.set_config({"access_token": spec["token"], "server": "us1"})
    client.api_client.host = spec["sim_url"] + "/3.0"
    return client


def sdk_put(spec: dict[str, Any]) -> dict[str, Any]:
    """The usual way: one PUT per member, one after the other."""
    client = _sdk(spec)
    for c in client_rows("sdk", spec["count"]):
        client.lists.set_list_member(
            spec["list_id"],
            subscriber_hash(c.email),
            {
                "email_address": c.email,
                "status_if_new": "subscribed",
                "merge_fields": c.merge_fields(),
            },
        )
    return {"members": spec["count"]}


def sdk_batch(spec: dict[str, Any]) -> dict[str, Any]:
    """The other usual way: every client, in batches of 500, every night."""
    client = _sdk(spec)
    batch: list[dict[str, Any]] = []
    calls = 0

    def send() -> None:
        client.lists.batch_list_members(
            spec["list_id"], {"members": batch, "update_existing": True}
        )

    for c in client_rows("sdk", spec["count"]):
        batch.append(
            {"email_address": c.email, "status": "subscribed", "merge_fields": c.merge_fields()}
        )
        if len(batch) == 500:
            send()
            calls += 1
            batch = []
    if batch:
        send()
        calls += 1
    return {"batches": calls}


ACTIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "initial": initial,
    "nightly": nightly,
    "manual": manual,
    "fleet_onboard": fleet_onboard,
    "fleet_night": fleet_night,
    "sdk_put": sdk_put,
    "sdk_batch": sdk_batch,
}


# A worker builds its container once and then runs many syncs: for these actions the
# container is built before the clock starts, and its CPU is reported as startup_cpu_s.
WARM = {"nightly", "fleet_night"}


def peak_rss_mb() -> float:
    """This process's own high-water RSS (VmHWM). Not ru_maxrss: Linux carries the parent's
    peak over fork and exec, and the parent holds the whole simulator."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    spec = json.loads(sys.argv[1])
    baseline = peak_rss_mb()
    warm_cpu = time.process_time()
    if spec["action"] in WARM:
        _warm(spec)
    warm_cpu = time.process_time() - warm_cpu
    started = time.perf_counter()
    cpu_started = time.process_time()
    data = ACTIONS[spec["action"]](spec)
    data["startup_cpu_s"] = warm_cpu  # the process's one-time start-up, not in cpu_s
    data["wall_s"] = time.perf_counter() - started
    data["cpu_s"] = time.process_time() - cpu_started
    data["peak_rss_mb"] = peak_rss_mb()
    data["baseline_rss_mb"] = baseline  # the interpreter and imports, before any work
    print(json.dumps(data))


if __name__ == "__main__":
    main()
