"""`cs-mailchimp clients ...`: the embedded client directory."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Annotated

import typer

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import Client
from calendarspots_mailchimp.core.validation import neutralise_formula, printable
from calendarspots_mailchimp.entrypoints.cli.common import emit, failures, language, say, words
from calendarspots_mailchimp.entrypoints.container import runtime
from calendarspots_mailchimp.entrypoints.messages import explain_json, explain_lines, row_text

app = typer.Typer(
    help="The embedded client directory (used when no host platform plugs in its own).",
    no_args_is_help=True,
)


def client_json(client: Client) -> dict[str, object]:
    return {
        "client_id": client.client_id,
        "email": client.email,
        "first_name": client.first_name,
        "last_name": client.last_name,
        "birthday": client.birthday.iso() if client.birthday else None,
        "newsletter": client.newsletter.value,
    }


@app.command("import")
def import_(
    tenant: Annotated[str, typer.Argument(help="Tenant id.")],
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with header email,first_name,last_name,birthday[,client_id]: UTF-8 "
            "(with or without BOM) or UTF-16 with BOM; comma, semicolon or tab."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Import clients from a CSV file: bad rows are reported with their line and skipped."""
    with failures():
        try:
            file.open("rb").close()
        except OSError as exc:
            # The usual causes in the reader's words; any other in the system's.
            code = {errno.ENOENT: "file.missing", errno.EISDIR: "file.directory"}.get(
                exc.errno or 0,
                "file.denied" if exc.errno in (errno.EACCES, errno.EPERM) else "file",
            )
            raise InvalidInput(
                f"cannot read {file}: {exc.strerror}",
                code=code,
                facts={"file": str(file), "error": exc.strerror},
            ) from exc
        # Streamed: the import opens the file twice (see core/services/client_rows.py).
        report = runtime().clients().import_csv(tenant, lambda: file.open("rb"))

        def text() -> None:
            w = words()
            said = w._(
                "{added}, {updated}, {skipped}",
                added=w.n_("{n} client added", "{n} clients added", report.added),
                updated=w.n_("{n} updated", "{n} updated", report.updated),
                skipped=w.n_("{n} row skipped", "{n} rows skipped", len(report.errors)),
            )
            if report.warnings:
                kept = len(report.warnings)
                said += w.n_(", {n} kept with a warning", ", {n} kept with a warning", kept)
            typer.echo(said)
            for problem in sorted(report.errors + report.warnings, key=lambda p: p.line):
                why = row_text(problem, language())
                say(w._("line {line}: {why}", line=problem.line, why=why), err=True)

        emit(report.as_json(), as_json, text)


@app.command("list")
def list_(
    tenant: Annotated[str, typer.Argument(help="Tenant id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List a tenant's clients with their newsletter status."""
    with failures():
        clients = runtime().clients().list(tenant)

        def text() -> None:
            for c in clients:
                birthday = c.birthday.iso() if c.birthday else ""
                cells = (c.email, c.first_name, c.last_name, birthday, c.newsletter.value)
                # Tab-separated, so often saved to a file a spreadsheet opens: each cell is
                # escaped for the terminal and neutralised by the OWASP CSV-injection rule.
                typer.echo("\t".join(printable(neutralise_formula(cell)) for cell in cells))

        emit([client_json(c) for c in clients], as_json, text)


@app.command("explain")
def explain(
    tenant: Annotated[str, typer.Argument(help="Tenant id.")],
    client: Annotated[str, typer.Argument(help="The client's email (any case) or client_id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One client's whole story: the platform's record, what was last pushed, the live
    MailChimp member (one read), the activity about the address, why it is in MailChimp as it
    is and what to do."""
    with failures():
        story = runtime().explain_client().explain(tenant, client)

        def text() -> None:
            for line in explain_lines(story, language()):
                say(line)

        emit(explain_json(story, client_json(story.client), language()), as_json, text)
