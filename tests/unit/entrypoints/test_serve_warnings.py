"""`serve` says at start-up which missing settings will make which routes fail."""

from __future__ import annotations

import pytest

from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.cli.servers import warn_missing_settings


def test_each_missing_setting_is_named_once_with_its_effect(
    capsys: pytest.CaptureFixture[str],
) -> None:
    warn_missing_settings(Settings(client_id="app", secret_key="k" * 32))
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "warning: CS_MAILCHIMP_CLIENT_SECRET is not set: authorizations cannot finish",
        "warning: CS_MAILCHIMP_ADMIN_TOKEN is not set: the activity routes refuse every "
        "request unless a host auth plugin is installed",
    ]


def test_nothing_is_said_when_everything_is_set(capsys: pytest.CaptureFixture[str]) -> None:
    warn_missing_settings(
        Settings(client_id="a", client_secret="b", secret_key="k" * 32, admin_token="t")
    )
    assert capsys.readouterr().err == ""
