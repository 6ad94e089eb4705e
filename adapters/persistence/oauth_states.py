"""OAuthStates: a consumed state's nonce, inserted once; a replay finds it already there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from calendarspots_mailchimp.adapters.persistence.dialects import insert_for
from calendarspots_mailchimp.adapters.persistence.records import OAuthStateRecord, table_of


class SqlOAuthStates:
    def __init__(self, session: Session) -> None:
        self._session = session

    def use(self, nonce: str, tenant_id: str, expires_at: datetime, now: datetime) -> bool:
        self._session.execute(
            delete(OAuthStateRecord)
            .where(OAuthStateRecord.expires_at < now)
            .execution_options(synchronize_session=False)
        )
        table = table_of(OAuthStateRecord)
        stmt = (
            insert_for(self._session, table)
            .values(nonce=nonce, tenant_id=tenant_id, expires_at=expires_at)
            .on_conflict_do_nothing(index_elements=[table.c.nonce])
            .returning(table.c.nonce)
        )
        # Nothing comes back when the nonce was used before (or a concurrent twin won).
        return self._session.execute(stmt).scalar_one_or_none() is not None
