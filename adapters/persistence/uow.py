"""The Unit of Work: one session, one transaction; leaving without commit() rolls back."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from calendarspots_mailchimp.adapters.persistence.oauth_states import SqlOAuthStates
from calendarspots_mailchimp.adapters.persistence.scope import SqlTenantScope
from calendarspots_mailchimp.adapters.persistence.tenants import SqlTenantRepository
from calendarspots_mailchimp.ports.repositories import OAuthStates, TenantRepository, TenantScope


class SqlUnitOfWork:
    tenants: TenantRepository
    oauth_states: OAuthStates

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        self._session = self._session_factory()
        self.tenants = SqlTenantRepository(self._session)
        self.oauth_states = SqlOAuthStates(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
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
        return SqlTenantScope(self.session, tenant_id)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
