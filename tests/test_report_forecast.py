"""The board pack's forecast page: MRR to the year's end with its median and 80% band and
the MRR target, on rows whose MRR grows by exactly £100 a month (so the median is known)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exporter.config import parse_config
from exporter.history.report.build import build
from exporter.history.report.month import Month
from tests.support import migrate
from tests.test_forecast import _months_of_growth
from tests.test_report import require_tool

OCTOBER = Month(2026, 10)
NOW = datetime(2026, 11, 5, 9, tzinfo=UTC)


def test_the_forecast_page_continues_a_line_to_the_year_end(db_url: str, tmp_path: Path) -> None:
    cfg = parse_config({"targets": {"mrr": 3000}})
    migrate(db_url, cfg)
    _months_of_growth(db_url, datetime(2026, 11, 1, 12, tzinfo=UTC), 18)
    built = build(db_url, cfg, OCTOBER, "pdf", now=NOW)
    ahead = built.data.outlook
    assert ahead is not None
    # 1800 at the end of October; one more supplier at £100 a month after that
    assert [m.title for m in ahead.months] == ["November 2026", "December 2026"]
    assert ahead.median == pytest.approx((1900.0, 2000.0))
    assert ahead.low[0] <= ahead.median[0] <= ahead.high[0]
    assert built.body.startswith(b"%PDF-")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(built.body)
    pdftotext = require_tool("pdftotext")  # the figures above are checked without it
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    page = next(p for p in text.split("\f") if "MRR forecast to the end of December 2026" in p)
    assert "An estimate, not a measurement" in page
    december = next(ln for ln in page.splitlines() if ln.strip().startswith("December 2026"))
    assert "£2,000" in december
    assert "MRR target £3,000" in page and "67%" in page


def test_too_little_history_has_no_forecast_page(db_url: str) -> None:
    cfg = parse_config({})
    migrate(db_url, cfg)
    _months_of_growth(db_url, datetime(2026, 11, 1, 12, tzinfo=UTC), 3)
    built = build(db_url, cfg, OCTOBER, "csv", now=NOW)
    assert built.data.outlook is None
