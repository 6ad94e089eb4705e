"""`python -m benchmarks [--quick] [--postgres] [--only ...]`: see benchmarks/README.md."""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import time
from datetime import timedelta
from typing import Any

from benchmarks.stack import ChildResult, Stack

LATENCY = 0.05  # seconds the simulator adds to every API request
NIGHT = timedelta(days=1)  # virtual time between onboarding and the first night, then 24 h


def _say(text: str) -> None:
    print(text, flush=True)


def _row(label: str, r: ChildResult, extra: str = "") -> None:
    d = r.data
    _say(
        f"  {label:<44} calls={r.api_calls:>6}  wall={d['wall_s']:8.2f} s  "
        f"cpu={d['cpu_s']:7.2f} s{_startup(d)}  peak_rss={d['peak_rss_mb']:6.0f} MB "
        f"(idle {d['baseline_rss_mb']:.0f})  peak_conc={r.peak_concurrency}"
        + (f"  {extra}" if extra else "")
    )


def _startup(d: dict[str, Any]) -> str:
    """The process's one-time start-up (container, imports), measured apart for the actions a
    worker repeats (benchmarks/child.py WARM)."""
    startup = float(d.get("startup_cpu_s", 0.0))
    return f" (+{startup:.2f} s start-up)" if startup > 0.01 else ""


def _check(label: str, ok: bool, detail: str) -> None:
    _say(f"  [{'MET' if ok else 'NOT MET'}] {label}: {detail}")


def sync_scenarios(stack: Stack, sizes: list[int], sdk_sample: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for n in sizes:
        _say(f"\n== {n} clients, {LATENCY * 1000:.0f} ms per request")
        tenant = f"t{n}"
        stack.clock.set(timedelta(0))
        stack.add_connected_tenant(tenant, n)
        first = stack.child("initial", tenant=tenant)
        _row("initial sync (check + sync)", first, str(first.data["counts"]))
        budget = math.ceil(n / 500) + 10
        _check(
            "initial sync ≤ ceil(N/500)+10 calls",
            first.api_calls <= budget,
            f"{first.api_calls} ≤ {budget}",
        )
        figures[f"initial_{n}"] = first

        stack.clock.set(timedelta(minutes=5))
        again = stack.child("manual", tenant=tenant)
        _row("sync 5 minutes after the onboarding", again, str(again.data["counts"]))
        figures[f"again_{n}"] = again
        stack.clock.set(NIGHT)
        night1 = stack.child("nightly", tenant=tenant)
        _row("night 1, the first after the onboarding", night1, str(night1.data["counts"]))
        figures[f"first_{n}"] = night1
        stack.clock.set(NIGHT + timedelta(days=1))
        quiet = stack.child("nightly", tenant=tenant)
        _row("night 2, no change", quiet, str(quiet.data["counts"]))
        figures[f"quiet_{n}"] = quiet
        stack.clock.set(NIGHT + timedelta(days=2))
        changed = stack.change_some(tenant, n, 0.01, version=1)
        busy = stack.child("nightly", tenant=tenant)
        _row(f"night 3, 1 % changed ({changed})", busy, str(busy.data["counts"]))
        figures[f"busy_{n}"] = busy

        # The usual ways, on their own audience in the same simulator.
        account = stack.sim.create_account(login=f"sdk{n}@example.com", account_name=f"sdk{n}")
        lst = stack.sim.create_list(account.account_id, "calendarspots", with_birthday=True)
        token = stack.sim.issue_token(account.account_id)
        sample = min(n, sdk_sample)
        put = stack.child("sdk_put", token=token, list_id=lst.list_id, count=sample)
        per_member = put.data["wall_s"] / sample
        _row(f"SDK: one PUT per member, {sample} measured", put)
        sdk_total = per_member * n
        note = "measured" if sample == n else f"extrapolated from {sample}"
        _say(f"    → {n} members: {sdk_total:,.0f} s and {n} calls ({note})")
        ratio = sdk_total / first.data["wall_s"]
        _check(
            "initial sync ≥ 20× faster than the per-member SDK loop", ratio >= 20, f"{ratio:.0f}×"
        )
        full = stack.child("sdk_batch", token=token, list_id=lst.list_id, count=n)
        _row("SDK: full push, every client in batches of 500", full)
        fewer = full.api_calls / max(1, busy.api_calls)
        _check(
            "1 %-change night ≥ 10× fewer calls than the full push",
            fewer >= 10,
            f"{full.api_calls} vs {busy.api_calls}: {fewer:.1f}×",
        )
        _check("no-change night ≤ 5 calls", quiet.api_calls <= 5, f"{quiet.api_calls}")
        _check(
            "first night after onboarding ≤ 5 calls", night1.api_calls <= 5, f"{night1.api_calls}"
        )
        _check("sync minutes after another ≤ 5 calls", again.api_calls <= 5, f"{again.api_calls}")
        _check("no-change night < 3 s CPU", quiet.data["cpu_s"] < 3, f"{quiet.data['cpu_s']:.2f} s")
        if n >= 100_000:
            cpu = quiet.data["cpu_s"]
            _check("no-change night at 100k < 0.3 s CPU (issue 12)", cpu < 0.3, f"{cpu:.2f} s")
        peak = max(first.data["peak_rss_mb"], quiet.data["peak_rss_mb"], busy.data["peak_rss_mb"])
        _check("peak memory < 300 MB", peak < 300, f"{peak:.0f} MB (whole plugin process, VmHWM)")
    return figures


def fleet(stack: Stack, tenants: int, clients: int, workers: int) -> None:
    _say(f"\n== fleet: {tenants} tenants × {clients} clients, {workers} tenants at a time")
    stack.clock.set(timedelta(days=-1))
    started = time.perf_counter()
    ids = [f"f{i:04d}" for i in range(tenants)]
    for tenant in ids:
        stack.add_connected_tenant(tenant, clients)
    _say(
        f"  set-up (accounts, {tenants * clients} clients in the database): {time.perf_counter() - started:.1f} s"
    )
    onboard = stack.child("fleet_onboard", tenants=ids, workers=workers)
    _row("onboarding: initial sync of every tenant", onboard, f"failed={onboard.data['failed']}")
    # The next night, 03:30 UTC (every tenant is in UTC and has started by then); 1 % changed.
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    night = (now + timedelta(days=1)).replace(hour=3, minute=30, second=0, microsecond=0)
    stack.clock.set(night - now)
    for tenant in ids:
        stack.change_some(tenant, clients, 0.01, version=1)
    result = stack.child("fleet_night", workers=workers)
    _row(
        "fleet night (1 % changed, first night)",
        result,
        f"synced={result.data['tenants']} failed={result.data['failed']}",
    )
    _per_tenant(result, workers)
    # The night after: 1 % changed again, nothing left to read back (the steady state).
    stack.clock.set(night + timedelta(days=1) - now)
    for tenant in ids:
        stack.change_some(tenant, clients, 0.01, version=2)
    steady = stack.child("fleet_night", workers=workers)
    _row(
        "fleet night 2 (1 % changed, steady state)",
        steady,
        f"synced={steady.data['tenants']} failed={steady.data['failed']}",
    )
    _per_tenant(steady, workers)


def _per_tenant(result: ChildResult, workers: int) -> None:
    per_tenant = result.data["wall_s"] / max(1, result.data["tenants"])
    cpu = result.data["cpu_s"] / max(1, result.data["tenants"])
    _say(
        f"    → {per_tenant * 1000:.0f} ms wall and {cpu * 1000:.0f} ms CPU per tenant with "
        f"{workers} at a time; a 4 h night holds ≈ {4 * 3600 / per_tenant:,.0f} such tenants "
        "per worker process"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="1k clients, 100 × 100 fleet")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--only", choices=["sync", "fleet"], default=None)
    parser.add_argument("--sizes", default="", help="comma-separated client counts")
    parser.add_argument("--sdk-sample", type=int, default=0)
    parser.add_argument("--fleet", default="", help="TENANTSxCLIENTS, e.g. 1000x1000")
    parser.add_argument("--fleet-workers", type=int, default=4)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s] or (
        [1000] if args.quick else [1000, 10_000, 100_000]
    )
    sdk_sample = args.sdk_sample or (200 if args.quick else 1000)
    tenants, clients = (
        int(x) for x in (args.fleet or ("100x100" if args.quick else "1000x1000")).split("x")
    )
    _say(
        f"$ {shlex.join(['python', '-m', 'benchmarks', *(argv if argv is not None else sys.argv[1:])])}"
    )
    stack = Stack(LATENCY, args.postgres)
    _say(
        f"simulator {stack.sim_url} (latency {LATENCY * 1000:.0f} ms), database {stack.database_url.split('@')[-1]}"
    )
    try:
        if args.only in (None, "sync"):
            sync_scenarios(stack, sizes, sdk_sample)
        if args.only in (None, "fleet"):
            fleet(stack, tenants, clients, args.fleet_workers)
    finally:
        stack.close()


if __name__ == "__main__":
    main()
