"""How a run ends: its record, the tenant's state, the activity entry and the report."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from calendarspots_mailchimp.core.errors import AudienceContractError, CalendarspotsError
from calendarspots_mailchimp.core.model import (
    ActivityKind,
    ConnectionState,
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
        report = SyncReport(
            tenant.tenant_id,
            run.kind,
            status,
            counts,
            "",
            self.dry_run,
            self.account.api_calls,
            state.problems,
            state.plan,
            webhook_problem=bool(webhook_problem),
        )
        if self.dry_run:
            return report
        now = self.clock.now()
        run.status, run.finished_at, run.counts = status, now, counts
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
                clients_marker=state.clients_marker,
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
                problems=[
                    {"client_id": p.client_id, "email": p.email, "reason": p.code}
                    for p in state.problems[:MAX_DETAILS]
                ],
                api_calls=self.account.api_calls,
            )
            uow.commit()
        return report

    def held(self, state: Run, details: dict[str, float | int]) -> SyncReport:
        """Nothing was sent: the tenant needs an operator's `sync --confirm`. The night counts
        as done, so the schedule does not hold it again every few minutes."""
        tenant, run = self.tenant, self.run
        now = self.clock.now()
        run.status, run.finished_at, run.message = SyncStatus.HELD, now, "held"
        with self.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            scope.runs.save(run)
            current = uow.tenants.get(tenant.tenant_id) or tenant
            uow.tenants.save(
                replace(
                    current, last_sync_local_date=self.night or local_date(tenant, now)
                ).with_state(ConnectionState.NEEDS_ATTENTION, "held")
            )
            record(
                scope,
                now,
                ActivityKind.SYNC_HELD,
                run=str(run.kind),
                tenant=tenant.tenant_id,
                **details,
            )
            uow.commit()
        return SyncReport(
            tenant.tenant_id,
            run.kind,
            SyncStatus.HELD,
            state.counts,
            api_calls=self.account.api_calls,
            held=details,
        )

    def deadline(self, state: Run) -> SyncReport:
        """Past its deadline the run stopped between batches: what MailChimp acknowledged is
        in the ledger, the rest is sent by the next run. The night is not marked done, so the
        tenant stays due (a retry later in its night; an onboarding resumes within minutes)."""
        if not self.dry_run:
            self._record_failure(Failure.DEADLINE, "", None, None, state.counts.as_dict())
        report = self._report(Failure.DEADLINE, "", self.dry_run)
        report.counts, report.problems = state.counts, state.problems
        return report

    def revoked(self) -> SyncReport:
        """Recorded even by a dry run: the tenant must authorize again either way."""
        self._record_failure(
            Failure.REVOKED,
            "",
            ConnectionState.NEEDS_REAUTHORIZATION,
            ActivityKind.AUTHORIZATION_REVOKED,
        )
        return self._report(Failure.REVOKED, "", False)

    def contract_broken(self, exc: AudienceContractError | AudienceNotFound) -> SyncReport:
        if isinstance(exc, AudienceContractError):
            failure, error = Failure.CONTRACT, exc.reason  # code and facts: worded by readers
        else:
            failure, error = Failure.AUDIENCE_GONE, ""
        if not self.dry_run:
            self._record_failure(
                failure, error, ConnectionState.NEEDS_ATTENTION, ActivityKind.CHECK_FAILED
            )
        return self._report(failure, error, self.dry_run)

    def trouble(self, exc: MailChimpError | CalendarspotsError) -> SyncReport:
        if isinstance(exc, CalendarspotsError):
            failure, error = Failure.ERROR, exc.reason
        else:
            failure, error = Failure.MAILCHIMP, exc.reason  # code and facts, as above
        if not self.dry_run:
            self._record_failure(failure, error, None, None)
        return self._report(failure, error, self.dry_run)

    def _record_failure(
        self,
        failure: Failure,
        error: str,
        state: ConnectionState | None,
        also: ActivityKind | None,
        counts: dict[str, int] | None = None,
    ) -> None:
        run, tenant = self.run, self.tenant
        now = self.clock.now()
        why: dict[str, Any] = {
            "failure": str(failure),
            "error": error,
            "list_name": tenant.list_name,
        }
        run.status, run.finished_at, run.message = SyncStatus.FAILED, now, error or str(failure)
        if counts is not None:
            why["counts"] = counts  # what it did before it stopped
        with self.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            scope.runs.save(run)
            if state is not None:
                current = uow.tenants.get(tenant.tenant_id) or tenant
                uow.tenants.save(current.with_state(state, error or str(failure)))
            if also is not None:
                record(scope, now, also, **why)
            record(
                scope,
                now,
                ActivityKind.SYNC_FAILED,
                **why,
                run=str(self.run.kind),
                api_calls=self.account.api_calls,
            )
            uow.commit()

    def _report(self, failure: Failure, error: str, dry_run: bool) -> SyncReport:
        return failed_report(
            self.tenant.tenant_id, self.run.kind, error, dry_run, self.account.api_calls, failure
        )
