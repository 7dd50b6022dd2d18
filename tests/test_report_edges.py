"""The board pack at its edges: a month before the first month with data is refused
(and skipped by the schedule), and a comparison month before it shows "no data".

The expected numbers come from the rows themselves: the first month by hand from the
earliest timestamp.
"""

from __future__ import annotations

import csv
import io
import logging
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exporter.config import Config, parse_config
from exporter.groups import GROUPS
from exporter.history.report.build import build
from exporter.history.report.figures import FIGURES
from exporter.history.report.jobs import ReportJobs
from exporter.history.report.month import Month
from exporter.history.report.pdf import context
from exporter.store import Store
from tests import support as S
from tests.cli_support import assert_one_line_error, cli_env, run_cli
from tests.conftest import require_tool
from tests.datasets import NOW, ZONE, march_2026
from tests.instants import ts


def _csv_rows(body: bytes) -> dict[str, dict[str, str]]:
    return {r["metric"]: r for r in csv.DictReader(io.StringIO(body.decode()))}


def _pdf_text(body: bytes, tmp_path: Path) -> str:
    pdftotext = require_tool("pdftotext")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(body)
    return subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _line(text: str, label: str) -> str:
    return next(ln for ln in text.splitlines() if ln.strip().startswith(label))


def _report_cli(db_url: str, tmp_path: Path, month: str, tz: str = ZONE) -> tuple[str, Path]:
    """``report --month`` refused: its one error line, and the folder of its --out."""
    conf = tmp_path / "c.yml"
    conf.write_text(f"reporting:\n  timezone: {tz}\n")
    out = tmp_path / f"out-{month}" / "r.pdf"
    out.parent.mkdir()
    proc = run_cli(
        "--config", str(conf), "report", "--month", month, "--out", str(out), env=cli_env(db_url)
    )
    return assert_one_line_error(proc, 2), out.parent


# --------------------------------------------------------------- before the first month


def test_cli_refuses_a_month_before_the_first_month_with_data(db_url: str, tmp_path: Path) -> None:
    # march_2026's earliest row is supplier 1, created 1 January 2025 00:00 (GMT).
    march_2026(db_url)
    line, folder = _report_cli(db_url, tmp_path, "1999-01")
    assert line == (
        "execmetrics: error: --month 1999-01 is before the first month with data, 2025-01"
    )
    assert list(folder.iterdir()) == []
    line, folder = _report_cli(db_url, tmp_path, "2024-12")
    assert list(folder.iterdir()) == []
    assert line.endswith("--month 2024-12 is before the first month with data, 2025-01")


def test_the_first_month_is_local_to_the_reporting_time_zone(db_url: str, tmp_path: Path) -> None:
    """The earliest row, 28 Feb 23:30Z, is 1 March 00:30 in Berlin: February is before
    the first month there, and is the first month in UTC."""
    cfg = S.config(tz="Europe/Berlin")
    S.migrate(db_url, cfg)
    S.load(
        db_url,
        suppliers=[S.supplier(1, ts("2025-02-28 23:30"))],
        couples=[S.couple(10, ts("2025-03-05 12:00"))],
        subscriptions=[S.sub(1, 1, 1000, ts("2025-03-02 00:00"))],
    )
    line, _ = _report_cli(db_url, tmp_path, "2025-02", tz="Europe/Berlin")
    assert line.endswith("--month 2025-02 is before the first month with data, 2025-03")
    utc = S.config(tz="UTC")
    S.migrate(db_url, utc)
    rows = _csv_rows(build(db_url, utc, Month(2025, 2), "csv", now=NOW).body)
    assert rows["registered_users_supplier"]["value"] == "1"


def test_cli_refuses_every_month_when_there_is_no_data(db_url: str, tmp_path: Path) -> None:
    S.migrate(db_url, S.config(tz=ZONE))
    line, folder = _report_cli(db_url, tmp_path, "2026-03")
    assert line.endswith(
        "--month 2026-03: there is no data yet (no supplier, couple or subscription)"
    )
    assert list(folder.iterdir()) == []


def _jobs_config(tmp_path: Path) -> Config:
    return parse_config(
        {
            "reporting": {"timezone": ZONE},
            "reports": {
                "enabled": True,
                "directory": str(tmp_path / "reports"),
                "monthly_time": "07:00",
                "retries": 2,
                "retry_backoff_seconds": 0.01,
            },
        }
    )


def test_a_scheduled_month_before_the_data_is_skipped_with_a_log_line(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    march_2026(db_url)  # the first month with data is January 2025
    cfg = _jobs_config(tmp_path)
    store = Store(tuple(g.name for g in GROUPS))
    jobs = ReportJobs(db_url, cfg, store)
    first_of_january = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)  # December 2024 has ended
    with caplog.at_level(logging.INFO, logger="execmetrics.reports"):
        assert jobs.monthly(now=first_of_january) == []
        assert jobs.catch_up(now=first_of_january) == []
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert (
        skipped
        == [
            "board report 2024-12 skipped: --month 2024-12 is before the first month with data, "
            "2025-01"
        ]
        * 2
    )
    assert not any(r.levelno >= logging.WARNING for r in caplog.records)
    assert store.current.reports.failures == {}
    assert not (tmp_path / "reports").exists() or list((tmp_path / "reports").iterdir()) == []
    # The first month itself is built.
    first_of_february = datetime(2025, 2, 1, 8, 0, tzinfo=UTC)
    paths = jobs.monthly(now=first_of_february)
    assert [p.name for p in paths] == ["monthly-2025-01.pdf", "monthly-2025-01.csv"]


# --------------------------------------------------------- comparisons before the data


def test_comparison_months_before_the_data_have_no_data(db_url: str, tmp_path: Path) -> None:
    cfg = march_2026(db_url)
    # January 2025, the first month: neither December 2024 nor January 2024 has data.
    january = build(db_url, cfg, Month(2025, 1), "csv", now=NOW)
    rows = _csv_rows(january.body)
    for f in FIGURES:
        r = rows[f.key]
        for column in (
            "previous_month",
            "year_ago",
            "change_vs_previous_month",
            "change_vs_year_ago",
        ):
            assert r[column] == "", (f.key, column, r[column])
    # By hand at 1 Feb 2025 00:00: suppliers 1 and 4 exist (created 1 and 20 January),
    # subscription 1 (29.99) is live and subscription 4 starts at that very instant (20.00).
    assert rows["mrr"]["value"] == "49.99"
    assert rows["registered_users_supplier"]["value"] == "2"
    view = context(january.data)
    assert {r["verdict"] for r in view["rows"]} == {"none"}
    assert {r["verdict_year"] for r in view["rows"]} == {"none"}

    text = _pdf_text(build(db_url, cfg, Month(2025, 1), "pdf", now=NOW).body, tmp_path)
    mrr = _line(text, "MRR ")
    assert mrr.split()[1:] == ["£49.99", "no", "data", "no", "data", "no", "data", "no", "data"]
    table = text.split("Figure", 1)[1].split("Changes in", 1)[0]
    for f in FIGURES:  # every comparison cell of every line, never a zero
        line = next(ln for ln in table.splitlines() if ln.strip().startswith(f.label + "  "))
        assert line.split()[-8:] == ["no", "data"] * 4, line
    assert "no data” a comparison month before" in " ".join(text.split()).replace('"', "”")

    # June 2025: May 2025 has data, June 2024 does not.
    june = _csv_rows(build(db_url, cfg, Month(2025, 6), "csv", now=NOW).body)
    assert june["mrr"]["previous_month"] != "" and june["mrr"]["year_ago"] == ""
    assert june["mrr"]["change_vs_previous_month"] != ""
    assert june["mrr"]["change_vs_year_ago"] == ""
