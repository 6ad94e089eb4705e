"""`serve`, `simulator`, `demo`."""

from __future__ import annotations

import typer

from calendarspots_mailchimp.entrypoints.cli import state
from calendarspots_mailchimp.entrypoints.cli.main import failures


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("simulator")(simulator)
    app.command("demo")(demo)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
) -> None:
    """Serve the plugin's HTTP app (webhooks, OAuth, activity) with uvicorn."""
    import uvicorn

    from calendarspots_mailchimp.entrypoints.http.app import create_app

    with failures():
        container = state.container()
        with container.uow_factory()() as uow:  # build the schema before the first request
            uow.tenants.list()
        uvicorn.run(
            create_app(container), host=host, port=port, log_level="info", proxy_headers=True
        )


def simulator(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8001, "--port", help="TCP port."),
    client_id: str = typer.Option(
        "",
        "--client-id",
        envvar="CS_MAILCHIMP_CLIENT_ID",
        help="OAuth client id the simulator accepts (default: CS_MAILCHIMP_CLIENT_ID or demo-client-id).",
    ),
    client_secret: str = typer.Option(
        "",
        "--client-secret",
        envvar="CS_MAILCHIMP_CLIENT_SECRET",
        show_default=False,
        help="OAuth client secret the simulator accepts (default: CS_MAILCHIMP_CLIENT_SECRET).",
    ),
    list_name: str = typer.Option(
        "calendarspots", "--list-name", help="Name of the audience created in the default account."
    ),
    no_seed: bool = typer.Option(
        False, "--no-seed", help="Start empty (no default account or audience)."
    ),
    latency: float = typer.Option(0.0, "--latency", help="Seconds added to every API request."),
) -> None:
    """Serve the bundled MailChimp simulator (OAuth + Marketing API v3 + a /_sim control API)."""
    import uvicorn

    from calendarspots_mailchimp.simulator import Simulator

    with failures():
        sim = Simulator(
            client_id=client_id or "demo-client-id",
            client_secret=client_secret or "demo-client-secret",
            latency=latency,
        )
        if not no_seed:
            account = sim.create_account(login="owner@example.com", account_name="Demo salon")
            audience = sim.create_list(account.account_id, name=list_name, with_birthday=True)
            sim.approve_as(account.account_id)
            typer.echo(
                f"simulator: account {account.account_id}, audience {audience.list_id} "
                f"named {list_name!r}; OAuth base URL http://{host}:{port}"
            )
        uvicorn.run(sim.app, host=host, port=port, log_level="warning")


def demo(
    clients: int = typer.Option(300, "--clients", help="How many demo clients to create."),
) -> None:
    """The whole story on embedded defaults: SQLite and the bundled simulator, no network."""
    from calendarspots_mailchimp.entrypoints.cli.demo import run_demo

    with failures():
        run_demo(clients)
