from __future__ import annotations

import logging

from calendarspots_mailchimp.entrypoints.http.app import RedactWebhookSecrets, redact


def test_webhook_secrets_and_oauth_credentials_are_masked() -> None:
    line = '"GET /oauth/mailchimp/callback?state=abc.def&code=0123 HTTP/1.1" 200'
    assert redact(line) == '"GET /oauth/mailchimp/callback?state=***&code=*** HTTP/1.1" 200'
    assert (
        redact("POST /webhooks/mailchimp/salon/s3cr3t-value")
        == "POST /webhooks/mailchimp/salon/***"
    )
    assert redact("GET /tenants/salon/activity?limit=5") == "GET /tenants/salon/activity?limit=5"


def test_secret_looking_query_parameters_are_masked_whatever_the_route() -> None:
    line = "GET /tenants/salon/activity?limit=5&token=adm1n&X-Api-Key=k3y&kind=sync.failed"
    assert redact(line) == (
        "GET /tenants/salon/activity?limit=5&token=***&X-Api-Key=***&kind=sync.failed"
    )
    assert redact("GET /health?access_token=t0k&client_secret=s3c") == (
        "GET /health?access_token=***&client_secret=***"
    )


def test_the_access_log_filter_masks_formatted_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "POST", "/webhooks/mailchimp/salon/s3cr3t", "1.1", 200),
        None,
    )
    assert RedactWebhookSecrets().filter(record)
    assert "s3cr3t" not in record.getMessage()
