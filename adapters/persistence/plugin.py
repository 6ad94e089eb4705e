"""pluggy hooks: the built-in persistence and embedded client directory, answering last so a
host platform's own implementations win."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from calendarspots_mailchimp.adapters.persistence.client_directory import EmbeddedClientDirectory
from calendarspots_mailchimp.adapters.persistence.database import Database, PortOutOfRange
from calendarspots_mailchimp.core.errors import ConfigurationError
from calendarspots_mailchimp.core.model import ActivityEntry
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.ports.client_directory import ClientDirectory
from calendarspots_mailchimp.ports.hookspecs import hookimpl
from calendarspots_mailchimp.ports.repositories import ClientStore, UnitOfWorkFactory

_databases: dict[str, Database] = {}
_directories: dict[str, EmbeddedClientDirectory] = {}
_lock = threading.Lock()


def database_for(url: str) -> Database:
    """One Database per URL in this process, its schema migrated on first use. A URL that
    names no database we can open is a ConfigurationError that says so (password hidden); a
    failing migration is not, and keeps its own error."""
    with _lock:
        database = _databases.get(url)
        if database is None:
            try:
                database = Database(url)
            except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
                # ImportError: a dialect SQLAlchemy knows whose driver is not installed;
                # ValueError: a port that is not a number from 1 to 65535.
                raise _unusable(url, exc) from exc
            try:
                with database.engine.connect():
                    pass
            except DBAPIError as exc:
                database.dispose()
                raise _unusable(url, exc) from exc
            _databases[url] = database
    database.ensure_schema()
    return database


def _unusable(url: str, exc: Exception) -> ConfigurationError:
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    # The reason as a code and facts too (entrypoints/messages.py words it); the driver's own
    # words (`error`) are the driver's language.
    why: dict[str, object] = {"code": "database.driver", "facts": {"error": reason}}
    if isinstance(exc, ValueError) and "invalid literal for int()" in reason:
        reason = "the port is not a number"
        why = {"code": "database.port_nan", "facts": {}}
    elif isinstance(exc, PortOutOfRange):
        why = {"code": "database.port_range", "facts": {"port": exc.port}}
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # Not shown: a URL that cannot be parsed may hold a password we cannot tell apart.
        return ConfigurationError(
            f"CS_MAILCHIMP_DATABASE_URL cannot be used ({reason})",
            code="database.url",
            facts={"why": why},
        )
    return ConfigurationError(
        f"CS_MAILCHIMP_DATABASE_URL: the database {shown} cannot be opened ({reason})",
        code="database.url_shown",
        facts={"url": shown, "why": why},
    )


def directory_for(url: str) -> EmbeddedClientDirectory:
    database = database_for(url)
    with _lock:
        directory = _directories.get(url)
        if directory is None:
            directory = _directories[url] = EmbeddedClientDirectory(database)
    return directory


def forget(url: str) -> None:
    """Close and drop the cached engine for one URL (a test database about to be dropped)."""
    with _lock:
        database = _databases.pop(url, None)
        _directories.pop(url, None)
    if database is not None:
        database.dispose()


def dispose_all() -> None:
    """Close every cached engine (tests, and processes that fork after using the database)."""
    with _lock:
        for database in _databases.values():
            database.dispose()
        _databases.clear()
        _directories.clear()


@hookimpl(trylast=True)
def csmc_unit_of_work_factory(
    settings: Settings, published: Callable[[ActivityEntry], None]
) -> UnitOfWorkFactory:
    return database_for(settings.database_url).unit_of_work_factory(published)


@hookimpl(trylast=True)
def csmc_client_store(settings: Settings) -> ClientStore:
    return directory_for(settings.database_url)


@hookimpl(trylast=True)
def csmc_client_directory(settings: Settings) -> ClientDirectory:
    return directory_for(settings.database_url)
