"""`serve`, `simulator`, `demo`."""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Annotated
from urllib.parse import urlsplit

import typer

from calendarspots_mailchimp.adapters.metrics.prometheus import MULTIPROC_ENV, multiprocess_dir
from calendarspots_mailchimp.core.errors import ConfigurationError
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.cli.common import failures, language, use_language, words
from calendarspots_mailchimp.entrypoints.container import runtime
from calendarspots_mailchimp.entrypoints.i18n import N_

# Top-level commands: main.py adds this app without a name.
app = typer.Typer()


def can_listen(host: str, port: int) -> None:
    """Fails early, in one line, where uvicorn would print a traceback or exit with its own
    code: the port is taken, or the host is not one of this machine's interfaces."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        # uvicorn binds the first address it is given; for "localhost" prefer IPv4 as it does.
        infos.sort(key=lambda info: info[0] != socket.AF_INET)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind(address)
    except OSError as exc:
        error = exc.strerror or str(exc)
        raise ConfigurationError(
            f"cannot listen on {host}:{port}: {error} (choose another --port, or stop what uses it)",
            code="cannot_listen",
            facts={"host": host, "port": port, "error": error, "errno": _errno_name(exc)},
        ) from exc


def _errno_name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, "")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Server processes sharing the port (each takes webhooks in and applies "
            "them; one per core at most).",
        ),
    ] = 1,
) -> None:
    """Serve the plugin's HTTP app (webhooks, OAuth, activity) with uvicorn."""
    import uvicorn

    from calendarspots_mailchimp.entrypoints.http.app import create_app, settle_heap

    with failures():
        container = runtime()
        with container.uow()() as uow:  # build the schema before the first request
            uow.tenants.list()
        warn_missing_settings(container.settings())
        can_listen(host, port)
        warn_metrics_scope()
        # JSON lines: uvicorn's loggers go to the root's JSON handler instead of its own.
        json_logs = container.settings().log_format == "json"
        if workers == 1:
            app_or_factory: object = create_app(container)
            settle_heap()
        else:
            # Each process builds its own app from the same environment (the settings).
            app_or_factory = APP_FACTORY
        uvicorn.run(
            app_or_factory,  # type: ignore[arg-type]
            factory=workers > 1,
            workers=workers,
            host=host,
            port=port,
            log_level="info",
            proxy_headers=True,
            log_config=None if json_logs else uvicorn.config.LOGGING_CONFIG,
        )


APP_FACTORY = "calendarspots_mailchimp.entrypoints.http.app:runtime_app"


@app.command("simulator")
def simulator(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8001,
    client_id: Annotated[
        str,
        typer.Option(
            "--client-id",
            envvar="CS_MAILCHIMP_CLIENT_ID",
            help="OAuth client id the simulator accepts (default: CS_MAILCHIMP_CLIENT_ID or demo-client-id).",
        ),
    ] = "",
    client_secret: Annotated[
        str,
        typer.Option(
            "--client-secret",
            envvar="CS_MAILCHIMP_CLIENT_SECRET",
            show_default=False,
            help="OAuth client secret the simulator accepts (default: CS_MAILCHIMP_CLIENT_SECRET).",
        ),
    ] = "",
    list_name: Annotated[
        str,
        typer.Option("--list-name", help="Name of the audience created in the default account."),
    ] = "calendarspots",
    no_seed: Annotated[
        bool, typer.Option("--no-seed", help="Start empty (no default account or audience).")
    ] = False,
    latency: Annotated[
        float, typer.Option("--latency", help="Seconds added to every API request.")
    ] = 0.0,
) -> None:
    """Serve the bundled MailChimp simulator (OAuth + Marketing API v3 + a /_sim control API)."""
    import uvicorn

    from calendarspots_mailchimp.simulator import Simulator

    with failures():
        can_listen(host, port)
        sim = Simulator(
            client_id=client_id or "demo-client-id",
            client_secret=client_secret or "demo-client-secret",
            latency=latency,
        )
        if not no_seed:
            account = sim.create_account(login="owner@example.com", account_name="Demo salon")
            audience = sim.create_list(account.account_id, name=list_name, with_birthday=True)
            sim.approve_as(account.account_id)
            base_url = f"http://{host}:{port}"
            said = words()._(
                "simulator: account {account}, audience {audience} named {name!r}; OAuth base "
                "URL {url}",
                account=account.account_id,
                audience=audience.list_id,
                name=list_name,
                url=base_url,
            )
            typer.echo(said)
        uvicorn.run(sim.app, host=host, port=port, log_level="warning")


def warn_missing_settings(settings: Settings) -> None:
    """What will not work until a setting is given, said once at start-up (stderr), in the
    operator's language (`--lang`, else CS_MAILCHIMP_LANG / LANG)."""
    w = words()
    missing = [
        ("CS_MAILCHIMP_CLIENT_ID", settings.client_id, N_("owners cannot authorize MailChimp")),
        ("CS_MAILCHIMP_CLIENT_SECRET", settings.client_secret, N_("authorizations cannot finish")),
        ("CS_MAILCHIMP_SECRET_KEY", settings.secret_key, N_("no token can be stored")),
        (
            "CS_MAILCHIMP_ADMIN_TOKEN",
            settings.admin_token,
            N_("the activity routes refuse every request unless a host auth plugin is installed"),
        ),
    ]
    for name, value, effect in missing:
        if not value:
            said = w._("{name} is not set: {effect}", name=name, effect=w._(effect))
            typer.echo(f"warning: {said}", err=True)
    if unreachable_from_mailchimp(settings):
        said = w._(
            "CS_MAILCHIMP_PUBLIC_URL is {url}: MailChimp cannot reach a local address, so it "
            "will refuse the webhook and the OAuth redirect will only work on this machine; "
            "set the plugin's public HTTPS address",
            url=settings.public_url,
        )
        typer.echo(f"warning: {said}", err=True)


def warn_metrics_scope() -> None:
    """Without the shared metrics directory, /metrics counts this server's work only."""
    if multiprocess_dir() is None:
        said = words()._(
            "{name} is not set: /metrics counts the syncs and MailChimp requests of this "
            "server only, not those of the workers or of `nightly`",
            name=MULTIPROC_ENV,
        )
        typer.echo(f"warning: {said}", err=True)


def unreachable_from_mailchimp(settings: Settings) -> bool:
    """The real MailChimp (not a simulator) and a public URL only this network can reach."""
    if urlsplit(settings.oauth_base_url).hostname != "login.mailchimp.com":
        return False
    host = urlsplit(settings.public_url).hostname or ""
    if host == "localhost" or host.endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


@app.command("demo")
def demo(
    clients: Annotated[
        int, typer.Option("--clients", help="How many demo clients to create.")
    ] = 300,
    lang: Annotated[
        str,
        typer.Option(
            "--lang", metavar="en|fr", help="Tell the story in this language (default: English)."
        ),
    ] = "",
) -> None:
    """The whole story on embedded defaults: SQLite and the bundled simulator, no network."""
    from calendarspots_mailchimp.entrypoints.cli.demo import run_demo

    with failures():
        use_language(lang)
        run_demo(clients, language())
