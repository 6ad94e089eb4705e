"""`python -m benchmarks.import_csv [--rows N] [--bad N] [--database-url URL]`

Times `clients import` on a CSV of N rows with some bad ones mixed in: a first import (all
new), then the same file again (all known, nothing changes), then with every first name
changed (all updated). Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from calendarspots_mailchimp.core.services.clients import ImportReport
from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.container import build_container

TENANT = "bench-salon"


def make_csv(rows: int, bad: int, first: str = "Prénom") -> bytes:
    every = max(rows // max(bad, 1), 1)
    lines = ["email,first_name,last_name,birthday,client_id"]
    for i in range(rows):
        email = f"client{i}@example.com"
        if bad and i % every == every - 1 and i // every < bad:
            email = f"client{i}@@example"  # invalid: reported and skipped
        lines.append(f"{email},{first}{i},D'Nom{i},19{50 + i % 50}-{1 + i % 12:02d}-15,C{i:07d}")
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def timed(label: str, run: Callable[[], ImportReport]) -> None:
    started = time.perf_counter()
    report = run()
    elapsed = time.perf_counter() - started
    print(
        f"  {label:<34} {elapsed:7.2f} s  added={report.added:>7}  updated={report.updated:>7}  "
        f"skipped={len(report.errors):>5}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--bad", type=int, default=50)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    container = build_container(Settings(database_url=url))
    container.tenants().add(AddTenant(TENANT, "Bench salon", "America/Montreal"))
    clients = container.clients()
    data = make_csv(args.rows, args.bad)
    changed = make_csv(args.rows, args.bad, first="Nouveau")
    print(f"clients import: {args.rows} rows, {args.bad} bad, database {url.split('://')[0]}")
    timed("first import (all new)", lambda: clients.import_csv(TENANT, data))
    timed("same file again (nothing changes)", lambda: clients.import_csv(TENANT, data))
    timed("every first name changed", lambda: clients.import_csv(TENANT, changed))


if __name__ == "__main__":
    main()
