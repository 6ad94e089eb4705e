"""CS_MAILCHIMP_LOG_FORMAT=json: one JSON object per log line, and every line of a sync carries
the tenant and the run, even those written by the MailChimp adapter's pool threads; no secret
and no client's address in any line."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.harness import World, sample_rows
from support.workers import COMMAND, world_env

from calendarspots_mailchimp.entrypoints.logs import JsonFormatter, use_json_logs


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The root logger's lines as JSON into a buffer, at DEBUG; put back as it was after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffer = io.StringIO()
    use_json_logs(buffer, logging.DEBUG)
    try:
        yield buffer
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


def parsed(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def secrets_of(world: World) -> list[str]:
    s = world.settings
    return [s.secret_key, s.client_secret, s.admin_token]


def test_every_line_of_a_sync_carries_its_tenant_and_run(
    world: World, json_lines: io.StringIO
) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(1200))  # three batches: the pool's threads log too
    world.mailchimp()
    assert world.authorize("salon")["ok"]
    world.import_rows("salon", sample_rows(600, start=5000))
    start = len(json_lines.getvalue())

    # Half the audience changes: past the mass-change guard, so confirmed.
    assert world.sync_json("salon", "--confirm")["status"] == "succeeded"

    lines = parsed(json_lines.getvalue()[start:])
    with world.uow() as uow:
        run_id = uow.scope("salon").runs.latest(1)[0].run_id
    ours = [line for line in lines if line["logger"].startswith("calendarspots_mailchimp.")]
    requests = [line for line in ours if line["logger"].endswith(".requester")]
    assert len(requests) >= 4  # lists, fields, webhooks, read-back, batches
    assert {line["message"] for line in ours} >= {"sync started", "sync ended: succeeded"}
    for line in ours:
        assert (line.get("tenant"), line.get("run")) == ("salon", run_id), line
        assert {"at", "level", "logger", "message"} <= set(line)
    ended = next(line for line in ours if line["message"].startswith("sync ended"))
    assert ended["outcome"] == "succeeded" and ended["kind"] == "manual"
    text = json_lines.getvalue()
    assert "@example.com" not in text
    assert not [s for s in secrets_of(world) if s in text]


def test_a_line_outside_a_sync_has_no_tenant() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "plain %s", ("words",), None)

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "plain words" and line["level"] == "WARNING"
    assert "tenant" not in line and "run" not in line


def test_the_console_script_writes_json_lines(world: World, tmp_path: Path) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(5))
    world.mailchimp()
    assert world.authorize("salon")["ok"]
    env = world_env(world, CS_MAILCHIMP_LOG_FORMAT="json")

    done = subprocess.run(
        [COMMAND, "sync", "salon"], cwd=tmp_path, env=env, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    lines = [x for x in parsed(done.stderr) if x["logger"].startswith("calendarspots_mailchimp")]
    assert [line["message"] for line in lines] == ["sync started", "sync ended: succeeded"]
    assert all(line["tenant"] == "salon" and isinstance(line["run"], int) for line in lines)
    assert not [x for x in secrets_of(world) if x in done.stderr]


def test_an_unknown_log_format_is_a_configuration_error(world: World, tmp_path: Path) -> None:
    env = {**os.environ, "CS_MAILCHIMP_LOG_FORMAT": "xml"}

    done = subprocess.run(
        [COMMAND, "tenants", "list"], cwd=tmp_path, env=env, capture_output=True, text=True
    )

    assert done.returncode == 4
    assert "CS_MAILCHIMP_LOG_FORMAT" in done.stderr


def test_serve_writes_json_lines_with_webhook_secrets_masked(tmp_path: Path) -> None:
    from e2e.test_processes import answers, running
    from support.databases import fresh_database
    from support.waiting import wait_for

    from calendarspots_mailchimp.entrypoints.http.server import free_port

    port = free_port()
    secret = "a-webhook-secret-that-must-not-be-logged"
    with fresh_database(tmp_path) as url:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CS_MAILCHIMP_")},
            "CS_MAILCHIMP_DATABASE_URL": url,
            "CS_MAILCHIMP_SECRET_KEY": "k" * 32,
            "CS_MAILCHIMP_LOG_FORMAT": "json",
        }
        log = tmp_path / "serve.log"
        upgrade = [COMMAND, "db", "upgrade"]
        assert subprocess.run(upgrade, cwd=tmp_path, env=env, check=False).returncode == 0
        with running(["serve", "--port", str(port)], env, tmp_path, log):
            wait_for(lambda: answers(f"http://127.0.0.1:{port}/health"), 60, "the server")
            webhook = f"http://127.0.0.1:{port}/webhooks/mailchimp/salon/{secret}"
            assert httpx.get(webhook).status_code == 404
            wait_for(lambda: "/webhooks/mailchimp/salon/" in log.read_text(), 10, "its log")
    text = log.read_text(encoding="utf-8")
    # The start-up warnings are plain stderr lines for a person; every log line is JSON.
    lines = [json.loads(x) for x in text.splitlines() if not x.startswith("warning: ")]
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "uvicorn.access"} <= loggers
    assert secret not in text
