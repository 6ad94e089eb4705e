"""Applying stored webhook events off the request path: in batches per tenant, exactly once.

A batch: the tenant and its oldest pending events are read; opt-outs mark the client in the
host's directory (outside our transactions: it is the host's database, and embedded it is
another connection, which SQLite would block behind our write lock; marking is idempotent);
then ONE transaction claims the events still pending (a conditional UPDATE), writes the ledger
and the activity entries and marks the events applied. A crash before that commit leaves them
pending and nothing of them written; after it, nothing is left to apply. Two appliers (another
web process, a sync's `apply_pending`) never both apply an event: each applies what it claimed.

The background thread wakes when the intake has stored events, drains whatever is pending when
it starts (what a killed process left) and looks again every POLL_SECONDS (events another
process stored). While requests keep coming it applies one batch per BUSY_PAUSE_SECONDS, so
taking events in keeps the processor; the backlog goes once the burst is over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from calendarspots_mailchimp.core.model import (
    ActivityEntry,
    ActivityKind,
    Client,
    NewsletterStatus,
    Tenant,
)
from calendarspots_mailchimp.core.services.webhooks.decide import Outcome, decide, refusal
from calendarspots_mailchimp.core.services.webhooks.events import (
    WebhookEvent,
    addresses,
    parse_or_none,
)
from calendarspots_mailchimp.ports.client_directory import ClientDirectory
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.repositories import TenantScope, UnitOfWorkFactory

log = logging.getLogger(__name__)

BATCH = 200
POLL_SECONDS = 2.0
BUSY_PAUSE_SECONDS = 0.25
COALESCE_SECONDS = 0.01
Parsed = tuple[int, WebhookEvent | None]
OPT_OUTS = {"unsubscribe": NewsletterStatus.UNSUBSCRIBED, "cleaned": NewsletterStatus.CLEANED}


def _foreign(tenant: Tenant, event: WebhookEvent) -> bool:
    return not tenant.audience_id or event.list_id != tenant.audience_id


class InboxApplier:
    def __init__(self, uow: UnitOfWorkFactory, directory: ClientDirectory, clock: Clock) -> None:
        self.uow = uow
        self.directory = directory
        self.clock = clock
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._woken: set[str] = set()
        self._last_wake = 0.0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._logged = -60.0

    # -- the background thread -------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="inbox-applier", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping = True
        self._wake.set()
        if thread is not None:
            thread.join(timeout=30)

    def wake(self, tenant_id: str) -> None:
        """The intake stored events of this tenant."""
        with self._lock:
            self._woken.add(tenant_id)
            self._last_wake = time.monotonic()
        self._wake.set()

    def _busy(self) -> bool:
        with self._lock:
            return time.monotonic() - self._last_wake < BUSY_PAUSE_SECONDS

    def _run(self) -> None:
        self._drain(None)  # what a killed process left, and what other processes stored
        while not self._stopping:
            woken = self._wake.wait(POLL_SECONDS)
            time.sleep(COALESCE_SECONDS if woken else 0)  # let a burst's events gather
            self._wake.clear()
            with self._lock:
                tenants, self._woken = sorted(self._woken), set()
            self._drain(tenants if woken else None)

    def _drain(self, tenants: Iterable[str] | None) -> None:
        try:
            if tenants is None:
                with self.uow() as uow:
                    tenants = uow.tenants.with_pending_webhook_events()
            for tenant_id in tenants:
                if self._stopping:
                    return
                self.apply_pending(tenant_id, polite=True)
        except Exception:
            # Left pending: the next wake or poll (or the tenant's next sync) applies them. One
            # traceback a minute at most (a database that is down fails every poll).
            quiet = time.monotonic() - self._logged < 60
            self._logged = self._logged if quiet else time.monotonic()
            (log.warning if quiet else log.exception)(
                "applying stored webhook events failed; they stay stored"
            )

    # -- applying --------------------------------------------------------------------------------
    def apply_pending(self, tenant_id: str, polite: bool = False) -> int:
        """Applies the tenant's pending events, batch after batch; returns how many this call
        applied. Events another applier holds are left to it."""
        applied = 0
        seen: set[int] = set()
        while not (polite and self._stopping):
            with self.uow() as uow:
                tenant = uow.tenants.get(tenant_id)
                pending = uow.scope(tenant_id).inbox.pending(BATCH) if tenant else []
            fresh = [(i, p) for i, p in pending if i not in seen]
            if tenant is None or not fresh:
                return applied
            seen.update(i for i, _ in fresh)
            parsed: list[Parsed] = [(i, parse_or_none(p)) for i, p in fresh]
            try:
                applied += self.apply_batch(tenant, parsed)
            except Exception:
                if len(parsed) == 1:
                    raise
                applied += self._one_by_one(tenant, parsed)
            if polite and self._busy():
                time.sleep(BUSY_PAUSE_SECONDS)
        return applied

    def _one_by_one(self, tenant: Tenant, parsed: list[Parsed]) -> int:
        """A batch that failed, event by event: one that cannot be applied (the host's
        directory refusing it, say) stays pending without holding the others back."""
        applied, failures = 0, 0
        for one in parsed:
            try:
                applied += self.apply_batch(tenant, [one])
            except Exception as exc:
                failures, last = failures + 1, exc
                if failures == len(parsed):
                    raise last from None
        log.warning(
            "%d stored webhook event(s) of tenant %s could not be applied; they stay stored",
            failures,
            tenant.tenant_id,
        )
        return applied

    def apply_batch(self, tenant: Tenant, parsed: list[Parsed]) -> int:
        """Applies these stored events (None: not an event MailChimp sends); returns how many
        this call claimed."""
        clients = self._mark_clients(tenant, parsed)
        with self.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            now = self.clock.now()
            won = scope.inbox.claim_many((i for i, _ in parsed), now)
            mine = [(i, e) for i, e in parsed if i in won]
            # One read tells which addresses the ledger holds (most events' are not there).
            in_ledger = set(scope.ledger.member_statuses(addresses(e for _, e in mine)))
            entries: list[ActivityEntry] = []
            outcomes = {
                event_id: self._apply_one(
                    scope, tenant, event, clients.get(event_id), in_ledger, entries.append
                )
                for event_id, event in mine
            }
            scope.activity.add_many(entries)
            scope.inbox.mark_applied_many(outcomes, now)
            uow.commit()
        return len(won)

    def _apply_one(
        self,
        scope: TenantScope,
        tenant: Tenant,
        event: WebhookEvent | None,
        client: Client | None,
        in_ledger: set[str],
        record: Callable[[ActivityEntry], None],
    ) -> Outcome:
        now = self.clock.now()
        if event is None:
            return Outcome.INVALID
        if _foreign(tenant, event):
            # Accepted while the route still knew the tenant's previous audience.
            details = refusal(tenant, event)
            record(
                ActivityEntry(tenant.tenant_id, now, ActivityKind.WEBHOOK_REFUSED, details=details)
            )
            return Outcome.REFUSED
        email = event.email.lower()
        known = scope.ledger.find_by_email(email) if email and email in in_ledger else None
        decision = decide(event, client, known)
        if decision.ledger is not None and decision.ledger[0].strip().lower() in in_ledger:
            scope.ledger.set_member_status(*decision.ledger)
        record(ActivityEntry(tenant.tenant_id, now, decision.kind, details=decision.details))
        return decision.outcome

    def _mark_clients(self, tenant: Tenant, parsed: list[Parsed]) -> dict[int, Client | None]:
        """Opt-outs reach the host's client database: in one call when the directory can
        (`mark_many`, as the embedded one does), else one call per event."""
        marks = [
            (event_id, event.email, OPT_OUTS[event.type])
            for event_id, event in parsed
            if event is not None and event.type in OPT_OUTS and not _foreign(tenant, event)
        ]
        if not marks:
            return {}
        many = getattr(self.directory, "mark_many", None)
        if many is not None:
            found = many(tenant.tenant_id, [(email, status) for _, email, status in marks])
            return {event_id: client for (event_id, _, _), client in zip(marks, found, strict=True)}
        clients: dict[int, Client | None] = {}
        for event_id, email, status in marks:
            mark = (
                self.directory.mark_unsubscribed
                if status == NewsletterStatus.UNSUBSCRIBED
                else self.directory.mark_cleaned
            )
            clients[event_id] = mark(tenant.tenant_id, email)
        return clients
