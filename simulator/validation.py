"""Address and merge-value checks that MailChimp applies to member writes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .model import SimList

__all__ = [
    "MERGE_FIELDS_INVALID",
    "MergeProblem",
    "fake_or_invalid",
    "is_valid_syntax",
    "validate_merges",
]

# docs/mailchimp-api.md §3 (mc-magento2 #987)
MERGE_FIELDS_INVALID = "Your merge fields were invalid."
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
)
_BIRTHDAY = re.compile(r"^(\d{2})/(\d{2})$")
# ASSUMPTION: addresses under the reserved .invalid TLD (RFC 2606) stand for the addresses
# MailChimp rejects as fake; tests may add more through Simulator.fake_addresses.
_FAKE_TLDS = (".invalid",)

MergeProblem = tuple[str, str]  # (field, message)


def is_valid_syntax(email: str) -> bool:
    return bool(_EMAIL.match(email)) and ".." not in email


def fake_or_invalid(email: str, fake_addresses: set[str]) -> bool:
    lowered = email.lower()
    return (
        not is_valid_syntax(email)
        or lowered.endswith(_FAKE_TLDS)
        or lowered in {a.lower() for a in fake_addresses}
    )


def _birthday_ok(value: str) -> bool:
    match = _BIRTHDAY.match(value)
    if not match:
        return False
    month, day = int(match.group(1)), int(match.group(2))
    return 1 <= month <= 12 and 1 <= day <= 31


def _date_ok(value: str, date_format: str) -> bool:
    # ASSUMPTION: the API takes ISO dates and the field's display format.
    patterns = ["%Y-%m-%d"]
    pattern = date_format.replace("MM", "%m").replace("DD", "%d").replace("YYYY", "%Y")
    patterns.append(pattern)
    for candidate in patterns:
        try:
            datetime.strptime(value, candidate)
        except ValueError:
            continue
        return True
    return False


def _problem(kind: str, value: Any, options: Mapping[str, Any]) -> str | None:
    if value == "":
        return None
    if kind == "address":
        if isinstance(value, str):
            return None
        if not isinstance(value, dict):
            return "Data did not match any of the schemas described in anyOf."
        missing = [k for k in ("addr1", "city", "state", "zip") if not value.get(k)]
        return "Please enter a complete address" if missing else None
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return "Data did not match any of the schemas described in anyOf."
        try:
            float(value)
        except ValueError:
            return "Please enter a number"
        return None
    if not isinstance(value, str):
        return "Data did not match any of the schemas described in anyOf."
    if kind == "birthday":
        # "Please enter a month (01-12) and a day (01-31)" (docs/mailchimp-api.md §3, mc-magento2 #987);
        # MailChimp expects MM/DD regardless of the display format (docs/mailchimp-api.md §3).
        return None if _birthday_ok(value) else "Please enter a month (01-12) and a day (01-31)"
    if kind == "date":
        date_format = str(options.get("date_format", "MM/DD/YYYY"))
        return None if _date_ok(value, date_format) else "Please enter the date"
    return None


def validate_merges(
    sim_list: SimList,
    merges: Mapping[str, Any],
    *,
    is_new: bool,
    skip_merge_validation: bool,
) -> list[MergeProblem]:
    """Problems with known tags; unknown tags are ignored (ASSUMPTION, like MailChimp)."""
    problems: list[MergeProblem] = []
    for merge_field in sim_list.merge_fields.values():
        value = merges.get(merge_field.tag)
        if merge_field.required and value == "" and not skip_merge_validation:
            # ASSUMPTION: an empty value for a required field is refused like a missing one
            # (MailChimp's forms and API treat a blank required field as not given).
            problems.append((merge_field.tag, "Please enter a value"))
        elif merge_field.tag in merges:
            message = _problem(merge_field.type, merges[merge_field.tag], merge_field.options)
            if message is not None:
                problems.append((merge_field.tag, message))
        elif is_new and merge_field.required and not skip_merge_validation:
            # ASSUMPTION: wording of the required-field message.
            problems.append((merge_field.tag, "Please enter a value"))
    return problems
