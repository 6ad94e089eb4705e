"""The CLI's container, built lazily so `--help` works without any settings."""

from __future__ import annotations

from collections.abc import Callable

from calendarspots_mailchimp.entrypoints.container import Container, build_container

_factory: Callable[[], Container] = build_container
_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        _container = _factory()
    return _container


def use(factory: Callable[[], Container]) -> None:
    """Tests and the demo choose how the container is built."""
    global _factory, _container
    _factory = factory
    _container = None


def reset() -> None:
    global _container
    _container = None
