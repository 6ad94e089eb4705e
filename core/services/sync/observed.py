"""A sync run as metrics and log context: its outcome and duration go to the Telemetry port,
and every log line written meanwhile carries the tenant and the run."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from calendarspots_mailchimp.core import log_context
from calendarspots_mailchimp.core.model import SyncKind
from calendarspots_mailchimp.ports.telemetry import Telemetry

log = logging.getLogger("calendarspots_mailchimp.sync")

ERROR = "error"  # the run ended by an exception nobody turned into a report


@dataclass
class Outcome:
    value: str = ERROR


@contextmanager
def observed(
    telemetry: Telemetry, kind: SyncKind, tenant_id: str, run_id: int | None
) -> Iterator[Outcome]:
    outcome = Outcome()
    started = time.perf_counter()
    with log_context.bound(tenant_id, run_id):
        log.info("sync started", extra={"kind": str(kind)})
        try:
            yield outcome
        finally:
            seconds = time.perf_counter() - started
            telemetry.sync_finished(str(kind), outcome.value, seconds)
            facts = {"kind": str(kind), "outcome": outcome.value, "seconds": round(seconds, 3)}
            log.info("sync ended: %s", outcome.value, extra=facts)
