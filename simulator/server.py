"""Serve a Simulator with uvicorn in a background thread (tests, demo, benchmarks)."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn

from .simulator import Simulator

__all__ = ["RunningSimulator", "serve_in_thread"]


class RunningSimulator:
    def __init__(
        self, sim: Simulator, server: uvicorn.Server, thread: threading.Thread, url: str
    ) -> None:
        self.sim = sim
        self.url = url
        self._server = server
        self._thread = thread

    def request_stop(self) -> None:
        """Asks uvicorn to stop (it looks ten times a second); stop() also waits for it."""
        self._server.should_exit = True

    def stop(self) -> None:
        self.request_stop()
        self._thread.join(timeout=10)

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_in_thread(
    sim: Simulator, host: str = "127.0.0.1", port: int = 0, *, startup_timeout: float = 10.0
) -> RunningSimulator:
    """Start uvicorn on host:port (0 = any free port) and return once it accepts requests."""
    config = uvicorn.Config(
        sim.app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="sim-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the simulator could not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()
    return RunningSimulator(sim, server, thread, f"http://{host}:{bound[1]}")
