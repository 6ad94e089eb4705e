"""Registers Fernet token encryption as the built-in `csmc_secret_box`."""

from __future__ import annotations

from calendarspots_mailchimp.adapters.security.secret_box import (
    FernetSecretBox,
    MissingKeySecretBox,
)
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.ports.hookspecs import hookimpl
from calendarspots_mailchimp.ports.security import SecretBox


@hookimpl(trylast=True)
def csmc_secret_box(settings: Settings) -> SecretBox:
    if not settings.secret_key:
        return MissingKeySecretBox()
    return FernetSecretBox(settings.secret_key)
