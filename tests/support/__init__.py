"""Shared test support: a world with the simulator, the plugin's app and a database."""
