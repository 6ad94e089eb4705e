"""One way to wait for something that happens on another thread or process."""

from __future__ import annotations

import time
from collections.abc import Callable


def eventually(check: Callable[[], bool], timeout: float = 20.0, every: float = 0.02) -> bool:
    """True as soon as `check()` is; False if it still is not after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Like eventually, but fails saying what did not happen."""
    if not eventually(check, timeout, every=0.05):
        raise AssertionError(f"timed out waiting for {what}")
