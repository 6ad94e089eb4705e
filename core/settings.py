"""Settings, read from CS_MAILCHIMP_* environment variables (the README's table), validated."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from calendarspots_mailchimp.core.errors import ConfigurationError
from calendarspots_mailchimp.core.model import DEFAULT_LIST_NAME

PREFIX = "CS_MAILCHIMP_"
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///calendarspots-mailchimp.db"
    oauth_base_url: str = "https://login.mailchimp.com"
    client_id: str = ""
    client_secret: str = ""
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    list_name: str = DEFAULT_LIST_NAME
    admin_token: str = ""
    # Beyond SPEC's table (names are ours, stable from here on):
    night_start_hour: int = 1  # tenant-local window for the nightly sync, [start, end)
    night_end_hour: int = 5
    http_timeout: float = 30.0
    max_connections: int = 10  # per MailChimp account (docs/mailchimp-api.md §7.1)
    max_retries: int = 6  # for 5xx, timeouts and dropped connections
    # A throttle (429) is waited out for up to this many seconds per request.
    throttle_budget: float = 600.0
    # A sync run stops cleanly between batches once it has run this many seconds; the tenant
    # stays due, and the next run sends the rest.
    run_deadline: float = 10800.0
    # Redis shared by a fleet's processes for the per-account connection limit ("" = none).
    limiter_url: str = ""
    # The mass-change guard: a sync that would update more than this share of the audience's
    # members, or archive more than that share, is held until `sync TENANT --confirm`.
    guard_update_percent: float = 20.0
    guard_archive_percent: float = 5.0
    # Log lines: "text" (Python's and the servers' default) or "json" (one object a line).
    log_format: str = "text"

    def __repr__(self) -> str:  # never print secrets
        hidden = {"client_secret", "secret_key", "admin_token"}
        shown = ", ".join(
            f"{k}={'***' if k in hidden and v else _without_password(v)!r}"
            for k, v in self.__dict__.items()
        )
        return f"Settings({shown})"

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/oauth/mailchimp/callback"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _bad(message: str, rule: str, name: str, value: object = None) -> ConfigurationError:
    """A wrong setting: its English message, and code `setting.<rule>` with the setting's name
    and the value given (a URL's password masked) for the entry points to word."""
    facts = {"name": name} if value is None else {"name": name, "value": value}
    return ConfigurationError(message, code=f"setting.{rule}", facts=facts)


def _without_password(value: object) -> object:
    """A URL's password masked (database and limiter URLs may carry one)."""
    if not isinstance(value, str) or "://" not in value:
        return value
    parts = urlsplit(value)
    if not parts.password:
        return value
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


_FIELDS = {
    "DATABASE_URL": "database_url",
    "OAUTH_BASE_URL": "oauth_base_url",
    "CLIENT_ID": "client_id",
    "CLIENT_SECRET": "client_secret",
    "PUBLIC_URL": "public_url",
    "SECRET_KEY": "secret_key",
    "LIST_NAME": "list_name",
    "ADMIN_TOKEN": "admin_token",
    "NIGHT_START_HOUR": "night_start_hour",
    "NIGHT_END_HOUR": "night_end_hour",
    "HTTP_TIMEOUT": "http_timeout",
    "MAX_CONNECTIONS": "max_connections",
    "MAX_RETRIES": "max_retries",
    "THROTTLE_BUDGET": "throttle_budget",
    "RUN_DEADLINE": "run_deadline",
    "LIMITER_URL": "limiter_url",
    "GUARD_UPDATE_PERCENT": "guard_update_percent",
    "GUARD_ARCHIVE_PERCENT": "guard_archive_percent",
    "LOG_FORMAT": "log_format",
}


def read_dotenv(path: Path) -> dict[str, str]:
    """A minimal .env reader: KEY=VALUE lines, # comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if not text or text.startswith("#") or "=" not in text:
            continue
        key, _, value = text.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    """Environment wins over the .env file; unknown CS_MAILCHIMP_* names are refused."""
    env: dict[str, str] = {}
    if dotenv is not None:
        env.update(read_dotenv(dotenv))
    env.update(os.environ if environ is None else environ)
    defaults = Settings()
    values: dict[str, object] = {}
    for name, raw in env.items():
        if not name.startswith(PREFIX) or name.startswith(PREFIX + "TEST_"):
            continue
        key = name.removeprefix(PREFIX)
        attr = _FIELDS.get(key)
        if attr is None:
            continue
        default = getattr(defaults, attr)
        try:
            if isinstance(default, bool):
                values[attr] = raw.strip().lower() in {"1", "true", "yes", "on"}
            elif isinstance(default, int):
                values[attr] = int(raw)
            elif isinstance(default, float):
                values[attr] = float(raw)
            else:
                values[attr] = raw.strip()
        except ValueError as exc:
            raise _bad(f"{name} must be a number, got {raw!r}", "number", name, raw) from exc
    settings = replace(defaults, **values)  # type: ignore[arg-type]
    # MailChimp compares redirect URIs exactly: no doubled slash from a trailing one.
    settings = replace(
        settings,
        log_format=settings.log_format.lower(),
        public_url=settings.public_url.rstrip("/"),
        oauth_base_url=settings.oauth_base_url.rstrip("/"),
    )
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    for name, url in (
        ("CS_MAILCHIMP_OAUTH_BASE_URL", settings.oauth_base_url),
        ("CS_MAILCHIMP_PUBLIC_URL", settings.public_url),
    ):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _bad(f"{name} must be an http(s) URL, got {url!r}", "url", name, url)
    if "://" not in settings.database_url:
        shown = _without_password(settings.database_url)
        message = f"CS_MAILCHIMP_DATABASE_URL must be a SQLAlchemy URL, got {shown!r}"
        raise _bad(message, "database_url", "CS_MAILCHIMP_DATABASE_URL", shown)
    if settings.limiter_url and urlsplit(settings.limiter_url).scheme not in (
        "redis",
        "rediss",
        "unix",
    ):
        shown = _without_password(settings.limiter_url)
        message = (
            "CS_MAILCHIMP_LIMITER_URL must be a Redis URL (redis://, rediss:// or unix://), "
            f"got {shown!r}"
        )
        raise _bad(message, "limiter_url", "CS_MAILCHIMP_LIMITER_URL", shown)
    if settings.log_format not in LOG_FORMATS:
        choices = ", ".join(LOG_FORMATS)
        message = f"CS_MAILCHIMP_LOG_FORMAT must be one of {choices}, got {settings.log_format!r}"
        raise _bad(message, "log_format", "CS_MAILCHIMP_LOG_FORMAT", settings.log_format)
    if not settings.list_name.strip():
        raise _bad("CS_MAILCHIMP_LIST_NAME must not be empty", "empty", "CS_MAILCHIMP_LIST_NAME")
    if not 0 <= settings.night_start_hour < settings.night_end_hour <= 24:
        message = "CS_MAILCHIMP_NIGHT_START_HOUR/END_HOUR must satisfy 0 <= start < end <= 24"
        raise _bad(message, "night", "CS_MAILCHIMP_NIGHT_START_HOUR")
    for name, share in (
        ("CS_MAILCHIMP_GUARD_UPDATE_PERCENT", settings.guard_update_percent),
        ("CS_MAILCHIMP_GUARD_ARCHIVE_PERCENT", settings.guard_archive_percent),
    ):
        if not 0 < share <= 100:
            raise _bad(f"{name} must be more than 0 and at most 100", "percent", name)
    if not 1 <= settings.max_connections <= 10:
        message = "CS_MAILCHIMP_MAX_CONNECTIONS must be between 1 and 10"
        raise _bad(message, "max_connections", "CS_MAILCHIMP_MAX_CONNECTIONS")
    if not settings.run_deadline > 0:
        message = "CS_MAILCHIMP_RUN_DEADLINE must be a number of seconds above 0"
        raise _bad(message, "run_deadline", "CS_MAILCHIMP_RUN_DEADLINE")
