"""Clients' names for a list of client ids, in one batch: the owner's pages list the clients a
sync did not send by name and address."""

from __future__ import annotations

from collections.abc import Iterable

from calendarspots_mailchimp.core.model import Client
from calendarspots_mailchimp.ports.client_directory import ClientDirectory


def client_names(
    directory: ClientDirectory, tenant_id: str, client_ids: Iterable[str]
) -> dict[str, str]:
    """client_id → "First Last" for the ids the directory knows and that have a name. A host
    directory without `find_many` (written before it existed) is scanned once instead."""
    wanted = {i for i in client_ids if i}
    if not wanted:
        return {}
    find_many = getattr(directory, "find_many", None)
    found: dict[str, Client]
    if find_many is not None:
        found = find_many(tenant_id, wanted)
    else:
        found = {c.client_id: c for c in directory.clients(tenant_id) if c.client_id in wanted}
    names = {i: " ".join(p for p in (c.first_name, c.last_name) if p) for i, c in found.items()}
    return {i: name for i, name in names.items() if name}
