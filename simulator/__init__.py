"""A strict in-memory MailChimp double: OAuth2 login host + Marketing API v3 + control API."""

from __future__ import annotations

from .delivery import DEFAULT_RETRY_DELAYS, DeliveryRecord
from .faults import Fault
from .model import Account, SimList, subscriber_hash
from .server import RunningSimulator, serve_in_thread
from .simulator import Simulator, SimulatorError
from .stats import Stats

__all__ = [
    "DEFAULT_RETRY_DELAYS",
    "Account",
    "DeliveryRecord",
    "Fault",
    "RunningSimulator",
    "SimList",
    "Simulator",
    "SimulatorError",
    "Stats",
    "serve_in_thread",
    "subscriber_hash",
]
