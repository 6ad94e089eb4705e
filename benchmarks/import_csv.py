"""`python -m benchmarks.import_csv [--rows N] [--bad N] [--database-url URL] [--file]`

Times `clients import` on a CSV of N rows with some bad ones mixed in: a first import (all
new), then the same file again (all known, nothing changes), then with every first name
changed (all updated). With `--file`, the CSV is written to disk row by row and imported the
way `cs-mailchimp clients import` does it (streamed from the file), and the process's peak
memory (VmHWM: the whole process, Python and SQLAlchemy included) is printed after each
step. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from calendarspots_mailchimp.core.services.clients import ImportReport
from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.container import build_container

TENANT = "bench-salon"


def csv_lines(rows: int, bad: int, first: str = "Prénom") -> Iterator[str]:
    every = max(rows // max(bad, 1), 1)
    yield "\ufeffemail,first_name,last_name,birthday,client_id\n"
    for i in range(rows):
        email = f"client{i}@example.com"
        if bad and i % every == every - 1 and i // every < bad:
            email = f"client{i}@@example"  # invalid: kept with a warning, the sync skips it
        yield f"{email},{first}{i},D'Nom{i},19{50 + i % 50}-{1 + i % 12:02d}-15,C{i:07d}\n"


def make_csv(rows: int, bad: int, first: str = "Prénom") -> bytes:
    return "".join(csv_lines(rows, bad, first)).encode("utf-8")


def write_csv(path: Path, rows: int, bad: int, first: str = "Prénom") -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        for line in csv_lines(rows, bad, first):
            out.write(line)
    return path


def peak_mb() -> float:
    """This process's high-water RSS (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(label: str, run: Callable[[], ImportReport]) -> None:
    started = time.perf_counter()
    report = run()
    elapsed = time.perf_counter() - started
    print(
        f"  {label:<34} {elapsed:7.2f} s  added={report.added:>7}  updated={report.updated:>7}  "
        f"skipped={len(report.errors):>5}  warnings={len(report.warnings):>5}  "
        f"peak RSS {peak_mb():5.0f} MB",
        flush=True,
    )


def opener(path: Path) -> Callable[[], BinaryIO]:
    return lambda: path.open("rb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--bad", type=int, default=50)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--file", action="store_true", help="stream from a file on disk")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    container = build_container(Settings(database_url=url))
    container.tenants().add(AddTenant(TENANT, "Bench salon", "America/Montreal"))
    clients = container.clients()
    print(
        f"clients import: {args.rows} rows, {args.bad} bad, database {url.split('://')[0]}, "
        f"{'streamed from a file' if args.file else 'from memory'}; "
        f"peak RSS before importing {peak_mb():.0f} MB"
    )
    if args.file:
        data = write_csv(workdir / "clients.csv", args.rows, args.bad)
        changed = write_csv(workdir / "changed.csv", args.rows, args.bad, first="Nouveau")
        print(f"  file: {data.stat().st_size / 1e6:.0f} MB", flush=True)
        timed("first import (all new)", lambda: clients.import_csv(TENANT, opener(data)))
        timed("same file again (nothing changes)", lambda: clients.import_csv(TENANT, opener(data)))
        timed("every first name changed", lambda: clients.import_csv(TENANT, opener(changed)))
        return
    mem, mem_changed = make_csv(args.rows, args.bad), make_csv(args.rows, args.bad, "Nouveau")
    timed("first import (all new)", lambda: clients.import_csv(TENANT, mem))
    timed("same file again (nothing changes)", lambda: clients.import_csv(TENANT, mem))
    timed("every first name changed", lambda: clients.import_csv(TENANT, mem_changed))


if __name__ == "__main__":
    main()
