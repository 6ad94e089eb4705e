"""`serve` says at start-up which missing settings will make which routes fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.cli.servers import (
    unreachable_from_mailchimp,
    warn_metrics_scope,
    warn_missing_settings,
)


def test_each_missing_setting_is_named_once_with_its_effect(
    capsys: pytest.CaptureFixture[str],
) -> None:
    warn_missing_settings(
        Settings(client_id="app", secret_key="k" * 32, public_url="https://plugins.example.com")
    )
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "warning: CS_MAILCHIMP_CLIENT_SECRET is not set: authorizations cannot finish",
        "warning: CS_MAILCHIMP_ADMIN_TOKEN is not set: the activity routes refuse every "
        "request unless a host auth plugin is installed",
    ]


def test_nothing_is_said_when_everything_is_set(capsys: pytest.CaptureFixture[str]) -> None:
    warn_missing_settings(
        Settings(
            client_id="a",
            client_secret="b",
            secret_key="k" * 32,
            admin_token="t",
            public_url="https://plugins.calendarspots.com",
        )
    )
    assert capsys.readouterr().err == ""


def test_a_local_public_url_is_flagged_only_against_the_real_mailchimp(
    capsys: pytest.CaptureFixture[str],
) -> None:
    full = {"client_id": "a", "client_secret": "b", "secret_key": "k" * 32, "admin_token": "t"}
    for public_url in ("http://127.0.0.1:8000", "http://localhost:8000", "http://10.1.2.3"):
        assert unreachable_from_mailchimp(Settings(public_url=public_url, **full))
    assert not unreachable_from_mailchimp(
        Settings(public_url="https://plugins.calendarspots.com", **full)
    )
    assert not unreachable_from_mailchimp(
        Settings(public_url="http://127.0.0.1:8000", oauth_base_url="http://127.0.0.1:8001", **full)
    )
    warn_missing_settings(Settings(public_url="http://127.0.0.1:8000", **full))
    assert "MailChimp cannot reach a local address" in capsys.readouterr().err


def test_serve_says_when_metrics_count_its_own_work_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    warn_metrics_scope()
    assert "PROMETHEUS_MULTIPROC_DIR is not set" in capsys.readouterr().err

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    warn_metrics_scope()
    assert capsys.readouterr().err == ""


def test_the_warnings_follow_the_operators_language(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from calendarspots_mailchimp.entrypoints.cli import common

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    common.use_language("fr")
    try:
        warn_missing_settings(Settings(client_id="app", public_url="http://127.0.0.1:8000"))
        warn_metrics_scope()
    finally:
        common.use_language("en")
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "warning: CS_MAILCHIMP_CLIENT_SECRET n'est pas défini\u00a0: les autorisations ne peuvent "
        "pas aboutir",
        "warning: CS_MAILCHIMP_SECRET_KEY n'est pas défini\u00a0: aucun jeton ne peut être "
        "enregistré",
        "warning: CS_MAILCHIMP_ADMIN_TOKEN n'est pas défini\u00a0: les routes d'activité refusent "
        "toute requête, sauf si un plugin d'authentification de l'hôte est installé",
        "warning: CS_MAILCHIMP_PUBLIC_URL vaut http://127.0.0.1:8000\u00a0: MailChimp ne peut pas "
        "joindre une adresse locale, il refusera donc le webhook et la redirection OAuth ne "
        "marchera que sur cette machine\u00a0; donnez l'adresse HTTPS publique du plugin",
        "warning: PROMETHEUS_MULTIPROC_DIR n'est pas défini\u00a0: /metrics ne compte que les "
        "synchronisations et les requêtes MailChimp de ce serveur, pas celles des workers ni de "
        "`nightly`",
    ]
