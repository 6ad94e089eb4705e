"""Run a function over a lazy iterable on a thread pool, yielding results as they complete."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def stream_map(
    work: Callable[[T], R], items: Iterable[T], workers: int, backlog: int | None = None
) -> Iterator[tuple[T, R]]:
    """Yields (item, work(item)) in completion order.

    At most `backlog` (default 2×workers) items are taken from `items` and not yet yielded, so
    a very long iterable streams in bounded memory. The first exception raised by `work` (or by
    `items`) cancels what is still queued and propagates; so does closing the generator.
    """
    limit = backlog if backlog is not None else 2 * workers
    source = iter(items)
    pending: dict[Future[R], T] = {}
    exhausted = False
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mailchimp")
    try:
        while True:
            while not exhausted and len(pending) < limit:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                # In the caller's context: log lines keep the sync's tenant and run ids.
                context = contextvars.copy_context()
                pending[executor.submit(context.run, work, item)] = item
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                item = pending.pop(future)
                yield item, future.result()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
