from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from calendarspots_mailchimp.adapters.mailchimp.streaming import stream_map


def test_every_item_comes_back_with_its_result() -> None:
    results = dict(stream_map(lambda n: n * n, range(50), workers=4))
    assert results == {n: n * n for n in range(50)}


def test_a_failure_propagates_and_cancels_queued_work() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def work(n: int) -> int:
        with lock:
            started.append(n)
        if n == 0:
            raise RuntimeError("boom")
        return n

    def items() -> Iterator[int]:
        yield from range(1000)

    with pytest.raises(RuntimeError, match="boom"):
        list(stream_map(work, items(), workers=1, backlog=3))
    assert len(started) < 1000


def test_an_error_from_the_source_propagates() -> None:
    def items() -> Iterator[int]:
        yield 1
        raise ValueError("bad batch")

    with pytest.raises(ValueError, match="bad batch"):
        list(stream_map(lambda n: n, items(), workers=2))
