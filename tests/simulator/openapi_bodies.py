"""Check a JSON request body against the requestBody schema of the MailChimp OpenAPI copy.

A small validator for the keywords that spec uses in request bodies: $ref, type, enum,
required, properties (unknown properties are errors unless additionalProperties allows them),
items, additionalProperties, maxLength, minimum, maximum. The spec is the project's own
subset of MailChimp's Marketing API document, tests/data/mailchimp-openapi-subset.json (its
README says where it comes from, what it keeps and how to regenerate it).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["SPEC_PATH", "load_spec", "validate_request"]

SPEC_PATH = Path(__file__).resolve().parents[1] / "data" / "mailchimp-openapi-subset.json"

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


@lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = json.load(handle)
    return spec


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
        seen += 1
        if seen > 50:
            raise ValueError("$ref cycle")
    return schema


def _type_ok(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES.get(kind, (object,)))


def _check(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> list[str]:
    schema = _resolve(spec, schema)
    problems: list[str] = []
    kind = schema.get("type")
    if kind is None and "properties" in schema:
        kind = "object"
    if isinstance(kind, str) and not _type_ok(value, kind):
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str) and "maxLength" in schema and len(value) > schema["maxLength"]:
        problems.append(f"{where}: longer than {schema['maxLength']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{where}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{where}: above {schema['maximum']}")
    if isinstance(value, dict):
        properties: dict[str, Any] = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}.{name}: required")
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in properties:
                problems.extend(_check(spec, properties[name], item, f"{where}.{name}"))
            elif extra is None or extra is False:
                problems.append(f"{where}.{name}: unknown property")
            # A schema under additionalProperties is not checked: this OAS conversion types
            # merge-field values as objects, while MailChimp takes strings (docs/mailchimp-api.md §3).
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems.extend(_check(spec, schema["items"], item, f"{where}[{index}]"))
    return problems


def validate_request(method: str, path_template: str, body: Any) -> list[str]:
    """Problems with `body` for `method path_template` ("/lists/{list_id}", with or without
    the "/3.0" prefix); an empty list means valid. Unknown operations raise KeyError."""
    spec = load_spec()
    path = path_template.removeprefix("/3.0") or "/"
    operation = spec["paths"][path][method.lower()]
    request_body = operation.get("requestBody")
    if request_body is None:
        return [] if body is None else [f"{method.upper()} {path} takes no body"]
    if body is None:
        return ["body: required"] if request_body.get("required") else []
    schema = request_body["content"]["application/json"]["schema"]
    return _check(spec, schema, body, "body")
