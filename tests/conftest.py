"""Fixtures shared by the end-to-end and BDD suites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.databases import fresh_database
from support.harness import World, make_world


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = make_world(database_url)
    try:
        yield w
    finally:
        w.close()
