"""`cs-mailchimp demo`: the help page's story, end to end, on loopback."""

from __future__ import annotations

import random
import secrets
import tempfile
import time
import unicodedata
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.table import Table

from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.container import build_container
from calendarspots_mailchimp.entrypoints.http.app import create_app
from calendarspots_mailchimp.entrypoints.http.server import RunningServer, free_port
from calendarspots_mailchimp.entrypoints.messages import render, report_message
from calendarspots_mailchimp.simulator import Simulator, serve_in_thread

FIRST = [
    "Émilie",
    "François",
    "Zoé",
    "Chloé",
    "Léa",
    "Noémie",
    "Jérôme",
    "Hélène",
    "Anaïs",
    "Benoît",
    "Gaëlle",
    "Mathieu",
    "Olivia",
    "Raphaël",
    "Sébastien",
    "Inès",
    "Marc-André",
]
LAST = [
    "Tremblay",
    "Gagnon",
    "D'Amour",
    "O'Neil",
    "Côté",
    "Bélanger",
    "Lévesque",
    "Bérubé",
    "Nguyen",
    "Saint-Pierre",
    "Lefèvre",
    "Dubé",
    "Poirier",
    "Fortin",
    "Gauthier",
]
TENANT = "salon-belle"


def demo_csv(count: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    lines = ["email,first_name,last_name,birthday,client_id"]
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        plain = unicodedata.normalize("NFKD", f"{first}.{last}.{i}")
        local = plain.encode("ascii", "ignore").decode().lower().replace("'", "").replace(" ", "")
        birthday = (
            ""
            if i % 5 == 0
            else f"{rng.randint(1960, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        )
        if i == 1:
            birthday = "1992-02-29"  # a leap-day birthday: MailChimp keeps 02/29
        if i == 2:
            birthday = "07-14"  # month-day only
        name_last = last.replace('"', "")
        lines.append(f'{local}@example.com,{first},"{name_last}",{birthday},C{i:05d}')
    lines.append("not-an-email,Invalid,Address,,C99999")  # reported and skipped
    return "\n".join(lines) + "\n"


def run_demo(count: int) -> None:
    console = Console()
    say = console.print
    workdir = Path(tempfile.mkdtemp(prefix="cs-mailchimp-demo-"))
    client_id, client_secret = "demo-client-id", secrets.token_urlsafe(16)
    sim = Simulator(client_id=client_id, client_secret=client_secret)
    with serve_in_thread(sim) as mailchimp:
        app_port = free_port()
        settings = Settings(
            database_url=f"sqlite:///{workdir / 'demo.db'}",
            oauth_base_url=mailchimp.url,
            client_id=client_id,
            client_secret=client_secret,
            public_url=f"http://127.0.0.1:{app_port}",
            secret_key=secrets.token_urlsafe(32),
            admin_token=secrets.token_urlsafe(24),
        )
        container = build_container(settings)
        say(f"[bold]1.[/] MailChimp simulator on {mailchimp.url}; database {workdir / 'demo.db'}")
        account = sim.create_account(login="owner@salon-belle.example", account_name="Salon Belle")
        audience = sim.create_list(account.account_id, name="calendarspots", with_birthday=True)
        sim.approve_as(account.account_id)
        say(
            f"   The owner created the audience [cyan]calendarspots[/] (id {audience.list_id}) "
            "with EMAIL, FNAME, LNAME and BIRTHDAY."
        )

        container.tenants().add(AddTenant(TENANT, "Salon Belle", "America/Montreal"))
        report = container.clients().import_csv(TENANT, demo_csv(count).encode("utf-8"))
        say(
            f"[bold]2.[/] Tenant {TENANT}: {report.added} clients imported; "
            + "; ".join(f"line {e.line}: {e.reason}" for e in report.errors + report.warnings)
        )

        with RunningServer(create_app(container), port=app_port).start() as web:
            link = container.start_links().make(TENANT)
            say(
                f"[bold]3.[/] The owner opens the one-use link `connect` printed "
                f"({link.url.split('?')[0]}) and approves on MailChimp"
            )
            started = time.monotonic()
            with httpx.Client(timeout=120) as browser:
                at_mailchimp = browser.get(link.url).headers["location"]
                to_callback = browser.get(at_mailchimp)  # MailChimp approves, redirects back
                location = to_callback.headers["location"]
                result = browser.get(location, headers={"Accept": "application/json"}).json()
            colour = "green" if result["ok"] else "red"
            say(f"   [{colour}]{result['message']}[/] ({time.monotonic() - started:.1f} s)")

            members = sim.members(audience.list_id)
            say(f"[bold]4.[/] The audience now has {len(members)} members.")
            first, second = sorted(m["email_address"] for m in members)[:2]
            sim.unsubscribe(audience.list_id, first, reason="manual")
            sim.clean(audience.list_id, second, reason="hard")
            sim.update_profile(
                audience.list_id,
                sorted(m["email_address"] for m in members)[3],
                merges={"FNAME": "Renamed-in-MailChimp"},
            )
            sim.wait_deliveries(timeout=10)
            say(
                f"   In MailChimp, {first} unsubscribes and {second} bounces; a third contact "
                "edits their profile. MailChimp calls the webhook on " + web.url + "/webhooks/…"
            )
            statuses = {c.email: c.newsletter.value for c in container.clients().list(TENANT)}
            say(
                f"   Client database: {first} → [yellow]{statuses.get(first)}[/], "
                f"{second} → [yellow]{statuses.get(second)}[/] (profile edit only recorded)."
            )

            changed = demo_csv(count).replace(",Zoé,", ",Zoë,", 3)
            container.clients().import_csv(TENANT, changed.encode("utf-8"))
            night = container.sync_service().sync(TENANT)
            say(
                f"[bold]5.[/] During the day a few clients change; at night: {report_message(night)} "
                f"({night.api_calls} MailChimp calls)."
            )

        entries, total = container.tenants().activity(TENANT, limit=12)
        table = Table(title=f"Newsletters → View activity ({total} entries, newest first)")
        table.add_column("at")
        table.add_column("kind")
        table.add_column("message", overflow="fold")
        for entry in entries:
            table.add_row(entry.at.strftime("%H:%M:%S"), str(entry.kind), render(entry))
        console.print(table)
        say(
            f"MailChimp API requests in all: {sim.stats.total_api_requests}; members written: "
            f"{sim.stats.member_writes}"
        )
    typer.echo(f"demo finished; its database stays in {workdir}")
