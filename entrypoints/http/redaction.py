"""Secrets out of the access log, by what each part of a request *is*, not where it stands.

uvicorn's access log prints each request's path and query. Two things in them are secrets:
- the webhook route's `{secret}` parameter (`/webhooks/mailchimp/{tenant_id}/{secret}`): on a
  path under `/webhooks/`, everything after the tenant id is masked, so a path with `..`,
  doubled slashes or extra segments (which the route does not match, but which may still carry
  a secret someone pasted) never shows it; when the segments do not stand where the route
  puts them, everything after `/webhooks/` is masked;
- query parameters named like a credential (`code`, `state`, and any name holding token,
  secret, password, key or auth), recognised after percent-decoding their name.
Control characters in what is logged are escaped (core/validation.py `printable`).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

from calendarspots_mailchimp.core.validation import is_tenant_id, printable

MASK = "***"
_SECRET_NAME = re.compile(
    r"^(?:code|state|[\w.-]*(?:token|secret|password|passwd|key|auth)[\w.-]*)$", re.IGNORECASE
)
# Anything in a free-text message that looks like a request target under /webhooks/.
_TARGET = re.compile(r"[^\s\"']*/webhooks/[^\s\"']*", re.IGNORECASE)
_QUERY = re.compile(r"\?[^\s\"']*")


def mask_path(path: str) -> str:
    """The path with the webhook secret masked, whatever surrounds it."""
    segments = path.split("/")
    lowered = [segment.lower() for segment in segments]
    if "webhooks" not in lowered:
        return path
    at = lowered.index("webhooks") + 1
    rest = segments[at:]
    kept = []
    if rest and rest[0].lower() == "mailchimp":
        kept.append(rest[0])
        if len(rest) > 1 and is_tenant_id(unquote_plus(rest[1])):
            kept.append(rest[1])
    tail = [MASK] if len(rest) > len(kept) else []
    return "/".join(segments[:at] + kept + tail)


def mask_query(query: str) -> str:
    """`a=1&token=x` -> `a=1&token=***`, by each parameter's decoded name."""
    parts = []
    for part in query.split("&"):
        name, equals, _ = part.partition("=")
        if equals and _SECRET_NAME.match(unquote_plus(name).strip()):
            part = f"{name}={MASK}"
        parts.append(part)
    return "&".join(parts)


def mask_target(target: str) -> str:
    """A request target (path and query) with its secrets masked."""
    path, question, query = target.partition("?")
    return mask_path(path) + (question + mask_query(query) if question else "")


def redact(text: str) -> str:
    """Every request target in a log message, masked; control characters escaped."""
    text = _TARGET.sub(lambda m: mask_target(m.group(0)), text)
    text = _QUERY.sub(lambda m: "?" + mask_query(m.group(0)[1:]), text)
    return printable(text)


class RedactWebhookSecrets(logging.Filter):
    """On uvicorn's access logger: masks before any handler sees the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact_access_log() -> None:
    """Installed on uvicorn's access logger (kept by its dictConfig, which only adds)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactWebhookSecrets) for f in logger.filters):
        logger.addFilter(RedactWebhookSecrets())
