from __future__ import annotations

import pytest

from calendarspots_mailchimp.adapters.mailchimp import plugin as mailchimp_plugin
from calendarspots_mailchimp.adapters.mailchimp.connector import HttpMailChimpConnector
from calendarspots_mailchimp.adapters.security import plugin as security_plugin
from calendarspots_mailchimp.adapters.security.secret_box import FernetSecretBox
from calendarspots_mailchimp.core.errors import ConfigurationError
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.ports.plugins import Hooks, make_plugin_manager


def hooks() -> Hooks:
    return Hooks(make_plugin_manager([mailchimp_plugin, security_plugin], load_entry_points=False))


def test_the_builtin_plugins_answer_their_hooks() -> None:
    settings = Settings(secret_key="k" * 32, client_id="cid")
    connector = hooks().mailchimp_connector(settings)
    assert isinstance(connector, HttpMailChimpConnector)
    connector.close()
    box = hooks().secret_box(settings)
    assert FernetSecretBox("k" * 32).decrypt(box.encrypt("t")) == "t"


def test_a_missing_key_only_fails_when_used() -> None:
    box = hooks().secret_box(Settings(secret_key=""))
    with pytest.raises(ConfigurationError, match="CS_MAILCHIMP_SECRET_KEY is not set"):
        box.encrypt("t")
