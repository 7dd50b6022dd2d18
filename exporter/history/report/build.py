"""``execmetrics report``: gather the month's figures, render CSV or PDF, write it whole."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from exporter.atomic import check_writable, write_bytes
from exporter.config import Config
from exporter.history.report.data import ReportData, gather
from exporter.history.report.month import Month

FORMATS = ("pdf", "csv")


@dataclass(frozen=True)
class Built:
    data: ReportData
    body: bytes
    seconds: float


def render(data: ReportData, fmt: str) -> bytes:
    if fmt == "csv":
        from exporter.history.report.csvfile import render_csv

        return render_csv(data)
    from exporter.history.report.pdf import render_pdf  # WeasyPrint and matplotlib load only here

    return render_pdf(data)


def build(
    url: str, config: Config, month: Month, fmt: str, *, now: datetime | None = None
) -> Built:
    clock = time.perf_counter()
    data = gather(url, config, month, now=now)
    body = render(data, fmt)
    return Built(data, body, time.perf_counter() - clock)


def report(
    url: str,
    config: Config,
    month: Month,
    fmt: str,
    out: Path,
    *,
    now: datetime | None = None,
) -> Built:
    """Build the report of ``month`` and write it to ``out`` (nothing half-written)."""
    check_writable(out)
    built = build(url, config, month, fmt, now=now)
    write_bytes(out, built.body)
    return built
