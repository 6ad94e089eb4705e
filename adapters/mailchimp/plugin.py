"""Registers the httpx MailChimp gateway as the built-in `csmc_mailchimp_connector`."""

from __future__ import annotations

from calendarspots_mailchimp.adapters.mailchimp.connector import HttpMailChimpConnector
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.ports.hookspecs import hookimpl


@hookimpl(trylast=True)
def csmc_mailchimp_connector(settings: Settings) -> HttpMailChimpConnector:
    return HttpMailChimpConnector(
        oauth_base_url=settings.oauth_base_url,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        timeout=settings.http_timeout,
        max_connections=settings.max_connections,
        max_retries=settings.max_retries,
        limiter_url=settings.limiter_url,
        throttle_budget=settings.throttle_budget,
    )
