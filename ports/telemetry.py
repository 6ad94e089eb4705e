"""What the plugin counts and times (metrics), as a port: the core and the MailChimp adapter
tell it facts, an adapter turns them into Prometheus series. The default counts nothing."""

from __future__ import annotations

from typing import Protocol


class Telemetry(Protocol):
    def sync_finished(self, kind: str, outcome: str, seconds: float) -> None:
        """One sync run ended: its kind (initial, nightly, manual, full), its outcome
        (succeeded, partial, failed, held, error) and how long it took."""

    def mailchimp_request(self, method: str, endpoint: str, status: str) -> None:
        """One HTTP request to MailChimp was answered. `endpoint` is the path's template
        (`/lists/{list_id}/members/{subscriber_hash}`), never an id or an address; `status`
        the HTTP status, or `transport_error` when no answer came."""

    def mailchimp_throttled(self) -> None:
        """MailChimp throttled a request (429, or the bodiless 403): it is waited out."""

    def mailchimp_retried(self, reason: str) -> None:
        """A request is sent again after `server_error` (5xx) or `transport_error`."""

    def webhook_event(self, event_type: str, outcome: str) -> None:
        """MailChimp delivered a webhook event of a known type; `outcome` as the route answers
        it (applied, recorded, ignored, duplicate, refused, ...)."""


class NoTelemetry:
    """Counts nothing (a host without metrics, unit tests)."""

    def sync_finished(self, kind: str, outcome: str, seconds: float) -> None:
        return None

    def mailchimp_request(self, method: str, endpoint: str, status: str) -> None:
        return None

    def mailchimp_throttled(self) -> None:
        return None

    def mailchimp_retried(self, reason: str) -> None:
        return None

    def webhook_event(self, event_type: str, outcome: str) -> None:
        return None


NO_TELEMETRY = NoTelemetry()
