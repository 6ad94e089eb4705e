"""The feature files (features/**) are read by a French product owner: their scenario titles and
steps carry no internal code (an activity kind such as `sync.succeeded`, a MailChimp status or a
connection state in English, a CLI command, a time-zone id, a UTC timestamp) and none of the
English phrases the steps used to quote. The codes live in tests/bdd/conftest.py's tables.
Every rule R1–R10 that pyproject.toml names keeps at least one scenario."""

from __future__ import annotations

import re
import tomllib
from itertools import pairwise
from pathlib import Path

import pytest

from calendarspots_mailchimp.core.model import ActivityKind, ConnectionState, MemberStatus

ROOT = Path(__file__).resolve().parents[2]
FEATURES = sorted((ROOT / "features").rglob("*.feature"))

KEYWORDS = re.compile(
    r"^\s*(Soit|Sachant|Étant donné|Etant donné|Quand|Lorsque|Lorsqu'|Alors|Donc|Et|Mais"
    r"|Scénario|Scenario|Plan du scénario|Exemples|\|)"
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
DOTTED = re.compile(r"(?<![\w.])[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+(?![\w.])")
DOMAINS = (".com", ".ca", ".fr", ".org", ".net")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
ZONE_ID = re.compile(r"\b[A-Z][a-z]+/[A-Z][A-Za-z_]+")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
FLAG = re.compile(r"(?<!\w)--[a-z]")
# English words the steps used to quote from messages and commands.
ENGLISH = {
    "already",
    "only",
    "create",
    "deleted",
    "renamed",
    "succeeded",
    "failed",
    "granted",
    "revoked",
    "skipped",
    "sync",
    "check",
    "fix",
    "full",
    "api",
    "the",
    "and",
}
STATUSES = {str(s) for s in MemberStatus} | {str(s) for s in ConnectionState} | {"cleaned"}
KINDS = {str(k) for k in ActivityKind}


def internal_words(line: str) -> list[str]:
    """What in `line` a product owner should not have to read."""
    text = EMAIL.sub(" ", line)
    found = [t for t in DOTTED.findall(text) if not t.endswith(DOMAINS)]
    found += [k for k in KINDS if k in text]
    found += SNAKE.findall(text) + ZONE_ID.findall(text) + ISO_TIME.findall(text)
    found += FLAG.findall(text)
    if "cs-mailchimp" in text.lower():
        found.append("cs-mailchimp")
    words = {w.lower() for w in re.findall(r"[A-Za-z_]+", text)}
    found += sorted(words & (STATUSES | ENGLISH))
    return found


def steps(path: Path) -> list[tuple[int, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(n, line) for n, line in enumerate(lines, 1) if KEYWORDS.match(line)]


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: str(p.relative_to(ROOT)))
def test_feature_steps_carry_no_internal_code_or_english(path: Path) -> None:
    bad = [
        f"{path.name}:{n}: {found}" for n, line in steps(path) if (found := internal_words(line))
    ]
    assert not bad, "\n".join(bad)


def test_there_are_feature_files_and_each_speaks_french() -> None:
    assert len(FEATURES) >= 3
    for path in FEATURES:
        assert path.read_text(encoding="utf-8").startswith("# language: fr\n"), path
        assert steps(path), path


def test_every_rule_keeps_a_scenario() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    markers = config["tool"]["pytest"]["ini_options"]["markers"]
    rules = {m.split(":")[0] for m in markers if re.fullmatch(r"R\d+", m.split(":")[0])}
    assert rules == {f"R{i}" for i in range(1, 11)}
    tagged: set[str] = set()
    for path in FEATURES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for tags, title in pairwise(lines):
            if tags.strip().startswith("@") and title.strip().startswith("Scénario"):
                tagged |= set(re.findall(r"@(R\d+)\b", tags))
    assert rules <= tagged, sorted(rules - tagged)


@pytest.mark.parametrize(
    "line",
    [
        '    Et le journal d\'activité contient "authorization.granted" et "sync.succeeded"',
        '    Et la liste compte 20 contacts "subscribed"',
        '    Alors un message dit que la synchronisation a échoué en mentionnant "create"',
        '    Et le message propose "cs-mailchimp check salon --fix"',
        '    Quand l\'opérateur lance "sync salon --full"',
        '    Alors la page rechargée dit "already used"',
        "    Alors l'entreprise est dans l'état \"needs_reauthorization\"",
        '    Soit une entreprise "salon" dans le fuseau horaire "America/Montreal"',
        '    Quand la tâche de nuit passe à "2026-03-10T12:00:00-04:00"',
        '    Alors en quelques secondes le client "a@example.com" est "cleaned"',
        '    Et la liste a un seul webhook, qui ignore la source "api"',
        '    Alors le journal contient "mailchimp.profile.recorded" avec "Gisèle"',
    ],
)
def test_the_guard_catches_the_old_steps(line: str) -> None:
    assert internal_words(line), line


@pytest.mark.parametrize(
    "line",
    [
        "    Et le journal d'activité dit que l'accès a été autorisé et que la synchronisation "
        "a réussi",
        '    Quand "client9@example.com" change son adresse pour "client9.nouveau@example.com"',
        "    Et la liste a un seul webhook, qui ignore les changements faits par calendarspots.com",
        '    Alors en quelques secondes la fiche du client "a@example.com" indique adresse invalide',
        "    Quand la tâche de nuit passe le 10 mars 2026 à 12 h 00, heure de l'entreprise",
    ],
)
def test_the_guard_lets_plain_french_through(line: str) -> None:
    assert internal_words(line) == [], line
