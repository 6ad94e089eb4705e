from __future__ import annotations

import logging

import pytest

from calendarspots_mailchimp.entrypoints.http.redaction import RedactWebhookSecrets, redact


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


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        ("/webhooks/mailchimp/salon/S3CR3T", "/webhooks/mailchimp/salon/***"),
        ("/webhooks/mailchimp/salon/S3CR3T/extra/x", "/webhooks/mailchimp/salon/***"),
        ("/webhooks/mailchimp/../mailchimp/salon/S3CR3T", "/webhooks/mailchimp/***"),
        ("/webhooks/mailchimp/salon/../salon/S3CR3T", "/webhooks/mailchimp/salon/***"),
        ("/x/../webhooks/mailchimp/salon/S3CR3T", "/x/../webhooks/mailchimp/salon/***"),
        ("/webhooks//mailchimp/salon/S3CR3T", "/webhooks/***"),
        ("//webhooks/mailchimp/salon/S3CR3T", "//webhooks/mailchimp/salon/***"),
        ("/WEBHOOKS/MailChimp/salon/S3CR3T", "/WEBHOOKS/MailChimp/salon/***"),
        ("/webhooks/mailchimp/%2E%2E/S3CR3T", "/webhooks/mailchimp/***"),
        ("/webhooks/S3CR3T", "/webhooks/***"),
        ("/webhooks/mailchimp/salon/S3CR3T?token=T0K", "/webhooks/mailchimp/salon/***?token=***"),
        ("/health?%74oken=T0K&a=1", "/health?%74oken=***&a=1"),
        (
            "/oauth/mailchimp/callback?STATE=S3CR3T&Code=T0K",
            "/oauth/mailchimp/callback?STATE=***&Code=***",
        ),
        ("/tenants/salon/activity?kind=sync.failed", "/tenants/salon/activity?kind=sync.failed"),
    ],
)
def test_secrets_are_masked_by_what_they_are_not_where_they_stand(target: str, shown: str) -> None:
    assert redact(target) == shown
    assert redact(f'127.0.0.1:5 - "GET {target} HTTP/1.1" 404') == (
        f'127.0.0.1:5 - "GET {shown} HTTP/1.1" 404'
    )


def test_control_characters_in_a_logged_line_are_escaped() -> None:
    assert redact("GET /tenants/sa\x1b[2Jlon\r\nforged") == "GET /tenants/sa\\x1b[2Jlon\\r\\nforged"
