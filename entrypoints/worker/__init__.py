"""The Celery worker: the nightly fan-out as one task per tenant (`cs-mailchimp worker`)."""
