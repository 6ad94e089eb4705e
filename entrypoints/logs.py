"""Log lines: as Python and its servers write them by default, or (CS_MAILCHIMP_LOG_FORMAT=json)
one JSON object per line, each line of a sync carrying its tenant and run (core.log_context).

Messages never hold a secret or a client's details: tokens, webhook secrets and addresses are
not written by the plugin's loggers, and the HTTP access log masks webhook secrets.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO

from calendarspots_mailchimp.core import log_context
from calendarspots_mailchimp.core.errors import CalendarspotsError
from calendarspots_mailchimp.core.settings import load_settings

# What every LogRecord has; anything else on a record came from `extra=` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(log_context.current())
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line and not key.startswith("_"):
                line[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class _JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours, so configuring twice replaces it instead of doubling every line."""


def use_json_logs(stream: IO[str] | None = None, level: int = logging.INFO) -> logging.Handler:
    """Every logger's lines, as JSON, to `stream` (stderr)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = _JsonHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic tells each of its plugins at INFO whenever the schema is checked: not news.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    return handler


def json_logs_wanted() -> bool:
    """The setting, read before the command runs; a setting that cannot be read leaves the
    logs as they are (the command then says what is wrong)."""
    try:
        return load_settings().log_format == "json"
    except CalendarspotsError:
        return False


def configure_logging() -> bool:
    """Called once by the console script; True when the lines are JSON."""
    if not json_logs_wanted():
        return False
    use_json_logs()
    return True
