"""Grafana over its HTTP API: pushing boards and datasources, and snapshots."""
