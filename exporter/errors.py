"""The few typed errors the edges translate into one line and an exit code."""

from __future__ import annotations


class ExecMetricsError(Exception):
    """Base: its message is the one line a user sees."""

    exit_code = 1


class ConfigError(ExecMetricsError):
    """A config file, a setting or a command-line argument is wrong."""

    exit_code = 2


class DatabaseError(ExecMetricsError):
    """The database is down, refuses us, or a statement failed."""

    exit_code = 3


class SchemaError(ExecMetricsError):
    """Source tables are missing or the exporter's schema is not migrated."""

    exit_code = 4


class ServiceError(ExecMetricsError):
    """Another service the exporter talks to (Grafana, Prometheus, an SMTP server, a
    webhook) is unreachable or refuses the request."""

    exit_code = 5
