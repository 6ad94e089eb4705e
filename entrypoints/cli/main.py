"""`cs-mailchimp`: the operators' command line."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import typer
import typer.main
import typer.rich_utils

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.entrypoints.cli import (
    activity,
    clients,
    common,
    db,
    operate,
    servers,
    status,
    tenants,
    worker,
)
from calendarspots_mailchimp.entrypoints.cli.usage_words import usage_error
from calendarspots_mailchimp.entrypoints.i18n import (
    N_,
    Words,
    environment_language,
    language_of,
    translate,
)
from calendarspots_mailchimp.entrypoints.logs import configure_logging

app = typer.Typer(
    name="cs-mailchimp",
    help=(
        "Keep each calendarspots.com business's client database in sync with its own "
        "MailChimp audience. Settings come from CS_MAILCHIMP_* environment variables "
        "(or a .env file)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Without a name, a module's commands are top-level commands; with one, a command group.
app.add_typer(operate.app)
app.add_typer(activity.app)
app.add_typer(status.app)
app.add_typer(servers.app)
app.add_typer(worker.app)
app.add_typer(tenants.app, name="tenants")
app.add_typer(clients.app, name="clients")
app.add_typer(db.app, name="db")


@app.callback()
def _language(
    lang: str = typer.Option(
        "",
        "--lang",
        metavar="en|fr",
        help=(
            "Language of messages, errors and --help: en or fr (default: CS_MAILCHIMP_LANG, "
            "else LC_ALL/LC_MESSAGES/LANG, else English)."
        ),
    ),
) -> None:
    if lang and not language_of(lang, ""):
        with common.failures():  # one `error:` line, exit 2
            raise InvalidInput(
                f"--lang {lang!r} is not a language of this tool: en or fr",
                code="lang",
                facts={"lang": lang},
            )
    common.use_language(lang)


def _commands(command: Any) -> Iterator[Any]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


def help_texts() -> list[str]:
    """Every `--help` text (commands and options), English: msgids of the catalog."""
    texts: list[str | None] = []
    for command in _commands(typer.main.get_command(app)):
        texts += [command.help, command.short_help]
        texts += [getattr(param, "help", None) for param in command.params]
    return [str(text) for text in texts if text]


# Typer's own words in its help screens (module constants of typer.rich_utils).
_TYPER_WORDS = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "DEPRECATED_STRING": N_("(deprecated) "),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}


def command_in(lang: str) -> Any:
    """The click command tree with its `--help` texts in `lang` (built fresh each time)."""
    words = translate(lang)
    for name, msgid in _TYPER_WORDS.items():
        setattr(typer.rich_utils, name, words._(msgid))
    root = typer.main.get_command(app)
    for command in _commands(root):
        command.help = words._(command.help) if command.help else command.help
        command.short_help = words._(command.short_help) if command.short_help else None
        for param in command.params:
            if getattr(param, "help", None):
                param.help = words._(param.help)
            _no_flag_type(param)
        _help_option_in(command, words)
        _usage_in(command, words)
    _quiet_when_the_reader_leaves(root)
    return root


def _no_flag_type(param: Any) -> None:
    """A flag (`--json`, `--help`) takes no value: no `<bool>` beside it in `--help` (Typer
    0.29 shows its type there like a value's)."""
    if getattr(param, "is_flag", False) and getattr(param, "metavar", None) is None:
        param.display_type_rich = lambda ctx: None


def _help_option_in(command: Any, words: Words) -> None:
    built = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = built(ctx)
        if option is not None:
            option.help = words._("Show this message and exit.")
            _no_flag_type(option)
        return option

    command.get_help_option = help_option


def _usage_in(command: Any, words: Words) -> None:
    """The `Usage:` line's word (click's `write_usage` takes it as its `prefix`)."""

    def format_usage(ctx: Any, formatter: Any) -> None:
        pieces = " ".join(command.collect_usage_pieces(ctx))
        formatter.write_usage(ctx.command_path, pieces, prefix=words._("Usage: "))

    command.format_usage = format_usage


def _quiet_when_the_reader_leaves(root: Any) -> None:
    """A reader that stops reading (`cs-mailchimp tenants list | head -1`) is not a failure:
    what is left unwritten goes nowhere and the run ends with 0 (Typer would exit 1)."""
    invoke = root.invoke

    def quiet(ctx: Any) -> Any:
        try:
            return invoke(ctx)
        except BrokenPipeError:
            _mute_stdout()
            raise typer.Exit(0) from None

    root.invoke = quiet


def _mute_stdout() -> None:
    """stdout to /dev/null, so the interpreter's last flush of what is left cannot fail."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _on_devnull(fd: int) -> bool:
    try:
        here, null = os.fstat(fd), os.stat(os.devnull)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (null.st_dev, null.st_ino)


def asked_language(argv: Sequence[str]) -> str:
    """`--lang X` / `--lang=X` anywhere on the line (read before parsing, for `--help`)."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return language_of(argv[i + 1], environment_language())
        if arg.startswith("--lang="):
            return language_of(arg.partition("=")[2], environment_language())
    return environment_language()


def main() -> None:
    """The console script. Usage errors, like every failure, are one `error:` line on stderr
    (SPEC) rather than Typer's framed block; exit code 2 as Typer gives them."""
    configure_logging()
    # Rich, printing --help, answers a closed stdout by pointing it at /dev/null and exiting 1:
    # told apart by stdout that was not /dev/null before.
    muted_before = _on_devnull(sys.stdout.fileno())
    lang = asked_language(sys.argv[1:])
    common.ask_language(lang)
    common.use_language(lang)
    try:
        # Not standalone: Typer raises its command-line errors here instead of printing them.
        code = command_in(lang).main(prog_name="cs-mailchimp", standalone_mode=False)
    except typer.TyperException as exc:  # the public base of Typer's command-line errors
        code = exc.exit_code
        words = translate(lang)
        message = usage_error(exc, " ".join(exc.format_message().split()), words)
        if not message:
            pass  # a group given no command: its help is the answer, Typer printed it
        elif code == 2:  # a usage error: it names the command whose help tells more
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx else "cs-mailchimp"
            said = words._("{message} (see `{command} --help`)", message=message, command=where)
            typer.echo(f"error: {said}", err=True)
        else:
            typer.echo(f"error: {message}", err=True)
    except typer.Abort:
        typer.echo(f"error: {translate(lang)._('aborted')}", err=True)
        code = 1
    except BrokenPipeError:
        # The reader stopped reading (`cs-mailchimp --help | head -1`): not a failure.
        _mute_stdout()
        code = 0
    except SystemExit as exc:
        if exc.code != 1 or muted_before or not _on_devnull(sys.stdout.fileno()):
            raise
        # Rich's broken pipe, which only a help screen meets: `--help` asked for it (exit 0),
        # or it answers a command line that lacks its command (exit 2, as when read whole).
        code = 0 if "--help" in sys.argv[1:] else 2
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
