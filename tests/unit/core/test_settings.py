from __future__ import annotations

import pytest

from calendarspots_mailchimp.core.errors import ConfigurationError
from calendarspots_mailchimp.core.settings import load_settings


def test_defaults_match_the_contract() -> None:
    settings = load_settings({}, None)
    assert settings.database_url == "sqlite:///calendarspots-mailchimp.db"
    assert settings.oauth_base_url == "https://login.mailchimp.com"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.list_name == "calendarspots"
    assert (settings.secret_key, settings.admin_token, settings.client_id) == ("", "", "")


def test_environment_is_read_and_a_trailing_slash_never_doubles_the_redirect_uri() -> None:
    settings = load_settings(
        {
            "CS_MAILCHIMP_PUBLIC_URL": "https://plugin.example/",
            "CS_MAILCHIMP_SECRET_KEY": "short",
            "CS_MAILCHIMP_LIST_NAME": "infolettre",
            "CS_MAILCHIMP_MAX_CONNECTIONS": "5",
        },
        None,
    )
    assert settings.redirect_uri == "https://plugin.example/oauth/mailchimp/callback"
    assert settings.secret_key == "short"  # any non-empty key is accepted
    assert (settings.list_name, settings.max_connections) == ("infolettre", 5)
    assert "short" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("CS_MAILCHIMP_PUBLIC_URL", "plugin.example", "must be an http"),
        ("CS_MAILCHIMP_DATABASE_URL", "calendarspots.db", "SQLAlchemy URL"),
        ("CS_MAILCHIMP_MAX_CONNECTIONS", "11", "between 1 and 10"),
        ("CS_MAILCHIMP_HTTP_TIMEOUT", "soon", "must be a number"),
        ("CS_MAILCHIMP_LIST_NAME", "  ", "must not be empty"),
        ("CS_MAILCHIMP_LIMITER_URL", "http://127.0.0.1:6379", "must be a Redis URL"),
    ],
)
def test_bad_settings_are_refused_with_their_name(name: str, value: str, words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        load_settings({name: value}, None)


def test_dotenv_is_read_and_the_environment_wins(tmp_path: object) -> None:
    from pathlib import Path

    env_file = Path(str(tmp_path)) / ".env"
    env_file.write_text('CS_MAILCHIMP_LIST_NAME="from-file"\nCS_MAILCHIMP_CLIENT_ID=file-id\n')
    settings = load_settings({"CS_MAILCHIMP_CLIENT_ID": "env-id"}, env_file)
    assert (settings.list_name, settings.client_id) == ("from-file", "env-id")


def test_passwords_in_urls_are_masked_in_the_repr() -> None:
    settings = load_settings(
        {
            "CS_MAILCHIMP_DATABASE_URL": "postgresql://app:pg-pass@db/cs",
            "CS_MAILCHIMP_LIMITER_URL": "redis://:redis-pass@cache:6379/2",
        },
        None,
    )
    assert settings.limiter_url == "redis://:redis-pass@cache:6379/2"
    shown = repr(settings)
    assert "pg-pass" not in shown and "redis-pass" not in shown
    assert "postgresql://app:***@db/cs" in shown and "redis://:***@cache:6379/2" in shown
