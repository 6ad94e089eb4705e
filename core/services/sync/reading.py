"""What a sync reads from the client directory: only the clients changed since the tenant's
last successful sync when the directory keeps a change counter (ports.client_directory
.ChangeFeed) and the tenant has its marker, else every client (a full read).

Why reading only the changes gives the same plan as reading everything: a client unchanged
since the marker was, at the last successful sync, either sent and acknowledged (its ledger
hash equals its content: "unchanged"), refused (its ledger keeps the refusal with that hash:
not sent again until it changes), or skipped with nothing to send (invalid address, not
subscribed here: skipped again). MailChimp-side changes (opt-outs, archives) are read back by
backfill into the ledger and never make the sync send an unchanged client. Clients removed
from the platform come from the directory's tombstones instead of "ledger minus seen".
Clients MailChimp refused before are read again every night (reported until they change, as a
full read does), and so are the clients the last successful sync skipped (an invalid address,
the same address twice): the owner's page and the report keep listing them until they are
fixed, as a full read would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from calendarspots_mailchimp.core.model import ActivityEntry, ActivityKind, Client
from calendarspots_mailchimp.core.services.sync.run import Run
from calendarspots_mailchimp.ports.client_directory import ChangeFeed, ClientDirectory


def read_clients(run: Run, directory: ClientDirectory) -> Iterable[Client]:
    """The clients this run plans; sets run.removed (None for a full read) and the marker the
    run stores when it succeeds."""
    tenant = run.tenant
    since = None if run.full or not tenant.clients_marker else tenant.clients_marker
    if isinstance(directory, ChangeFeed):
        changes = directory.changes(tenant.tenant_id, since)
        if changes is None and since is not None:
            since = None  # the directory does not know this marker: read everything
            changes = directory.changes(tenant.tenant_id, None)
        if changes is not None:
            run.clients_marker = changes.marker
            if since is None:
                return changes.clients
            run.removed = changes.removed
            with run.uow() as uow:  # before anything is sent: see count_unread
                ledger = uow.scope(tenant.tenant_id).ledger
                run.members = ledger.count()
                refused = ledger.refused_ids()
                last = uow.scope(tenant.tenant_id).activity.list(limit=1, kinds=_SUCCESSES)
            again = refused | _skipped(last[0] if last else None)
            return _then_refused(changes.clients, directory, tenant.tenant_id, again)
    run.clients_marker = ""
    run.removed = None
    return directory.clients(tenant.tenant_id)


_SUCCESSES = [str(ActivityKind.SYNC_SUCCEEDED), str(ActivityKind.SYNC_PARTIAL)]


def _skipped(entry: ActivityEntry | None) -> set[str]:
    """The clients the last successful sync reported (its entry's problems, by client_id)."""
    problems = entry.details.get("problems") if entry is not None else None
    if not isinstance(problems, list):
        return set()
    return {str(p["client_id"]) for p in problems if isinstance(p, dict) and p.get("client_id")}


def _then_refused(
    changed: Iterator[Client], directory: ClientDirectory, tenant_id: str, refused: set[str]
) -> Iterator[Client]:
    """The changed clients, then those MailChimp refused before that did not change: a full
    read reports them at every sync (REFUSED_BEFORE) until their details change, and so
    does an incremental one (a few `find`s: refusals are rare)."""
    read: set[str] = set()
    for client in changed:
        read.add(client.client_id)
        yield client
    for client_id in sorted(refused - read):
        found = directory.find(tenant_id, client_id)
        if found is not None and found.client_id == client_id:
            yield found


def count_unread(run: Run) -> None:
    """An incremental read counts the clients it did not read as unchanged, as a full read
    would have: the ledger's clients, less those read this run and those gone."""
    if run.removed is None:
        return
    gone = run.gone if run.gone is not None else set()
    run.counts.unchanged += max(0, run.members - run.read_known - len(gone))
