"""The Unit of Work: one session, one transaction; leaving without commit() rolls back.

Activity entries added through any of its tenant scopes are handed to `published` once the
transaction that stored them has committed, so whoever hears of an entry (the host's
`csmc_activity_recorded`) hears only of stored ones; a rollback forgets them.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from calendarspots_mailchimp.adapters.persistence.fleet_runs import SqlFleetRuns
from calendarspots_mailchimp.adapters.persistence.inbox import SqlWebhookBacklog
from calendarspots_mailchimp.adapters.persistence.oauth_states import SqlOAuthStates
from calendarspots_mailchimp.adapters.persistence.scope import SqlTenantScope
from calendarspots_mailchimp.adapters.persistence.tenants import SqlTenantRepository
from calendarspots_mailchimp.core.model import ActivityEntry
from calendarspots_mailchimp.ports.repositories import (
    FleetRuns,
    OAuthStates,
    TenantRepository,
    TenantScope,
    WebhookBacklog,
)

Published = Callable[[ActivityEntry], None]


def _ignore(entry: ActivityEntry) -> None:
    return None


class SqlUnitOfWork:
    tenants: TenantRepository
    oauth_states: OAuthStates
    webhook_backlog: WebhookBacklog
    fleet_runs: FleetRuns

    def __init__(
        self, session_factory: sessionmaker[Session], published: Published | None = None
    ) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self._published = published or _ignore
        self._recorded: list[ActivityEntry] = []

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        self._session = self._session_factory()
        self._recorded = []
        self.tenants = SqlTenantRepository(self._session)
        self.oauth_states = SqlOAuthStates(self._session)
        self.webhook_backlog = SqlWebhookBacklog(self._session)
        self.fleet_runs = SqlFleetRuns(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        self._recorded = []
        if session is None:
            return
        try:
            session.rollback()  # a no-op after commit(); undoes whatever came after it
        finally:
            session.close()

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `with`")
        return self._session

    def scope(self, tenant_id: str) -> TenantScope:
        return SqlTenantScope(self.session, tenant_id, self._recorded.append)

    def commit(self) -> None:
        self.session.commit()
        recorded, self._recorded = self._recorded, []
        for entry in recorded:
            self._published(entry)

    def rollback(self) -> None:
        self.session.rollback()
        self._recorded = []
