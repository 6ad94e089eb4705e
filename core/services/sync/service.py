"""SyncService: the tenant's lease, the run's record and the order of its stages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import chain

from calendarspots_mailchimp.core.errors import (
    AudienceContractError,
    CalendarspotsError,
)
from calendarspots_mailchimp.core.model import Audience, SyncKind, Tenant
from calendarspots_mailchimp.core.services import audience as contract
from calendarspots_mailchimp.core.services import sharing
from calendarspots_mailchimp.core.services.sync import lease
from calendarspots_mailchimp.core.services.sync.backfill import after_push, backfill
from calendarspots_mailchimp.core.services.sync.emails import change_emails
from calendarspots_mailchimp.core.services.sync.ending import Ending
from calendarspots_mailchimp.core.services.sync.guard import Guard, Held, assess
from calendarspots_mailchimp.core.services.sync.limits import BATCH_SIZE, RUN_DEADLINE
from calendarspots_mailchimp.core.services.sync.observed import observed
from calendarspots_mailchimp.core.services.sync.plan import plan_chunk, preview
from calendarspots_mailchimp.core.services.sync.push import batched, push
from calendarspots_mailchimp.core.services.sync.reading import count_unread, read_clients
from calendarspots_mailchimp.core.services.sync.removed import gone_from_platform, removed_clients
from calendarspots_mailchimp.core.services.sync.report import SyncReport
from calendarspots_mailchimp.core.services.sync.run import (
    DeadlinePassed,
    Progress,
    Run,
    Write,
    no_progress,
)
from calendarspots_mailchimp.core.services.sync.watchdog import (
    Watch,
    WebhookSite,
    preview_webhook,
    watch_webhook,
)
from calendarspots_mailchimp.core.services.tenancy import Accounts, load_tenant
from calendarspots_mailchimp.ports.client_directory import ClientDirectory
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceNotFound,
    MailChimpAccount,
    MailChimpError,
    TokenRevoked,
)
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory
from calendarspots_mailchimp.ports.telemetry import NO_TELEMETRY, Telemetry

# Applies a tenant's stored but unapplied webhook events; returns how many it applied.
ApplyPending = Callable[[str], int]


class SyncService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        accounts: Accounts,
        directory: ClientDirectory,
        clock: Clock,
        site: WebhookSite,
        apply_pending: ApplyPending,
        guard: Guard,
        run_deadline: timedelta = RUN_DEADLINE,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self.uow = uow
        self.accounts = accounts
        self.directory = directory
        self.clock = clock
        self.site = site
        self.apply_pending = apply_pending
        self.guard = guard
        self.run_deadline = run_deadline
        self.telemetry = telemetry

    def sync(
        self,
        tenant_id: str,
        kind: SyncKind = SyncKind.MANUAL,
        full: bool = False,
        dry_run: bool = False,
        progress: Progress = no_progress,
        audience_checked: bool = False,
        night: date | None = None,
        confirm: bool = False,
    ) -> SyncReport:
        """`audience_checked`: the caller has just run the R1/R2 check (the connect flow), so
        the run trusts the tenant's audience id instead of reading lists and fields again.
        `night`: for a nightly run, the tenant-local date the schedule found due. `confirm`:
        an operator releases a run the mass-change guard would hold (the initial sync is
        never held)."""
        tenant = load_tenant(self.uow, tenant_id)
        account = self.accounts.open(tenant)
        try:
            holder = lease.new_holder()
            run = lease.start(self.uow, self.clock, tenant, kind, dry_run, holder, night)
            try:
                state = Run(
                    self.uow,
                    self.directory,
                    self.clock,
                    tenant,
                    account,
                    "",  # set once the audience is checked
                    full or kind in (SyncKind.INITIAL, SyncKind.FULL),
                    dry_run,
                    progress,
                )
                state.guarded = kind != SyncKind.INITIAL and not confirm
                state.deadline = self.clock.now() + self.run_deadline
                ending = Ending(self.uow, self.clock, tenant, run, account, dry_run, night)
                with (
                    observed(self.telemetry, kind, tenant_id, run.run_id) as outcome,
                    lease.Heartbeat(self.uow, self.clock, tenant_id, holder),
                ):
                    trusted = audience_checked and bool(tenant.audience_id)
                    report = self._sync(state, ending, trusted)
                    outcome.value = str(report.status)
                    return report
            finally:
                lease.release(self.uow, tenant_id, holder)
        finally:
            account.close()

    def _sync(self, state: Run, ending: Ending, audience_checked: bool) -> SyncReport:
        tenant, account = state.tenant, state.account
        try:
            state.audience_id = _checked_audience(account, tenant, audience_checked).audience_id
            if not audience_checked:
                self._not_shared(state)
            if not tenant.account_id and not state.dry_run:
                state.tenant = self._learn_account_id(tenant, account)
            webhook_problem = ""
            if not state.dry_run:
                watch = Watch(self.uow, self.clock, self.site)
                state.tenant, webhook_problem = watch_webhook(
                    watch, state.tenant, account, state.audience_id
                )
            else:
                would = preview_webhook(self.site, tenant, account, state.audience_id)
                state.plan["webhook"] = [would] if would else []
            checked_at = self._stages(state)
        except Held as held:
            return ending.held(state, held.change.details(self.guard.for_tenant(state.tenant)))
        except DeadlinePassed:
            return ending.deadline(state)
        except TokenRevoked:
            return ending.revoked()
        except (AudienceContractError, AudienceNotFound) as exc:
            return ending.contract_broken(exc)
        except (MailChimpError, CalendarspotsError) as exc:
            return ending.trouble(exc)
        return ending.succeeded(state, state.audience_id, checked_at, webhook_problem)

    def _stages(self, state: Run) -> datetime | None:
        """Opt-outs back from MailChimp, then only what changed. Returns the checkpoint for
        the next read-back (see backfill)."""
        tenant = state.tenant
        since = None if state.full else tenant.members_checked_at
        if not state.dry_run:
            # Webhook events stored but never applied (a crash after MailChimp got its
            # 200) are applied before MailChimp is read back.
            self.apply_pending(tenant.tenant_id)
        state.progress("backfill", 0)
        checked_at = backfill(state, since)
        _stop_if_late(state)
        state.progress("plan", 0)
        clients = read_clients(state, self.directory)
        planned = (plan_chunk(state, chunk) for chunk in batched(clients, BATCH_SIZE))
        writes: Iterable[Write] = chain.from_iterable(planned)
        if state.guarded:
            writes = list(writes)  # the whole plan, before anything is sent
            self._assess(state, writes)
        if state.dry_run:
            preview(state, batched(writes, BATCH_SIZE))
        else:
            push(state, batched(writes, BATCH_SIZE))
            if state.stopped:
                raise DeadlinePassed  # between two batches: the rest waits for the next run
            checked_at = after_push(state, checked_at)
        change_emails(state)
        removed_clients(state)
        count_unread(state)
        return checked_at

    def _assess(self, state: Run, writes: list[Write]) -> None:
        """Raises Held for a mass change (a dry run only notes it in its plan)."""
        updates = sum(1 for w in writes if w.rewrite) + len(state.email_changes)
        members, gone = gone_from_platform(state)
        archives = len(gone) if state.tenant.archive_removed_clients else 0
        guard = self.guard.for_tenant(state.tenant)
        change = assess(guard, members, updates, archives)
        if change is None:
            return
        if state.dry_run:
            state.plan["held"] = [f"{k}={v}" for k, v in change.details(guard).items()]
            return
        raise Held(change)

    def _not_shared(self, state: Run) -> None:
        """R1: raises AudienceContractError (`audience.shared`) when another tenant of the same
        MailChimp account uses this audience; nothing is sent to it, and the tenant lets it go
        if it held it too (core/services/sharing.py)."""
        other = sharing.holder(self.uow, state.tenant, state.audience_id)
        if other is None:
            return
        if not state.dry_run:
            sharing.let_go(self.uow, state.account, state.tenant.tenant_id, state.audience_id)
        raise sharing.shared_error(state.tenant, state.audience_id, other)

    def _learn_account_id(self, tenant: Tenant, account: MailChimpAccount) -> Tenant:
        """A tenant authorized before tenants kept MailChimp's account id learns it here,
        once, so a later re-authorization is told apart from an account switch by the id."""
        account_id = contract.account_id_or_blank(account)
        if not account_id:
            return tenant  # asked again at the next sync
        with self.uow() as uow:
            stored = uow.tenants.get(tenant.tenant_id)
            if stored is not None and not stored.account_id:
                uow.tenants.save(replace(stored, account_id=account_id))
                uow.commit()
        return replace(tenant, account_id=account_id)


def _stop_if_late(state: Run) -> None:
    """Between stages and batches: a run past its deadline stops there (see Ending.deadline)."""
    if state.past_deadline():
        raise DeadlinePassed


def _checked_audience(account: MailChimpAccount, tenant: Tenant, trusted: bool) -> Audience:
    """R1/R2: the tenant's audience, with the fields the sync needs."""
    if trusted:
        return Audience(tenant.audience_id, tenant.list_name)
    audience, problems = contract.check_audience(account, tenant, tenant.list_name)
    if problems:
        raise contract.fields_error(tenant, problems)
    return audience
