"""The domain core: tenants, clients, audiences, sync runs and activity. Standard library only."""
