"""`cs-mailchimp demo`: the help page's story, end to end, on loopback."""

from __future__ import annotations

import random
import secrets
import tempfile
import time
import unicodedata
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from calendarspots_mailchimp.core.activity import ActivityEntry
from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.container import build_container
from calendarspots_mailchimp.entrypoints.http.app import create_app
from calendarspots_mailchimp.entrypoints.http.pages import KINDS
from calendarspots_mailchimp.entrypoints.http.server import RunningServer, free_port
from calendarspots_mailchimp.entrypoints.i18n import Words, translate
from calendarspots_mailchimp.entrypoints.messages import (
    render,
    report_message,
    row_text,
    status_word,
)
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
ZONE = "America/Montreal"


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


def run_demo(count: int, lang: str = "en") -> None:
    """The story, told in `lang` (en or fr)."""
    w = translate(lang)
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
        database = workdir / "demo.db"
        said = w._(
            "MailChimp simulator on {url}; database {database}",
            url=mailchimp.url,
            database=database,
        )
        say(f"[bold]1.[/] {escape(said)}")
        account = sim.create_account(login="owner@salon-belle.example", account_name="Salon Belle")
        audience = sim.create_list(account.account_id, name="calendarspots", with_birthday=True)
        sim.approve_as(account.account_id)
        said = w._(
            "The owner created the audience “{list}” (id {id}) with EMAIL, FNAME, LNAME and "
            "BIRTHDAY.",
            list="calendarspots",
            id=audience.list_id,
        )
        say(f"   {escape(said)}")

        container.tenants().add(AddTenant(TENANT, "Salon Belle", ZONE, locale=lang))
        report = container.clients().import_csv(TENANT, demo_csv(count).encode("utf-8"))
        rows = "; ".join(
            w._("line {line}: {why}", line=e.line, why=row_text(e, lang))
            for e in report.errors + report.warnings
        )
        imported = w.n_("{n} client imported", "{n} clients imported", report.added)
        said = w._(
            "Tenant {tenant}: {imported}; {rows}", tenant=TENANT, imported=imported, rows=rows
        )
        say(f"[bold]2.[/] {escape(said)}")

        with RunningServer(create_app(container), port=app_port).start() as web:
            link = container.start_links().make(TENANT)
            said = w._(
                "The owner opens the one-use link `connect` printed ({url}) and approves on "
                "MailChimp",
                url=link.url.split("?")[0],
            )
            say(f"[bold]3.[/] {escape(said)}")
            started = time.monotonic()
            with httpx.Client(timeout=120) as browser:
                at_mailchimp = browser.get(link.url).headers["location"]
                to_callback = browser.get(at_mailchimp)  # MailChimp approves, redirects back
                location = to_callback.headers["location"] + f"&lang={lang}"
                result = browser.get(location, headers={"Accept": "application/json"}).json()
            colour = "green" if result["ok"] else "red"
            seconds = w._("{s} s", s=w.number(round(time.monotonic() - started, 1)))
            say(f"   [{colour}]{escape(result['message'])}[/] ({seconds})")

            members = sim.members(audience.list_id)
            said = w.n_(
                "The audience now has {n} member.",
                "The audience now has {n} members.",
                len(members),
            )
            say(f"[bold]4.[/] {escape(said)}")
            first, second = sorted(m["email_address"] for m in members)[:2]
            sim.unsubscribe(audience.list_id, first, reason="manual")
            sim.clean(audience.list_id, second, reason="hard")
            sim.update_profile(
                audience.list_id,
                sorted(m["email_address"] for m in members)[3],
                merges={"FNAME": w._("Renamed-in-MailChimp")},
            )
            sim.wait_deliveries(timeout=10)
            said = w._(
                "In MailChimp, {first} unsubscribes and {second} bounces; a third contact edits "
                "their profile. MailChimp calls the webhook on {url}/webhooks/…",
                first=first,
                second=second,
                url=web.url,
            )
            say(f"   {escape(said)}")
            # The web app applies webhook events off the request path: a moment after the 200.
            container.inbox_applier().apply_pending(TENANT)
            statuses = {c.email: c.newsletter.value for c in container.clients().list(TENANT)}
            said = w._(
                "Client database: {first} → {first_status}, {second} → {second_status} (profile "
                "edit only recorded).",
                first=first,
                first_status=status_word(str(statuses.get(first)), w),
                second=second,
                second_status=status_word(str(statuses.get(second)), w),
            )
            say(f"   {escape(said)}")

            changed = demo_csv(count).replace(",Zoé,", ",Zoë,", 3)
            container.clients().import_csv(TENANT, changed.encode("utf-8"))
            night = container.sync_service().sync(TENANT)
            calls = w.n_("{n} MailChimp call", "{n} MailChimp calls", night.api_calls)
            said = w._(
                "During the day a few clients change; at night: {summary} ({calls}).",
                summary=report_message(night, lang),
                calls=calls,
            )
            say(f"[bold]5.[/] {escape(said)}")

        entries, total = container.tenants().activity(TENANT, limit=12)
        console.print(_activity_table(entries, total, w))
        said = w._(
            "MailChimp API requests in all: {requests}; members written: {writes}",
            requests=w.number(sim.stats.total_api_requests),
            writes=w.number(sim.stats.member_writes),
        )
        say(escape(said))
    typer.echo(w._("demo finished; its database stays in {folder}", folder=workdir))


def _activity_table(entries: list[ActivityEntry], total: int, w: Words) -> Table:
    """Newest first; in French, each kind in words and the time in the salon's time zone."""
    title = w.n_(
        "Newsletters → View activity ({n} entry, newest first)",
        "Newsletters → View activity ({n} entries, newest first)",
        total,
    )
    table = Table(title=escape(title))
    table.add_column(w._("at"))
    table.add_column(w._("kind"))
    table.add_column(w._("message"), overflow="fold")
    for entry in entries:
        kind = str(entry.kind)
        if w.lang == "en":  # as it always was: UTC and the kind's code
            at, label = entry.at.strftime("%H:%M:%S"), kind
        else:
            at = entry.at.astimezone(ZoneInfo(ZONE)).strftime("%H:%M:%S")
            label = w._(KINDS[kind]) if kind in KINDS else kind
        table.add_row(at, escape(label), escape(render(entry, w.lang)))
    return table
