"""A wrong setting is refused with a code and its facts: the English words stay those of the
message, and the operator reading French gets French (the setting's name kept)."""

from __future__ import annotations

import pytest

from calendarspots_mailchimp.core.errors import ConfigurationError
from calendarspots_mailchimp.core.settings import load_settings
from calendarspots_mailchimp.entrypoints.messages import error_text


@pytest.mark.parametrize(
    ("name", "value", "french"),
    [
        ("CS_MAILCHIMP_PUBLIC_URL", "plugin.example", "doit être une URL http(s)"),
        ("CS_MAILCHIMP_DATABASE_URL", "calendarspots.db", "doit être une URL SQLAlchemy"),
        ("CS_MAILCHIMP_MAX_CONNECTIONS", "11", "doit être entre 1 et 10"),
        ("CS_MAILCHIMP_HTTP_TIMEOUT", "soon", "doit être un nombre"),
        ("CS_MAILCHIMP_LIST_NAME", "  ", "ne doit pas être vide"),
        ("CS_MAILCHIMP_LIMITER_URL", "http://u:hunter2@127.0.0.1:6379", "doit être une URL Redis"),
        ("CS_MAILCHIMP_LOG_FORMAT", "xml", "doit valoir text ou json"),
        ("CS_MAILCHIMP_GUARD_UPDATE_PERCENT", "0", "doit être supérieur à 0 et au plus 100"),
        ("CS_MAILCHIMP_RUN_DEADLINE", "0", "nombre de secondes supérieur à 0"),
        ("CS_MAILCHIMP_NIGHT_START_HOUR", "30", "doivent respecter 0 <= début < fin <= 24"),
    ],
)
def test_a_wrong_setting_is_worded_in_english_and_french(
    name: str, value: str, french: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        load_settings({name: value}, None)
    exc = refused.value
    assert exc.code.startswith("setting.")
    assert error_text(exc, "en") == exc.message  # English as before
    said = error_text(exc, "fr")
    assert french in said and said != exc.message
    assert name.split("_HOUR")[0] in said
    assert "hunter2" not in said + exc.message


def test_a_urls_password_is_masked_in_its_error() -> None:
    with pytest.raises(ConfigurationError) as masked:
        load_settings({"CS_MAILCHIMP_LIMITER_URL": "http://me:hunter2@cache:6379"}, None)
    assert "hunter2" not in masked.value.message
    assert "hunter2" not in error_text(masked.value, "fr")
