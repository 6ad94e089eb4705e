"""adapters/mailchimp."""
