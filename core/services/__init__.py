"""core/services."""
