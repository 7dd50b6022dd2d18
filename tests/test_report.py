"""The board report: its figures are those of ``collect --at`` the local midnight that
ends the month, in CSV (same inputs, same bytes) and in the PDF read back as text.

The data set is small enough to check by hand, in Europe/London so that March ends at
23:00Z (summer time) and starts at 00:00Z.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.history.report.build import build
from exporter.history.report.figures import FIGURES, Point
from exporter.history.report.month import Month
from exporter.serve.service import collect
from exporter.snapshot import Sample, Snapshot, merge
from tests import support as S
from tests.cli_support import assert_one_line_error, cli_env, run_cli
from tests.conftest import require_tool
from tests.datasets import NOW, ZONE, march_2026

MARCH = Month(2026, 3)
END = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)  # 1 April 00:00 BST


def _evaluation_of_collect(url: str, cfg: S.Any, t: datetime) -> S.Any:
    """The samples ``collect --at t`` prints, as an evaluation the figures can read."""
    text = collect(url, cfg, t).exposition.decode()
    samples = [
        Sample(s.name, tuple(sorted(s.labels.items())), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]
    return merge([Snapshot("collect", t, t, 0.0, tuple(samples))])


def _csv_rows(body: bytes) -> dict[str, dict[str, str]]:
    return {r["metric"]: r for r in csv.DictReader(io.StringIO(body.decode()))}


def test_csv_figures_are_collect_at_the_month_end(db_url: str) -> None:
    cfg = march_2026(db_url)
    built = build(db_url, cfg, MARCH, "csv", now=NOW)
    assert built.data.at == END
    assert built.data.previous_at == datetime(2026, 3, 1, tzinfo=UTC)
    assert built.data.year_ago_at == datetime(2025, 3, 31, 23, 0, tzinfo=UTC)
    rows = _csv_rows(built.body)
    assert list(rows)[: len(FIGURES)] == [f.key for f in FIGURES]

    # By hand. End: 29.99 + 120/12 + 35 = 74.99; start: 29.99 + 50 + 20 = 99.99;
    # a year earlier: 29.99 + 20 = 49.99 (supplier 3 started in June 2025).
    assert rows["mrr"]["month"] == "2026-03"
    assert rows["mrr"]["value"] == "74.99"
    assert rows["mrr"]["previous_month"] == "99.99"
    assert rows["mrr"]["year_ago"] == "49.99"
    assert float(rows["mrr"]["change_vs_previous_month"]) == pytest.approx(-25 / 99.99, abs=1e-6)
    assert rows["mrr_movement_new"]["value"] == "10.00"
    assert rows["mrr_movement_expansion"]["value"] == "15.00"
    assert rows["mrr_movement_churn"]["value"] == "50.00"
    assert rows["customer_churn"]["value"] == "0.333333"
    assert rows["signups_month_supplier"]["value"] == "1"
    assert rows["signups_month_couple"]["value"] == "1"
    assert rows["signups_month_couple"]["year_ago"] == "1"
    assert rows["paying_suppliers"]["value"] == "3"

    # Every figure equals what collect --at prints for the same instants.
    for column, t in (
        ("value", END),
        ("previous_month", built.data.previous_at),
        ("year_ago", built.data.year_ago_at),
    ):
        ev = _evaluation_of_collect(db_url, cfg, t)
        for f in FIGURES:
            # Sign-ups and the daily average of DAU / MAU are not samples of one instant
            # (the average: tests/test_report_edges.py).
            if f.key.startswith("signups_month_") or f.key.endswith("_daily_average"):
                continue
            expected = f.read(Point(ev), cfg)
            cell = rows[f.key][column]
            if expected is None:
                assert cell == "", (f.key, column)
            else:
                assert float(cell) == pytest.approx(expected, abs=0.006), (f.key, column)

    assert build(db_url, cfg, MARCH, "csv", now=NOW).body == built.body


def test_pdf_reads_back_with_the_figures(db_url: str, tmp_path: Path) -> None:
    pdftotext = require_tool("pdftotext")
    cfg = march_2026(db_url)
    built = build(db_url, cfg, MARCH, "pdf", now=NOW)
    assert built.body.startswith(b"%PDF-")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(built.body)
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 5
    first = pages[0]
    assert "Board report — March 2026" in first
    mrr_line = next(ln for ln in first.splitlines() if ln.strip().startswith("MRR "))
    assert "£74.99" in mrr_line and "£99.99" in mrr_line and "£49.99" in mrr_line
    churn_line = next(ln for ln in first.splitlines() if "Customer churn" in ln)
    assert "33.3%" in churn_line
    assert f"page 1 of {len(pages)}" in first
    assert "01 Apr 2026 00:00 BST" in first
    movements = next(p for p in pages if "MRR bridge" in p)
    assert "0.00" in movements.split("Identity residual")[1].splitlines()[1] or (
        "0.00" in movements.split("Identity residual")[1].splitlines()[0]
    )
    for supplier_id, category in (("3", "florists"), ("4", "bands"), ("2", "venues")):
        assert re.search(rf"(^|\s){supplier_id}\s+{category}\s", movements, re.M), (
            supplier_id,
            category,
        )
    assert "execmetrics_mrr" in text  # the appendix of definitions


def test_scrape_path_does_not_load_the_report_libraries() -> None:
    code = (
        "import sys, exporter.cli, exporter.serve.service, exporter.serve.http, exporter.serve.scheduler;"
        "import exporter.history.report.build;"
        "bad = [m for m in ('weasyprint', 'matplotlib') if m in sys.modules];"
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("month", "needle"),
    [("2026-13", "not a month"), ("March", "not a month"), ("2999-01", "has not ended")],
)
def test_cli_bad_month(tmp_path: Path, month: str, needle: str) -> None:
    proc = run_cli("report", "--month", month, "--out", str(tmp_path / "r.pdf"))
    assert needle in assert_one_line_error(proc, 2)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--out", "r.txt"), "name a .pdf or a .csv file"),
        (("--out", "r"), "name a .pdf or a .csv file"),
        (("--format", "pdf", "--out", "r.txt"), "name a .pdf or a .csv file"),
        (("--format", "csv", "--out", "r.pdf"), "a .pdf file for --format csv"),
        (("--format", "pdf", "--out", "r.CSV"), "a .csv file for --format pdf"),
    ],
)
def test_cli_out_extension_is_the_format(
    db_url: str, tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    """A report never goes under another format's extension: refused before any work."""
    march_2026(db_url)
    rel = [str(tmp_path / a) if a.startswith("r") else a for a in args]
    proc = run_cli("report", "--month", "2026-03", *rel, env=cli_env(db_url))
    assert needle in assert_one_line_error(proc, 2)
    assert not list(tmp_path.iterdir())


def test_cli_unwritable_output(db_url: str, tmp_path: Path) -> None:
    proc = run_cli(
        "report", "--month", "2026-03", "--out", str(tmp_path / "no" / "r.csv"), env=cli_env(db_url)
    )
    assert "does not exist" in assert_one_line_error(proc, 2)


def test_cli_writes_csv(db_url: str, tmp_path: Path) -> None:
    march_2026(db_url)
    cfg_path = tmp_path / "c.yml"
    cfg_path.write_text(f"reporting:\n  timezone: {ZONE}\n")
    out = tmp_path / "march.csv"
    proc = run_cli(
        "--config",
        str(cfg_path),
        "report",
        "--month",
        "2026-03",
        "--out",
        str(out),
        env=cli_env(db_url),
    )
    assert proc.returncode == 0, proc.stderr
    assert _csv_rows(out.read_bytes())["mrr"]["value"] == "74.99"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_past_month_counts_no_row_stamped_since_as_in_the_future(db_url: str) -> None:
    # SPEC §3: the report's instants are past month ends; a row stamped after them but
    # before the run's wall clock (``now``) is no issue, at any of the 13 instants. Under
    # the rule of T + 5 minutes every instant would have counted all five rows below.
    cfg = march_2026(db_url)
    S.load(
        db_url,
        suppliers=[S.supplier(5, datetime(2026, 4, 15, tzinfo=UTC))],
        couples=[
            S.couple(13, datetime(2026, 4, 2, tzinfo=UTC)),
            S.couple(14, NOW + timedelta(days=1)),  # after the run's clock: counted
        ],
        user_sessions=[S.session(4, datetime(2026, 5, 1, tzinfo=UTC), supplier_id=1)],
        invitations=[S.invite(3, 1, datetime(2026, 5, 20, tzinfo=UTC))],
    )
    future = ("execmetrics_data_quality_issues", {"check": "timestamp_in_future"})

    data = build(db_url, cfg, MARCH, "csv", now=NOW).data
    assert dict(data.quality)["timestamp_in_future"] == 1
    assert [p.evaluation.value(future[0], **future[1]) for _, p in data.months] == [1] * 12
    # Built today (after NOW + 1 day), not even couple 14 is in the future.
    today = build(db_url, cfg, MARCH, "csv").data
    assert dict(today.quality)["timestamp_in_future"] == 0
    assert [p.evaluation.value(future[0], **future[1]) for _, p in today.months] == [0] * 12
