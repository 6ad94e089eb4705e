"""adapters/security."""
