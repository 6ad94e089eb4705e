"""The command line in French: `--help`, messages and errors follow `--lang` (or
CS_MAILCHIMP_LANG, else LANG); English stays the default; exit codes do not change."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.french import english_in
from typer.testing import CliRunner

from calendarspots_mailchimp.entrypoints.cli.main import app, command_in, help_texts
from calendarspots_mailchimp.entrypoints.i18n import translate


def script(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`cs-mailchimp ARGS` as a person types it, in an environment of its own."""
    command = Path(sys.executable).parent / "cs-mailchimp"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    clean.pop("CS_MAILCHIMP_LANG", None)
    clean |= {"CS_MAILCHIMP_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", **env}
    return subprocess.run(
        [str(command), *args], capture_output=True, text=True, env=clean, cwd=tmp_path, timeout=60
    )


def test_help_is_french_with_lang_fr(tmp_path: Path) -> None:
    done = script(tmp_path, "--lang", "fr", "--help")
    assert done.returncode == 0, done.stderr
    assert "Garde la base de données clients" in done.stdout
    assert "Commandes" in done.stdout and "Afficher cette aide et quitter." in done.stdout
    assert "Keep each calendarspots.com business" not in done.stdout


def test_help_is_french_under_a_french_locale(tmp_path: Path) -> None:
    done = script(tmp_path, "tenants", "add", "--help", LANG="fr_CA.UTF-8")
    assert done.returncode == 0, done.stderr
    assert "Ajouter une entreprise." in done.stdout
    assert "Fuseau horaire IANA" in done.stdout and "[obligatoire]" in done.stdout


def test_help_stays_english_by_default(tmp_path: Path) -> None:
    done = script(tmp_path, "--help", LANG="C.UTF-8")
    assert "Keep each calendarspots.com business" in done.stdout
    assert "Commands" in done.stdout


def test_cs_mailchimp_lang_wins_over_lang(tmp_path: Path) -> None:
    done = script(tmp_path, "--help", LANG="fr_FR.UTF-8", CS_MAILCHIMP_LANG="en")
    assert "Keep each calendarspots.com business" in done.stdout


def test_an_error_is_french_and_keeps_its_exit_code(tmp_path: Path) -> None:
    done = script(tmp_path, "--lang", "fr", "activity", "nope")
    assert done.returncode == 3  # NotFound, as in English
    assert done.stderr == "error: aucune entreprise « nope »\n"
    english = script(tmp_path, "activity", "nope")
    assert (english.returncode, english.stderr) == (3, "error: no tenant 'nope'\n")


def test_messages_follow_lang(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"CS_MAILCHIMP_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    added = runner.invoke(
        app,
        ["--lang", "fr", "tenants", "add", "salon", "--name", "Salon", "--timezone", "UTC"],
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert added.stdout == "entreprise salon ajoutée\n"
    bad = runner.invoke(
        app,
        ["--lang", "fr", "tenants", "add", "x", "--name", "X", "--timezone", "Mars/Base"],
        env=env,
    )
    assert bad.exit_code == 2
    assert "fuseau horaire inconnu « Mars/Base »" in bad.stderr
    # The next run without --lang is English again (nothing leaks from one run to the next).
    english = runner.invoke(app, ["tenants", "list"], env=env | {"LANG": "C.UTF-8"})
    assert english.stdout.startswith("salon\tSalon\tUTC\tnot_connected")


@pytest.mark.parametrize("lang", ["fr"])
def test_every_help_text_is_translated(lang: str) -> None:
    words = translate(lang)
    english = set(help_texts())
    root: Any = command_in(lang)

    def walk(command: Any) -> Any:
        yield command
        for sub in getattr(command, "commands", {}).values():
            yield from walk(sub)

    for command in walk(root):
        texts = [command.help] + [getattr(p, "help", None) for p in command.params]
        for text in filter(None, texts):
            assert text not in english or words._(text) == text, text
    command_in("en")  # Typer's own words back to English for the other tests


@pytest.mark.slow
def test_demo_lang_fr_tells_the_whole_story_in_french(tmp_path: Path) -> None:
    done = script(tmp_path, "demo", "--lang", "fr", "--clients", "30", COLUMNS="200")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for said in (
        "La propriétaire a créé la liste « calendarspots »",
        "31 clients importés",  # with the invalid address, kept
        "MailChimp est connecté et la synchronisation initiale a réussi",
        "Synchronisation terminée : ",
        "Infolettres → Voir l'activité",
        "Autorisation accordée",
        "s'est désabonné de votre infolettre",
        "l'adresse n'existe pas ou ne fonctionne plus",
        "a modifié son profil dans MailChimp",
        "démonstration terminée",
    ):
        assert said in out, said
    told = " ".join(out.split())
    assert re.search(r"Base de données clients : \S+ → désabonné, \S+ → adresse invalide", told)
    assert "contact.unsubscribed" not in out  # owner words, not internal codes
    assert english_in(out) == [], english_in(out)
    assert "Traceback" not in done.stderr


ENGLISH_USAGE_WORDS = ("Missing", "Usage", "Try", "Invalid value", "No such", "see `", "Got ")


@pytest.mark.parametrize(
    ("args", "french"),
    [
        (["sync"], "error: Argument « tenant » manquant. (voir `cs-mailchimp sync --help`)\n"),
        (["--x"], "error: Option inconnue\u00a0: --x (voir `cs-mailchimp --help`)\n"),
        (
            ["serve", "--port", "abc"],
            "error: Valeur invalide pour « --port »\u00a0: ce n'est pas un nombre entier "
            "(voir `cs-mailchimp serve --help`)\n",
        ),
        (
            ["serve", "--port", "0"],
            "error: Valeur invalide pour « --port »\u00a0: doit valoir au moins 1 "
            "(voir `cs-mailchimp serve --help`)\n",
        ),
        (
            ["sync", "a", "b"],
            "error: Argument(s) en trop\u00a0: b (voir `cs-mailchimp sync --help`)\n",
        ),
        (["nope"], "error: Commande « nope » inconnue. (voir `cs-mailchimp --help`)\n"),
        (
            ["tenants", "add", "x"],
            "error: Option « --name » manquante. (voir `cs-mailchimp tenants add --help`)\n",
        ),
    ],
)
def test_typer_usage_errors_are_french_with_lang_fr(
    tmp_path: Path, args: list[str], french: str
) -> None:
    done = script(tmp_path, "--lang", "fr", *args)
    assert done.returncode == 2  # a usage error's exit code, as in English
    assert done.stderr == french
    assert not [word for word in ENGLISH_USAGE_WORDS if word in done.stderr]


def test_typer_usage_errors_follow_a_french_locale_and_stay_english_by_default(
    tmp_path: Path,
) -> None:
    french = script(tmp_path, "sync", LANG="fr_CA.UTF-8")
    assert (
        french.stderr == "error: Argument « tenant » manquant. (voir `cs-mailchimp sync --help`)\n"
    )
    english = script(tmp_path, "sync")
    assert (english.returncode, english.stderr) == (
        2,
        "error: Missing argument 'tenant'. (see `cs-mailchimp sync --help`)\n",
    )
    bad = script(tmp_path, "serve", "--port", "abc")
    assert "Invalid value for '--port': Input should be a valid integer" in bad.stderr


def test_the_usage_line_of_help_is_french(tmp_path: Path) -> None:
    done = script(tmp_path, "--lang", "fr", "tenants", COLUMNS="100")
    assert "Utilisation\u00a0: cs-mailchimp tenants" in done.stdout + done.stderr
    assert "Usage:" not in done.stdout + done.stderr
    english = script(tmp_path, "tenants", COLUMNS="100")
    assert "Usage: cs-mailchimp tenants" in english.stdout + english.stderr


def test_a_port_in_use_is_said_in_french(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = script(tmp_path, "--lang", "fr", "simulator", "--port", str(port))
    assert done.returncode == 4  # as in English
    assert " ".join(done.stderr.split()) == (
        f"error: impossible d'écouter sur 127.0.0.1:{port} : le port est déjà utilisé "
        "(choisissez un autre --port, ou arrêtez ce qui l'occupe)"
    )
    assert "simulateur" not in done.stdout  # nothing announced that did not start


def test_a_missing_setting_is_said_in_french(tmp_path: Path) -> None:
    added = script(tmp_path, "tenants", "add", "salon", "--name", "Salon", "--timezone", "UTC")
    assert added.returncode == 0, added.stderr
    done = script(tmp_path, "--lang", "fr", "connect", "salon", CS_MAILCHIMP_CLIENT_ID="")
    assert done.returncode == 4  # a configuration error, as in English
    assert " ".join(done.stderr.split()) == (
        "error: CS_MAILCHIMP_CLIENT_ID n'est pas défini : enregistrez l'application de la "
        "plateforme auprès de MailChimp"
    )
    english = script(tmp_path, "connect", "salon", CS_MAILCHIMP_CLIENT_ID="")
    assert english.stderr == (
        "error: CS_MAILCHIMP_CLIENT_ID is not set: register the platform's app with MailChimp\n"
    )


def test_a_tenant_added_twice_is_said_in_french(tmp_path: Path) -> None:
    args = ("tenants", "add", "salon", "--name", "Salon", "--timezone", "UTC")
    assert script(tmp_path, *args).returncode == 0
    again = script(tmp_path, "--lang", "fr", *args)
    english = script(tmp_path, *args)
    assert again.returncode == english.returncode != 0
    assert again.stderr == "error: l'entreprise « salon » existe déjà\n"
    assert english.stderr == "error: tenant 'salon' already exists\n"


def test_a_file_that_cannot_be_read_is_told_in_french_not_in_the_system_s_english(
    tmp_path: Path,
) -> None:
    missing = script(tmp_path, "--lang", "fr", "clients", "import", "salon", "absent.csv")
    folder = script(tmp_path, "--lang", "fr", "clients", "import", "salon", str(tmp_path))

    assert missing.returncode == 2, missing.stderr
    assert missing.stderr == "error: impossible de lire absent.csv : ce fichier n'existe pas\n"
    assert folder.returncode == 2 and "c'est un dossier, pas un fichier" in folder.stderr
    assert "No such file" not in missing.stderr + folder.stderr


def test_a_language_the_tool_does_not_have_is_refused_in_one_line(tmp_path: Path) -> None:
    done = script(tmp_path, "--lang", "de", "tenants", "list")
    regional = script(tmp_path, "--lang", "fr_CA", "tenants", "list", "--json")

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == "error: --lang 'de' is not a language of this tool: en or fr\n"
    assert done.stdout == ""
    assert regional.returncode == 0, regional.stderr  # a regional form is the language
