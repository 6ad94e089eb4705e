"""Stopping a served app stops its background work: the webhook applier of a container that
outlives its server (the demo's, a test's) must not go on polling a database that is gone."""

from __future__ import annotations

import threading
from pathlib import Path

from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.container import build_container
from calendarspots_mailchimp.entrypoints.http.app import create_app
from calendarspots_mailchimp.entrypoints.http.server import RunningServer


def appliers() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "inbox-applier" and t.is_alive())


def test_stopping_the_server_stops_the_webhook_applier(tmp_path: Path) -> None:
    before = appliers()
    container = build_container(
        Settings(database_url=f"sqlite:///{tmp_path / 'lifecycle.db'}", secret_key="k" * 40)
    )

    with RunningServer(create_app(container)).start():
        assert appliers() == before + 1

    assert appliers() == before
