"""The two-minute soak (bench/soak.py): two replicas, 20 scrapers, PostgreSQL restarted
every 30 s. No failed scrape, no replica lost, one refresh per interval between both,
every group recovered after every restart."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[1] / "bench" / "soak.py"


@pytest.mark.slow
def test_two_minute_soak() -> None:
    spec = importlib.util.spec_from_file_location("soak", SOAK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module  # dataclasses look their module up while defining
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop("soak", None)
    report = module.soak(minutes=2, restart_every=30, scrapers=20)
    assert report.postgres_restarts >= 3, report
    assert report.scrapes > 1000, report
    assert report.failed_scrapes == 0, report
    assert report.exporter_restarts == 0, report
    # Never two refreshes per interval; the ticks that fall in an outage are lost.
    assert 0.6 <= report.refreshes_per_interval <= 1.05, report
    assert all(n == 0 for n in report.unrecovered.values()), report
    for group, r in report.recovery_seconds.items():
        assert r["n"] == report.postgres_restarts and not math.isnan(r["max"]), (group, report)
        assert r["max"] < 30, (group, report)
    assert report.tracebacks == 0, report
