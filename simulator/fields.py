"""`fields` / `exclude_fields` query parameters: dot-notation filters on the JSON answer."""

from __future__ import annotations

from typing import Any

__all__ = ["apply_field_filters"]

Tree = dict[str, "Tree | None"]


def _parse(spec: str) -> Tree:
    tree: Tree = {}
    for raw in spec.split(","):
        parts = [p for p in raw.strip().split(".") if p]
        node = tree
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = None
            else:
                child = node.get(part, {})
                if child is None:  # a shorter path already asked for the whole value
                    break
                node[part] = child
                node = child
    return tree


def _keep(value: Any, tree: Tree) -> Any:
    if isinstance(value, list):
        return [_keep(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    kept: dict[str, Any] = {}
    for key, sub in tree.items():
        if key in value:
            kept[key] = value[key] if sub is None else _keep(value[key], sub)
    return kept


def _drop(value: Any, tree: Tree) -> Any:
    if isinstance(value, list):
        return [_drop(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key not in tree:
            result[key] = item
            continue
        sub = tree[key]
        if sub is not None:
            result[key] = _drop(item, sub)
    return result


def apply_field_filters(body: Any, fields: str | None, exclude_fields: str | None) -> Any:
    """Keep only `fields` (if given), then remove `exclude_fields` (if given)."""
    if fields:
        body = _keep(body, _parse(fields))
    if exclude_fields:
        body = _drop(body, _parse(exclude_fields))
    return body
