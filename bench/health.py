"""Reading the exporter's own health series out of a /metrics body, for the benchmarks."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def group_successes(body: str) -> dict[str, float]:
    """Each group's ``execmetrics_group_last_success_timestamp_seconds``."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(body):
        if family.name == "execmetrics_group_last_success_timestamp_seconds":
            for s in family.samples:
                found[s.labels["group"]] = float(s.value)
    return found
