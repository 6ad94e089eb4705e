"""Telling the host when a tenant needs its owner (csmc_attention_needed), once per change.

A tenant's attention state is one code from the fleet view (core/services/fleet.py) — the
authorization was revoked, the audience is gone or breaks the contract (fields missing) or is
another tenant's (R1, core/services/sharing.py), the mass-change guard holds a sync, no
successful sync for two local nights — or none. The state the host was last told of is stored
with the tenant; the host is told again only when the state changes to another problem. A
tenant that is fine again is not announced (its state goes back to none, so the next problem,
even of the same kind, is told again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from calendarspots_mailchimp.core.model import Tenant
from calendarspots_mailchimp.core.services.fleet import Attention, state_problem
from calendarspots_mailchimp.core.services.fleet_nights import is_overdue, nights_missed
from calendarspots_mailchimp.core.services.tenancy import load_tenant
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory

log = logging.getLogger(__name__)

NONE = ""
# What the owner can act on; a missing webhook is put back by the next sync on its own.
NOTIFIED = frozenset(
    {
        Attention.REAUTHORIZE,
        Attention.AUDIENCE_GONE,
        Attention.AUDIENCE,
        Attention.AUDIENCE_SHARED,
        Attention.SYNC_HELD,
        Attention.OVERDUE,
    }
)

# Tells the host (words and hook: the composition root's); exceptions are the caller's to log.
Notify = Callable[[Tenant, Attention], None]


def attention_state(tenant: Tenant, now: datetime, night_end_hour: int) -> str:
    """The tenant's attention state now, from its row alone (a pure decision)."""
    problem = state_problem(tenant)
    if problem is not None and problem.code in NOTIFIED:
        return str(problem.code)
    missed = nights_missed(tenant, now, night_end_hour)
    # Never synced: not "failing two nights running" yet (it may be its first sync running).
    if missed is not None and is_overdue(tenant, missed):
        return str(Attention.OVERDUE)
    return NONE


class AttentionNotices:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, night_end_hour: int, notify: Notify
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.night_end_hour = night_end_hour
        self.notify = notify

    def check(self, tenant_id: str) -> str | None:
        """After something happened to one tenant (a sync): the code told, if any."""
        return self._settle(load_tenant(self.uow, tenant_id), self.clock.now())

    def sweep(self) -> list[tuple[str, str]]:
        """Every tenant (what time alone changes, such as overdue): (tenant, code) told."""
        now = self.clock.now()
        with self.uow() as uow:
            tenants = uow.tenants.list()
        told = [(t.tenant_id, self._settle(t, now)) for t in tenants]
        return [(tenant_id, code) for tenant_id, code in told if code]

    def _settle(self, tenant: Tenant, now: datetime) -> str | None:
        state = attention_state(tenant, now, self.night_end_hour)
        if state == tenant.attention_notified:
            return None
        with self.uow() as uow:
            changed = uow.tenants.note_attention(tenant.tenant_id, tenant.attention_notified, state)
            uow.commit()
        if not changed or state == NONE:
            return None  # another process noticed first; or fine again: not announced
        try:
            self.notify(tenant, Attention(state))
        except Exception:  # the state is stored: the host is not told twice
            log.exception(
                "telling the host that tenant %s needs attention failed", tenant.tenant_id
            )
        return state
