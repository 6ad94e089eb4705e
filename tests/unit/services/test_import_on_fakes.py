"""`Clients.import_csv` on fakes: chunks, and a chunk the store refuses."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from fakes import FakeClientDirectory
from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import Client
from calendarspots_mailchimp.core.services import clients as clients_module
from calendarspots_mailchimp.core.services.clients import Clients


class PickyStore(FakeClientDirectory):
    """Refuses any batch holding a client whose last name is "Refused" (as a database
    would refuse a value), and counts the batches it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def upsert(self, tenant_id: str, clients: Sequence[Client]) -> tuple[int, int]:
        self.batches.append(len(clients))
        if any(c.last_name == "Refused" for c in clients):
            raise InvalidInput("the database refused this client (DataError)")
        return super().upsert(tenant_id, clients)


def test_a_refused_chunk_is_retried_row_by_row_and_only_the_bad_row_is_skipped(
    fakes: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes.add_tenant()
    store = PickyStore()
    service = Clients(fakes.container.uow(), store, store)
    lines = ["email,first_name,last_name,birthday,client_id"]
    for i in range(25):
        last = "Refused" if i == 13 else f"Nom{i}"
        lines.append(f"c{i}@example.com,P{i},{last},,C{i}")
    monkeypatch.setattr(clients_module, "CHUNK", 10)
    report = service.import_csv("salon", ("\n".join(lines) + "\n").encode())

    assert (report.added, report.updated) == (24, 0)
    assert [(e.line, e.reason) for e in report.errors] == [
        (15, "the database refused this client (DataError)")
    ]
    assert store.batches[:2] == [10, 10]  # chunk 2 refused whole, then one row at a time
    assert store.batches[2:12] == [1] * 10 and store.batches[12:] == [5]
    assert sorted(c.client_id for c in store.all("salon")) == sorted(
        f"C{i}" for i in range(25) if i != 13
    )
