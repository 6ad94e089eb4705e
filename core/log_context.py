"""Which tenant and which sync run the code at hand works for, so every log line of a sync can
say so (contextvars: each thread and task has its own; the MailChimp adapter's pool threads
run in a copy of the sync's)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_tenant: ContextVar[str] = ContextVar("csmc_tenant", default="")
_run: ContextVar[int | None] = ContextVar("csmc_run", default=None)


@contextmanager
def bound(tenant_id: str, run_id: int | None = None) -> Iterator[None]:
    """Log lines written inside carry this tenant (and run)."""
    tenant_token = _tenant.set(tenant_id)
    run_token = _run.set(run_id)
    try:
        yield
    finally:
        _run.reset(run_token)
        _tenant.reset(tenant_token)


def current() -> dict[str, str | int]:
    """{"tenant": ..., "run": ...}, with what is bound (nothing outside a tenant's work)."""
    found: dict[str, str | int] = {}
    tenant, run = _tenant.get(), _run.get()
    if tenant:
        found["tenant"] = tenant
    if run is not None:
        found["run"] = run
    return found
