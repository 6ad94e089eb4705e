"""A world for end-to-end and BDD tests: the bundled MailChimp simulator and the plugin's HTTP
app, both served by uvicorn on loopback, and a container wired to them and to a fresh database.
Nothing is faked on our side: the real adapters, over real HTTP."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from typer.testing import CliRunner, Result

from calendarspots_mailchimp.core.model import Client, LedgerEntry
from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.cli.main import app as cli_app
from calendarspots_mailchimp.entrypoints.container import (
    Container,
    build_container,
    stop_background,
    use_runtime,
)
from calendarspots_mailchimp.entrypoints.http.app import create_app
from calendarspots_mailchimp.entrypoints.http.server import RunningServer, free_port
from calendarspots_mailchimp.entrypoints.messages import worded
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory
from calendarspots_mailchimp.ports.security import SecretBox
from calendarspots_mailchimp.simulator import Simulator, serve_in_thread

CLIENT_ID = "test-client-id"


def csv_for(rows: Sequence[tuple[str, str, str, str]], with_ids: bool = True) -> bytes:
    lines = ["email,first_name,last_name,birthday" + (",client_id" if with_ids else "")]
    for i, (email, first, last, birthday) in enumerate(rows):
        lines.append(f"{email},{first},{last},{birthday}" + (f",c{i:06d}" if with_ids else ""))
    return ("\n".join(lines) + "\n").encode("utf-8")


def sample_rows(count: int, start: int = 0) -> list[tuple[str, str, str, str]]:
    return [
        (
            f"client{i}@example.com",
            f"Prénom{i}",
            f"D'Nom{i}",
            f"19{50 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        )
        for i in range(start, start + count)
    ]


@dataclass
class MailChimpSide:
    account_id: str
    list_id: str


@dataclass
class World:
    sim: Simulator
    sim_url: str
    app_url: str
    settings: Settings
    container: Container
    servers: list[Any] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)

    # -- set-up --------------------------------------------------------------------------------
    @property
    def uow(self) -> UnitOfWorkFactory:
        uow: UnitOfWorkFactory = self.container.uow()
        return uow

    @property
    def box(self) -> SecretBox:
        box: SecretBox = self.container.secret_box()
        return box

    @property
    def clock(self) -> Clock:
        clock: Clock = self.container.clock()
        return clock

    def add_tenant(
        self,
        tenant_id: str = "salon",
        timezone: str = "America/Montreal",
        double_opt_in: bool = False,
        archive_removed: bool = False,
    ) -> None:
        self.container.tenants().add(
            AddTenant(tenant_id, f"Salon {tenant_id}", timezone, double_opt_in, archive_removed)
        )

    def import_rows(self, tenant_id: str, rows: Sequence[tuple[str, str, str, str]]) -> None:
        report = self.container.clients().import_csv(tenant_id, csv_for(rows))
        assert not report.errors, report.errors

    def mailchimp(
        self,
        list_name: str = "calendarspots",
        with_birthday: bool = True,
        login: str = "owner@example.com",
    ) -> MailChimpSide:
        account = self.sim.create_account(login=login, account_name=f"Account of {login}")
        lst = self.sim.create_list(account.account_id, name=list_name, with_birthday=with_birthday)
        self.sim.approve_as(account.account_id)
        return MailChimpSide(account.account_id, lst.list_id)

    # -- acting like people --------------------------------------------------------------------
    def start_link(self, tenant_id: str = "salon") -> str:
        """The one-use link `cs-mailchimp connect TENANT` prints for the owner."""
        result = self.cli("connect", tenant_id, "--json")
        assert result.exit_code == 0, result.output
        link: str = json.loads(result.stdout)["authorize_url"]
        return link

    def authorize(self, tenant_id: str = "salon") -> dict[str, Any]:
        """The owner opens the link the operator gave, approves on MailChimp, lands back on
        the callback."""
        with httpx.Client(timeout=60) as browser:
            start = browser.get(self.start_link(tenant_id))
            assert start.status_code == 302, start.text
            at_mailchimp = browser.get(start.headers["location"])
            assert at_mailchimp.status_code == 302, at_mailchimp.text
            back = browser.get(
                at_mailchimp.headers["location"], headers={"Accept": "application/json"}
            )
        result: dict[str, Any] = back.json()
        result["status_code"] = back.status_code
        self.last["connect"] = result
        return result

    def cli(self, *args: str) -> Result:
        use_runtime(self.container)
        try:
            return CliRunner().invoke(cli_app, list(args), catch_exceptions=False)
        finally:
            use_runtime(None)

    def sync_json(self, tenant_id: str, *flags: str, exit_code: int = 0) -> dict[str, Any]:
        """`cs-mailchimp sync TENANT --json [flags]`, its exit code checked, its report parsed."""
        result = self.cli("sync", tenant_id, "--json", *flags)
        assert result.exit_code == exit_code, result.output
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    # -- looking -------------------------------------------------------------------------------
    def ledger(self, tenant_id: str = "salon") -> dict[str, LedgerEntry]:
        with self.uow() as uow:
            scope = uow.scope(tenant_id)
            return scope.ledger.get_many(scope.ledger.all_client_ids())

    def clients(self, tenant_id: str = "salon") -> dict[str, Client]:
        return {c.email.lower(): c for c in self.container.directory().clients(tenant_id)}

    def kinds(self, tenant_id: str = "salon", limit: int = 200) -> list[str]:
        entries, _ = self.container.tenants().activity(tenant_id, limit=limit)
        return [str(e.kind) for e in entries]

    def entries(self, tenant_id: str = "salon", kind: str | None = None) -> list[Any]:
        entries, _ = self.container.tenants().activity(
            tenant_id, limit=500, kinds=[kind] if kind else []
        )
        return [worded(e) for e in entries]  # with the sentence a reader sees

    def members(self, list_id: str) -> dict[str, dict[str, Any]]:
        return {m["email_address"].lower(): m for m in self.sim.members(list_id)}

    def tenant(self, tenant_id: str = "salon") -> Any:
        return self.container.tenants().get(tenant_id)

    def close(self) -> None:
        for server in self.servers:  # all at once: each takes uvicorn's 0.1 s tick to notice
            server.request_stop()
        for server in reversed(self.servers):
            server.stop()
        stop_background(self.container)
        self.container.mailchimp().close() if hasattr(self.container.mailchimp(), "close") else None


def make_world(
    database_url: str,
    extra_plugins: Sequence[object] = (),
    before_start: Callable[[RunningServer], None] | None = None,
    server_options: dict[str, Any] | None = None,
    **overrides: Any,
) -> World:
    """The simulator and the plugin's app on loopback. `extra_plugins` stand for a host
    platform; `before_start` sees the app's server before it starts (e.g. to tap its logs)."""
    client_secret = secrets.token_urlsafe(16)
    sim = Simulator(client_id=CLIENT_ID, client_secret=client_secret)
    sim_server = serve_in_thread(sim)
    app_port = free_port()
    settings = Settings(
        database_url=database_url,
        oauth_base_url=sim_server.url,
        client_id=CLIENT_ID,
        client_secret=client_secret,
        public_url=f"http://127.0.0.1:{app_port}",
        secret_key=secrets.token_urlsafe(32),
        admin_token=secrets.token_urlsafe(24),
        max_retries=overrides.pop("max_retries", 4),
        **overrides,
    )
    container = build_container(settings, extra_plugins=extra_plugins)
    app_server = RunningServer(create_app(container), port=app_port, **(server_options or {}))
    if before_start is not None:
        before_start(app_server)
    app_server.start()
    return World(
        sim, sim_server.url, app_server.url, settings, container, servers=[sim_server, app_server]
    )
