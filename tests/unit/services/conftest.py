"""Use cases on fakes: the real container, with every port overridden by an in-memory fake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pytest
from dependency_injector import providers
from fakes import (
    FakeAudience,
    FakeClientDirectory,
    FakeDatabase,
    FakeMailChimp,
    FakeMailChimpAccount,
    FakeSecretBox,
    TickingClock,
)

from calendarspots_mailchimp.core.model import (
    ActivityEntry,
    Birthday,
    Client,
    ConnectionState,
    Tenant,
)
from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.container import (
    Container,
    build_container,
    stop_background,
)

SETTINGS = Settings(
    database_url="sqlite:///never-opened.db",
    client_id="fake-client",
    client_secret="fake-secret",
    public_url="https://plugin.example",
    secret_key="a-long-random-secret-key-for-tests",
)


@dataclass
class Fakes:
    container: Container
    db: FakeDatabase
    directory: FakeClientDirectory
    mailchimp: FakeMailChimp
    box: FakeSecretBox
    clock: TickingClock
    published: list[ActivityEntry] = field(default_factory=list)

    def tenant(self, tenant_id: str = "salon") -> Tenant:
        return self.container.tenants().get(tenant_id)

    def add_tenant(self, tenant_id: str = "salon", double_opt_in: bool = False) -> None:
        self.container.tenants().add(
            AddTenant(tenant_id, f"Salon {tenant_id}", "America/Montreal", double_opt_in)
        )

    def add_clients(self, count: int, tenant_id: str = "salon", start: int = 0) -> list[Client]:
        clients = [
            Client(
                f"c{i}",
                f"client{i}@example.com",
                f"Prénom{i}",
                f"Nom{i}",
                Birthday(1 + i % 12, 1 + i % 28),
            )
            for i in range(start, start + count)
        ]
        self.directory.upsert(tenant_id, clients)
        return clients

    def connected(
        self, tenant_id: str = "salon", clients: int = 0
    ) -> tuple[FakeMailChimpAccount, FakeAudience]:
        """A tenant with a stored token for a MailChimp account with a `calendarspots`
        audience, as the OAuth callback leaves it (no sync yet)."""
        self.add_tenant(tenant_id)
        self.add_clients(clients, tenant_id)
        account = self.mailchimp.add_account(f"Account {tenant_id}")
        audience = self.mailchimp.add_audience(account)
        token = self.mailchimp.issue_token(account)
        with self.db.uow() as uow:
            uow.scope(tenant_id).token.put(self.box.encrypt(token))
            stored = uow.tenants.get(tenant_id)
            assert stored is not None
            uow.tenants.save(
                replace(
                    stored,
                    api_endpoint=FakeMailChimp.API_ENDPOINT,
                    account_name=account.name,
                    account_id=account.account_id_,
                ).with_state(ConnectionState.CONNECTED)
            )
            uow.commit()
        return account, audience

    def kinds(self, tenant_id: str = "salon") -> list[str]:
        entries, _ = self.container.tenants().activity(tenant_id, limit=1000)
        return [str(e.kind) for e in entries]


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    published: list[ActivityEntry] = []
    db = FakeDatabase(published.append)
    directory = FakeClientDirectory()
    clock = TickingClock()
    mailchimp = FakeMailChimp(clock.now)
    box = FakeSecretBox()
    container = build_container(SETTINGS)
    container.uow.override(providers.Object(db.uow))
    container.directory.override(providers.Object(directory))
    container.client_store.override(providers.Object(directory))
    container.mailchimp.override(providers.Object(mailchimp))
    container.secret_box.override(providers.Object(box))
    container.clock.override(providers.Object(clock))
    yield Fakes(container, db, directory, mailchimp, box, clock, published)
    stop_background(container)
