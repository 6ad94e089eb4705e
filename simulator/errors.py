"""Problem documents, shaped like MailChimp's (docs/mailchimp-api.md §7.2)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.responses import Response

__all__ = [
    "ERROR_TYPE",
    "VALIDATION_DETAIL",
    "ApiError",
    "invalid_resource",
    "not_found",
    "problem_response",
]

# Current value of `type` per docs/mailchimp-api.md §7.2.
ERROR_TYPE = "https://mailchimp.com/developer/marketing/docs/errors/"
VALIDATION_DETAIL = (
    "The resource submitted could not be validated. "
    "For field-specific details, see the 'errors' array."
)


class ApiError(Exception):
    """Raised by handlers; rendered as application/problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def invalid_resource(detail: str, errors: list[dict[str, str]] | None = None) -> ApiError:
    return ApiError(400, "Invalid Resource", detail, errors)


def not_found() -> ApiError:
    return ApiError(404, "Resource Not Found", "The requested resource could not be found.")


def problem_response(error: ApiError) -> Response:
    body: dict[str, Any] = {
        "type": ERROR_TYPE,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "instance": str(uuid.uuid4()),
    }
    if error.errors is not None:
        body["errors"] = error.errors
    headers = {
        "Link": "<https://us1.api.mailchimp.com/schema/3.0/ProblemDetailDocument.json>; "
        'rel="describedBy"',
        "X-Request-Id": body["instance"],
        **error.headers,
    }
    return Response(
        json.dumps(body),
        status_code=error.status,
        headers=headers,
        media_type="application/problem+json; charset=utf-8",
    )
