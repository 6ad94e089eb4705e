from __future__ import annotations

import pytest

from calendarspots_mailchimp.adapters.security import plugin
from calendarspots_mailchimp.adapters.security.secret_box import FernetSecretBox
from calendarspots_mailchimp.core.errors import ConfigurationError
from calendarspots_mailchimp.core.settings import Settings

KEY = "a-long-enough-operator-secret"


def test_round_trip_and_fresh_ciphertext_each_time() -> None:
    box = FernetSecretBox(KEY)
    first, second = box.encrypt("token-123"), box.encrypt("token-123")
    assert first != second
    assert b"token-123" not in first
    assert box.decrypt(first) == box.decrypt(second) == "token-123"


def test_the_same_key_opens_another_instances_box() -> None:
    assert FernetSecretBox(KEY).decrypt(FernetSecretBox(KEY).encrypt("é-token")) == "é-token"


def test_a_different_key_cannot_open_the_box() -> None:
    sealed = FernetSecretBox(KEY).encrypt("token")
    with pytest.raises(
        ConfigurationError, match="cannot be decrypted with CS_MAILCHIMP_SECRET_KEY"
    ):
        FernetSecretBox(KEY + "x").decrypt(sealed)


def test_tampered_ciphertext_is_refused() -> None:
    box = FernetSecretBox(KEY)
    sealed = bytearray(box.encrypt("token"))
    sealed[-5] = ord("A") if sealed[-5] != ord("A") else ord("B")
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        box.decrypt(bytes(sealed))


def test_repr_does_not_show_the_key() -> None:
    assert KEY not in repr(FernetSecretBox(KEY))


def test_plugin_builds_a_working_box_from_the_setting() -> None:
    box = plugin.csmc_secret_box(settings=Settings(secret_key=KEY))
    assert FernetSecretBox(KEY).decrypt(box.encrypt("t")) == "t"


def test_plugin_without_key_fails_only_when_a_token_is_touched() -> None:
    box = plugin.csmc_secret_box(settings=Settings(secret_key=""))
    message = "CS_MAILCHIMP_SECRET_KEY is not set: refusing to store MailChimp tokens"
    with pytest.raises(ConfigurationError, match=message):
        box.encrypt("token")
    with pytest.raises(ConfigurationError, match=message):
        box.decrypt(b"anything")


def test_empty_key_is_refused_by_the_box_itself() -> None:
    with pytest.raises(ConfigurationError, match="is not set"):
        FernetSecretBox("")
