"""How a run ends: its record, the tenant's state, the activity entry and the report."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from calendarspots_mailchimp.core.errors import AudienceContractError, CalendarspotsError
from calendarspots_mailchimp.core.model import (
    ActivityKind,
    ConnectionState,
    SyncKind,
    SyncRun,
    SyncStatus,
    Tenant,
)
from calendarspots_mailchimp.core.services.sync.lease import local_date
from calendarspots_mailchimp.core.services.sync.limits import MAX_DETAILS
from calendarspots_mailchimp.core.services.sync.report import (
    Failure,
    SyncReport,
    failed_report,
    summary,
)
from calendarspots_mailchimp.core.services.sync.run import Run
from calendarspots_mailchimp.core.services.tenancy import record
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceNotFound,
    MailChimpAccount,
    MailChimpError,
)
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory

REVOKED = (
    "MailChimp refused the plugin's authorization (it was revoked). The owner must "
    "authorize again: Settings → Advanced → Newsletters → Authorize."
)


@dataclass
class Ending:
    uow: UnitOfWorkFactory
    clock: Clock
    tenant: Tenant
    run: SyncRun
    account: MailChimpAccount
    dry_run: bool
    night: date | None  # the local date a nightly run synced for (see lease.start)

    def succeeded(
        self, state: Run, audience_id: str, checked_at: datetime | None, webhook_problem: str
    ) -> SyncReport:
        """SUCCEEDED, or PARTIAL when a client failed or the webhook could not be put right."""
        tenant, run, counts = self.tenant, self.run, state.counts
        partial = bool(counts.failed or webhook_problem)
        status = SyncStatus.PARTIAL if partial else SyncStatus.SUCCEEDED
        message = summary(counts, self.dry_run, webhook_problem)
        report = SyncReport(
            tenant.tenant_id,
            run.kind,
            status,
            counts,
            message,
            self.dry_run,
            self.account.api_calls,
            state.problems,
            state.plan,
        )
        if self.dry_run:
            return report
        now = self.clock.now()
        run.status, run.finished_at, run.counts, run.message = status, now, counts, message
        with self.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            scope.runs.save(run)
            current = uow.tenants.get(tenant.tenant_id) or tenant
            updated = replace(
                current,
                audience_id=audience_id,
                last_sync_at=now,
                last_sync_local_date=self.night or local_date(tenant, now),
                members_checked_at=checked_at,
            )
            if updated.state == ConnectionState.NEEDS_ATTENTION:
                updated = updated.with_state(ConnectionState.CONNECTED)
            uow.tenants.save(updated)
            record(
                scope,
                now,
                ActivityKind.SYNC_PARTIAL if partial else ActivityKind.SYNC_SUCCEEDED,
                run=str(run.kind),
                webhook_problem=bool(webhook_problem),
                counts=counts.as_dict(),
                problems=[p.as_dict() for p in state.problems[:MAX_DETAILS]],
                api_calls=self.account.api_calls,
            )
            uow.commit()
        return report

    def revoked(self) -> SyncReport:
        """Recorded even by a dry run: the tenant must authorize again either way."""
        extra = [(ActivityKind.AUTHORIZATION_REVOKED, "")]
        self._record_failure(REVOKED, ConnectionState.NEEDS_REAUTHORIZATION, extra)
        return self._report(REVOKED, False, Failure.REVOKED)

    def contract_broken(self, exc: AudienceContractError | AudienceNotFound) -> SyncReport:
        list_name = self.tenant.list_name
        message = (
            exc.message
            if isinstance(exc, AudienceContractError)
            else (
                f"the MailChimp audience {list_name!r} disappeared during the sync. Do not delete "
                f"the {list_name!r} audience: create it again, then authorize again."
            )
        )
        if not self.dry_run:
            extra = [(ActivityKind.CHECK_FAILED, message)]
            self._record_failure(message, ConnectionState.NEEDS_ATTENTION, extra)
        return self._report(message, self.dry_run, Failure.CONTRACT)

    def trouble(self, exc: MailChimpError | CalendarspotsError) -> SyncReport:
        message = (
            exc.message
            if isinstance(exc, CalendarspotsError)
            else (
                f"MailChimp did not answer well ({exc}); "
                + (
                    "the nightly sync tries again later tonight"
                    if self.run.kind == SyncKind.NIGHTLY
                    else "try again later (the nightly sync will also try)"
                )
            )
        )
        if not self.dry_run:
            self._record_failure(message, None, [])
        return self._report(message, self.dry_run, Failure.MAILCHIMP)

    def _record_failure(
        self, message: str, state: ConnectionState | None, extra: list[tuple[ActivityKind, str]]
    ) -> None:
        run, tenant = self.run, self.tenant
        now = self.clock.now()
        run.status, run.finished_at, run.message = SyncStatus.FAILED, now, message
        with self.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            scope.runs.save(run)
            if state is not None:
                current = uow.tenants.get(tenant.tenant_id) or tenant
                uow.tenants.save(current.with_state(state, message))
            for kind, text in extra:
                record(scope, now, kind, **({"error": text} if text else {}))
            record(
                scope,
                now,
                ActivityKind.SYNC_FAILED,
                error=message,
                run=str(self.run.kind),
                api_calls=self.account.api_calls,
            )
            uow.commit()

    def _report(self, message: str, dry_run: bool, failure: Failure) -> SyncReport:
        return failed_report(
            self.tenant.tenant_id, self.run.kind, message, dry_run, self.account.api_calls, failure
        )
