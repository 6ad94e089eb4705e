"""The host platform's client database, as the plugin needs it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from calendarspots_mailchimp.core.model import Client


class ClientDirectory(Protocol):
    """A tenant's clients. The host platform plugs in its own; the plugin ships an embedded one.

    Contract: `clients` yields every client of the tenant (or those changed since the watermark),
    streaming, in any order; `mark_unsubscribed` / `mark_cleaned` find the client by email,
    case-insensitively, set its newsletter status and return it (None when no client has that
    address). Marking is idempotent. A directory may also offer `mark_many(tenant_id, [(email,
    NewsletterStatus), …]) -> [Client | None, …]`, the same marks in one go (the embedded one
    does); the webhook applier then marks a batch in one call, else one call per event. `find` returns one client by its client_id, else by its
    email (case-insensitive), or None (a host directory written before `find` existed is
    scanned through `clients` instead: core/services/explain.py). `find_many` returns the
    clients among `client_ids` that exist, by client_id, in one batch (a host directory without
    it is scanned through `clients` instead: core/services/client_names.py).
    """

    def clients(
        self, tenant_id: str, changed_since: datetime | None = None
    ) -> Iterator[Client]: ...

    def find(self, tenant_id: str, key: str) -> Client | None:
        """The client whose client_id is `key`, else whose email is `key` (any case)."""

    def mark_unsubscribed(self, tenant_id: str, email: str) -> Client | None: ...

    def mark_cleaned(self, tenant_id: str, email: str) -> Client | None: ...

    def find_many(self, tenant_id: str, client_ids: Iterable[str]) -> dict[str, Client]:
        """The tenant's clients whose client_id is among `client_ids`, by client_id (unknown
        ids are left out)."""


@dataclass(frozen=True)
class ClientChanges:
    """What a tenant's clients became since a marker.

    `marker`: give it back as `since` next time, to read only what changes after this read
    (opaque to the plugin, stored with the tenant after a successful sync). `clients`: every
    client added or changed since `since` (every client when `since` is None), streaming, in
    any order; a client changed twice may come once or twice. `removed`: the ids of clients
    removed since `since` that are not there any more (empty when `since` is None)."""

    marker: str
    clients: Iterator[Client]
    removed: frozenset[str]


@runtime_checkable
class ChangeFeed(Protocol):
    """Optional capability of a ClientDirectory: "clients changed since <marker>".

    A directory that has it lets a nightly sync read only what changed (its cost follows the
    changes, not the number of clients). `changes` returns None when it cannot answer for that
    marker (unknown, from another database, too old): the sync then reads every client, as it
    does for a directory without this method. Contract: the marker is taken before the clients
    are read, so a change made during the read is read again next time, never lost."""

    def changes(self, tenant_id: str, since: str | None) -> ClientChanges | None: ...
