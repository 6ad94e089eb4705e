"""Webhook events from MailChimp (R7, R8): parsed, stored first, decided by a table of small
per-event functions, applied once."""
