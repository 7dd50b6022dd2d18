"""Serving: the scheduler, the store's collector and exposition, and the HTTP server."""
