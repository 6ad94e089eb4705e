"""The embedded client directory: the tenants' clients when no host platform plugs in its own.

Implements ports.repositories.ClientStore (CSV import, listing) and
ports.client_directory.ClientDirectory (what syncs and webhooks read and mark), with its
ChangeFeed: every write (import, mark, removal) takes the tenant's next change number
(client_counters, under that row's lock) and stamps the rows it writes with it; a removal
leaves a tombstone with its number. "Changed since n" is then an index range read. Each call
runs in its own short transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, bindparam, delete, exists, select, update
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from calendarspots_mailchimp.adapters.persistence.database import Database
from calendarspots_mailchimp.adapters.persistence.dialects import (
    IN_CHUNK,
    chunked,
    insert_for,
    one_of,
)
from calendarspots_mailchimp.adapters.persistence.mapping import client_from
from calendarspots_mailchimp.adapters.persistence.records import (
    ClientCounterRecord,
    ClientRecord,
    ClientTombstoneRecord,
    table_of,
)
from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import Client, NewsletterStatus, normalize_email
from calendarspots_mailchimp.ports.client_directory import ClientChanges
from calendarspots_mailchimp.ports.clock import Clock, SystemClock

UPSERT_CHUNK = 500
STREAM_BATCH = 1_000

_CLIENT_COLUMNS = (
    ClientRecord.client_id,
    ClientRecord.email,
    ClientRecord.first_name,
    ClientRecord.last_name,
    ClientRecord.birth_month,
    ClientRecord.birth_day,
    ClientRecord.birth_year,
    ClientRecord.newsletter,
)
_TABLE = table_of(ClientRecord)
_COUNTERS = table_of(ClientCounterRecord)
_TOMBSTONES = table_of(ClientTombstoneRecord)
# What an import writes over a stored client: never its id, tenant or newsletter status.
_IMPORTED_COLUMNS = (
    "email",
    "email_lower",
    "first_name",
    "last_name",
    "birth_month",
    "birth_day",
    "birth_year",
    "updated_at",
    "change_seq",
)


@dataclass(frozen=True)
class _Row:
    """A stored client as the upsert plans it: only what an import may change, plus status."""

    client_id: str
    email: str
    first_name: str
    last_name: str
    birth_month: int | None
    birth_day: int | None
    birth_year: int | None
    newsletter: str

    @property
    def email_lower(self) -> str:
        return self.email.lower()

    @classmethod
    def of(cls, client: Client, client_id: str, newsletter: str) -> _Row:
        birthday = client.birthday
        return cls(
            client_id=client_id,
            email=normalize_email(client.email),
            first_name=client.first_name,
            last_name=client.last_name,
            birth_month=birthday.month if birthday else None,
            birth_day=birthday.day if birthday else None,
            birth_year=birthday.year if birthday else None,
            newsletter=newsletter,
        )

    def values(self, tenant_id: str, updated_at: datetime, seq: int) -> dict[str, object]:
        return {
            "tenant_id": tenant_id,
            "client_id": self.client_id,
            "email": self.email,
            "email_lower": self.email_lower,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "birth_month": self.birth_month,
            "birth_day": self.birth_day,
            "birth_year": self.birth_year,
            "newsletter": self.newsletter,
            "updated_at": updated_at,
            "change_seq": seq,
        }


class _Plan:
    """One chunk's writes, decided in memory against the rows it can touch."""

    def __init__(self, stored: Sequence[_Row]) -> None:
        self.rows = {row.client_id: row for row in stored}
        self.by_email = {row.email_lower: row.client_id for row in stored}
        self.original_email = {row.client_id: row.email_lower for row in stored}
        self.inserts: dict[str, _Row] = {}
        self.updates: dict[str, _Row] = {}

    def apply(self, client: Client) -> None:
        email_lower = normalize_email(client.email).lower()
        target = client.client_id if client.client_id in self.rows else None
        if target is None:
            target = self.by_email.get(email_lower)
        if target is None:
            new = _Row.of(client, client.client_id or uuid.uuid4().hex, client.newsletter.value)
            self.rows[new.client_id] = new
            self.by_email[email_lower] = new.client_id
            self.inserts[new.client_id] = new
            return
        owner = self.by_email.get(email_lower)
        if owner is not None and owner != target:
            raise InvalidInput(
                f"client {client.client_id!r} cannot take {client.email!r}: "
                f"client {owner!r} already has that address",
                code="row.address_taken",
                facts={"client": client.client_id, "email": client.email, "holder": owner},
            )
        current = self.rows[target]
        # An import never changes a known client's newsletter status (only marks do).
        new = _Row.of(client, target, current.newsletter)
        if new == current:
            return
        if current.email_lower != email_lower:
            del self.by_email[current.email_lower]
            self.by_email[email_lower] = target
        self.rows[target] = new
        if target in self.inserts:
            self.inserts[target] = new
        else:
            self.updates[target] = new

    def moving_emails(self) -> list[str]:
        return [
            client_id
            for client_id, row in self.updates.items()
            if row.email_lower != self.original_email[client_id]
        ]


@contextmanager
def refused_as_input() -> Iterator[None]:
    """A value the database refuses (a constraint, a type) is the row's fault: said without
    the statement or its parameters, which hold other clients' details."""
    try:
        yield
    except (DataError, IntegrityError, OperationalError) as exc:
        # PostgreSQL's class 54 (program limit exceeded: an index key too long) is the row's
        # fault too; any other operational error (a lost connection) is not.
        sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
        if isinstance(exc, OperationalError) and not sqlstate.startswith("54"):
            raise
        kind = type(exc.orig).__name__
        raise InvalidInput(
            f"the database refused this client ({kind})",
            code="database.client_refused",
            facts={"kind": kind},
        ) from None


class EmbeddedClientDirectory:
    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self._database = database
        self._clock: Clock = clock or SystemClock()

    # -- ClientStore -----------------------------------------------------------------------

    def upsert(self, tenant_id: str, clients: Sequence[Client]) -> tuple[int, int]:
        added: set[str] = set()
        updated: set[str] = set()
        now = self._clock.now()
        with refused_as_input(), self._database.engine.begin() as connection:
            for start in range(0, len(clients), UPSERT_CHUNK):
                chunk = clients[start : start + UPSERT_CHUNK]
                plan = _Plan(self._stored_for(connection, tenant_id, chunk))
                for client in chunk:
                    plan.apply(client)
                self._write(connection, tenant_id, plan, now)
                added.update(plan.inserts)
                updated.update(set(plan.updates) - added)
        return len(added), len(updated)

    def all(self, tenant_id: str) -> Iterator[Client]:
        return self.clients(tenant_id)

    def holders(
        self, tenant_id: str, client_ids: Sequence[str], emails: Sequence[str]
    ) -> list[Client]:
        mine = ClientRecord.tenant_id == tenant_id
        found: dict[str, Client] = {}
        with self._database.engine.connect() as connection:
            for column, values in (
                (ClientRecord.client_id, client_ids),
                (ClientRecord.email_lower, emails),
            ):
                if not values:
                    continue
                stmt = select(*_CLIENT_COLUMNS).where(
                    mine, one_of(connection, column, list(values))
                )
                for row in connection.execute(stmt):
                    found[row.client_id] = client_from(row)
        return list(found.values())

    def set_newsletter(self, tenant_id: str, email: str, status: NewsletterStatus) -> Client | None:
        lower = normalize_email(email).lower()
        with self._database.engine.begin() as connection:
            row = connection.execute(
                select(*_CLIENT_COLUMNS).where(
                    ClientRecord.tenant_id == tenant_id, ClientRecord.email_lower == lower
                )
            ).first()
            if row is None:
                return None
            client = client_from(row)
            if client.newsletter == status:
                return client  # idempotent: nothing changed, the watermark stays put
            connection.execute(
                update(ClientRecord)
                .where(
                    ClientRecord.tenant_id == tenant_id,
                    ClientRecord.client_id == client.client_id,
                )
                .values(
                    newsletter=status.value,
                    updated_at=self._clock.now(),
                    change_seq=_next_seq(connection, tenant_id),
                )
            )
        return replace(client, newsletter=status)

    # -- ClientDirectory -------------------------------------------------------------------

    def clients(self, tenant_id: str, changed_since: datetime | None = None) -> Iterator[Client]:
        stmt = select(*_CLIENT_COLUMNS).where(ClientRecord.tenant_id == tenant_id)
        if changed_since is not None:
            # >=: a client changed at the very instant of the watermark is sent again, not lost.
            stmt = stmt.where(ClientRecord.updated_at >= changed_since)
        stmt = stmt.order_by(ClientRecord.client_id)
        with self._database.engine.connect() as connection:
            result = connection.execution_options(yield_per=STREAM_BATCH).execute(stmt)
            for row in result:
                yield client_from(row)

    def changes(self, tenant_id: str, since: str | None) -> ClientChanges | None:
        """ChangeFeed: the marker is the tenant's last change number, read first."""
        with self._database.engine.connect() as connection:
            marker = _last_seq(connection, tenant_id)
            after = _parse_marker(since)
            if since is not None and (after is None or after > marker):
                return None  # not a marker of this directory: the caller reads everything
            if after == marker:
                return ClientChanges(str(marker), iter(()), frozenset())  # a quiet tenant
            removed: frozenset[str] = frozenset()
            if after is not None:
                removed = frozenset(_removed_since(connection, tenant_id, after))
        return ClientChanges(str(marker), self._stream(tenant_id, after), removed)

    def remove(self, tenant_id: str, client_ids: Sequence[str]) -> int:
        """Removes clients (a tombstone each, so a sync sees them go); returns how many."""
        removed = 0
        with self._database.engine.begin() as connection:
            seq = _next_seq(connection, tenant_id)
            for chunk in chunked(dict.fromkeys(client_ids), UPSERT_CHUNK):
                mine = ClientRecord.tenant_id == tenant_id
                gone = list(
                    connection.scalars(
                        delete(ClientRecord)
                        .where(mine, one_of(connection, ClientRecord.client_id, chunk))
                        .returning(ClientRecord.client_id)
                    )
                )
                if gone:
                    stmt = insert_for(connection, _TOMBSTONES)
                    stmt = stmt.on_conflict_do_update(
                        index_elements=[_TOMBSTONES.c.tenant_id, _TOMBSTONES.c.client_id],
                        set_={"change_seq": stmt.excluded.change_seq},
                    )
                    rows = [
                        {"tenant_id": tenant_id, "client_id": c, "change_seq": seq} for c in gone
                    ]
                    connection.execute(stmt, rows)
                removed += len(gone)
        return removed

    def find(self, tenant_id: str, key: str) -> Client | None:
        mine = ClientRecord.tenant_id == tenant_id
        with self._database.engine.connect() as connection:
            for condition in (
                ClientRecord.client_id == key,
                ClientRecord.email_lower == normalize_email(key).lower(),
            ):
                row = connection.execute(select(*_CLIENT_COLUMNS).where(mine, condition)).first()
                if row is not None:
                    return client_from(row)
        return None

    def mark_unsubscribed(self, tenant_id: str, email: str) -> Client | None:
        return self.set_newsletter(tenant_id, email, NewsletterStatus.UNSUBSCRIBED)

    def mark_cleaned(self, tenant_id: str, email: str) -> Client | None:
        return self.set_newsletter(tenant_id, email, NewsletterStatus.CLEANED)

    def mark_many(
        self, tenant_id: str, marks: Sequence[tuple[str, NewsletterStatus]]
    ) -> list[Client | None]:
        """mark_unsubscribed / mark_cleaned for several addresses in one transaction (the
        webhook applier's batch), with the same answers as one call after another."""
        lowers = [normalize_email(email).lower() for email, _ in marks]
        found: dict[str, Client] = {}
        changed: dict[str, NewsletterStatus] = {}
        results: list[Client | None] = []
        with self._database.engine.begin() as connection:
            for chunk in chunked(dict.fromkeys(lowers), IN_CHUNK):
                stmt = select(ClientRecord.email_lower, *_CLIENT_COLUMNS).where(
                    ClientRecord.tenant_id == tenant_id,
                    one_of(connection, ClientRecord.email_lower, chunk),
                )
                for row in connection.execute(stmt):
                    found.setdefault(row[0], client_from(cast(Any, row[1:])))
            for lower, (_, status) in zip(lowers, marks, strict=True):
                client = found.get(lower)
                if client is not None and client.newsletter != status:
                    client = found[lower] = replace(client, newsletter=status)
                    changed[client.client_id] = status
                results.append(client)
            now = self._clock.now()
            for status in set(changed.values()):
                ids = [client_id for client_id, s in changed.items() if s == status]
                for chunk in chunked(ids, IN_CHUNK):
                    connection.execute(
                        update(ClientRecord)
                        .where(
                            ClientRecord.tenant_id == tenant_id,
                            one_of(connection, ClientRecord.client_id, chunk),
                        )
                        .values(newsletter=status.value, updated_at=now)
                    )
        return results

    # -- extras for the CLI and tests ------------------------------------------------------

    def get(self, tenant_id: str, client_id: str) -> Client | None:
        with self._database.engine.connect() as connection:
            row = connection.execute(
                select(*_CLIENT_COLUMNS).where(
                    ClientRecord.tenant_id == tenant_id, ClientRecord.client_id == client_id
                )
            ).first()
        return client_from(row) if row is not None else None

    def find_many(self, tenant_id: str, client_ids: Iterable[str]) -> dict[str, Client]:
        wanted = sorted(set(client_ids))
        found: dict[str, Client] = {}
        with self._database.engine.connect() as connection:
            for start in range(0, len(wanted), UPSERT_CHUNK):
                chunk = wanted[start : start + UPSERT_CHUNK]
                stmt = select(*_CLIENT_COLUMNS).where(
                    ClientRecord.tenant_id == tenant_id,
                    one_of(connection, ClientRecord.client_id, chunk),
                )
                for row in connection.execute(stmt):
                    found[row.client_id] = client_from(row)
        return found

    # -- internals -------------------------------------------------------------------------

    def _stream(self, tenant_id: str, after: int | None) -> Iterator[Client]:
        stmt = select(*_CLIENT_COLUMNS).where(ClientRecord.tenant_id == tenant_id)
        if after is not None:
            stmt = stmt.where(ClientRecord.change_seq > after)
        with self._database.engine.connect() as connection:
            result = connection.execution_options(yield_per=STREAM_BATCH).execute(stmt)
            for row in result:
                yield client_from(row)

    def _stored_for(
        self, connection: Connection, tenant_id: str, chunk: Sequence[Client]
    ) -> list[_Row]:
        ids = {client.client_id for client in chunk if client.client_id}
        emails = {normalize_email(client.email).lower() for client in chunk}
        mine = ClientRecord.tenant_id == tenant_id
        found: dict[str, _Row] = {}
        for column, values in ((ClientRecord.client_id, ids), (ClientRecord.email_lower, emails)):
            if not values:
                continue
            stmt = select(*_CLIENT_COLUMNS).where(mine, one_of(connection, column, list(values)))
            for row in connection.execute(stmt):
                found[row.client_id] = _Row(*row)
        return list(found.values())

    def _write(self, connection: Connection, tenant_id: str, plan: _Plan, now: datetime) -> None:
        by_key = (_TABLE.c.tenant_id == bindparam("k_tenant")) & (
            _TABLE.c.client_id == bindparam("k_client")
        )
        moving = plan.moving_emails()
        if moving:
            # Park moving addresses first, so swaps within one import never trip the unique index.
            connection.execute(
                update(_TABLE).where(by_key).values(email_lower=bindparam("parked")),
                [
                    {"k_tenant": tenant_id, "k_client": client_id, "parked": f" moving {client_id}"}
                    for client_id in moving
                ],
            )
        # Updates before inserts: a new client may take an address an update just released.
        rows = [*plan.updates.values(), *plan.inserts.values()]
        if rows:
            seq = _next_seq(connection, tenant_id)
            stmt = insert_for(connection, _TABLE)
            stmt = stmt.on_conflict_do_update(
                index_elements=[_TABLE.c.tenant_id, _TABLE.c.client_id],
                set_={name: stmt.excluded[name] for name in _IMPORTED_COLUMNS},
            )
            connection.execute(stmt, [row.values(tenant_id, now, seq) for row in rows])


def _next_seq(connection: Connection, tenant_id: str) -> int:
    """The tenant's next change number. The counter row stays locked until the transaction
    ends, so a later number never becomes visible before an earlier one."""
    stmt = insert_for(connection, _COUNTERS).values(tenant_id=tenant_id, last_seq=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_COUNTERS.c.tenant_id],
        set_={"last_seq": _COUNTERS.c.last_seq + 1},
    )
    seq = connection.scalar(stmt.returning(_COUNTERS.c.last_seq))
    assert seq is not None
    return int(seq)


def _last_seq(connection: Connection, tenant_id: str) -> int:
    seq = connection.scalar(
        select(ClientCounterRecord.last_seq).where(ClientCounterRecord.tenant_id == tenant_id)
    )
    return int(seq or 0)


def _parse_marker(since: str | None) -> int | None:
    if since is None or not since.isdigit():
        return None
    return int(since)


def _removed_since(connection: Connection, tenant_id: str, after: int) -> list[str]:
    """Tombstones newer than `after` whose client is not back (same id imported again)."""
    back = exists().where(
        ClientRecord.tenant_id == ClientTombstoneRecord.tenant_id,
        ClientRecord.client_id == ClientTombstoneRecord.client_id,
    )
    stmt = select(ClientTombstoneRecord.client_id).where(
        ClientTombstoneRecord.tenant_id == tenant_id,
        ClientTombstoneRecord.change_seq > after,
        ~back,
    )
    return list(connection.scalars(stmt))
