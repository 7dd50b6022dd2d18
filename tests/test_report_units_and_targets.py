"""Issue 16, the pack's labels and formats: the stickiness lines are labelled with the
configured targets, the CSV's unit of money is the currency code, and the weekly CSV
prints counts as integers."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from exporter.config import StickinessTargets
from exporter.history.report.build import build
from exporter.history.report.jobs import weekly_csv
from exporter.history.report.month import Month
from tests.conftest import require_tool
from tests.datasets import NOW, march_2026

MARCH = Month(2026, 3)


def test_pdf_labels_the_stickiness_lines_with_the_configured_targets(
    db_url: str, tmp_path: Path
) -> None:
    pdftotext = require_tool("pdftotext")
    cfg = march_2026(db_url)
    targets = cfg.targets.model_copy(
        update={"stickiness": StickinessTargets(supplier=0.25, couple=0.55)}
    )
    cfg = cfg.model_copy(update={"targets": targets})
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(build(db_url, cfg, MARCH, "pdf", now=NOW).body)
    text = subprocess.run(
        [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert "40% industry benchmark" not in flat
    assert "25% for suppliers, 55% for couples" in flat


def test_csv_unit_of_money_is_the_currency_code(db_url: str) -> None:
    cfg = march_2026(db_url)
    rows = {
        r["metric"]: r
        for r in csv.DictReader(
            io.StringIO(build(db_url, cfg, MARCH, "csv", now=NOW).body.decode())
        )
    }
    assert rows["mrr"]["unit"] == cfg.reporting.currency == "GBP"
    assert rows["arpa"]["unit"] == "GBP"
    assert rows["paying_suppliers"]["unit"] == "count"
    assert rows["customer_churn"]["unit"] == "ratio"


def test_weekly_csv_counts_are_integers_and_money_has_two_places(db_url: str) -> None:
    cfg = march_2026(db_url)
    # Tuesday 31 March 2026: the week's Monday is 30 March.
    name, body, _ = weekly_csv(db_url, cfg, now=datetime(2026, 3, 31, 12, 0, tzinfo=UTC))
    assert name == "weekly-2026-03-30.csv"
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert rows
    units = {r["unit"] for r in rows}
    assert "GBP" in units and "count" in units, units
    for r in rows:
        for column in ("value", "week_before"):
            cell = r[column]
            if r["unit"] == "count" and cell:
                assert cell.lstrip("-").isdigit(), (r["metric"], column, cell)
            if r["unit"] == "GBP" and cell:
                assert len(cell.split(".")[1]) == 2, (r["metric"], column, cell)


def test_appendix_defines_each_movement_on_its_own(db_url: str, tmp_path: Path) -> None:
    pdftotext = require_tool("pdftotext")
    cfg = march_2026(db_url)
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(build(db_url, cfg, MARCH, "pdf", now=NOW).body)
    text = subprocess.run(
        [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    for label, rule in (
        ("New MRR", "never paid before M1: E."),
        ("Reactivation MRR", "paid at some instant before M1: E."),
        ("Expansion MRR", "0 < S < E: E - S."),
        ("Contraction MRR", "0 < E < S: S - E."),
        ("Churn MRR", "S > 0 = E: S."),
    ):
        assert label in flat and rule in flat, (label, rule)
    # One generic movement definition no longer stands under "New MRR" for all five.
    assert "per kind (new, reactivation" not in flat


def test_placeholders_are_never_coloured_and_amounts_share_one_format(
    db_url: str, tmp_path: Path
) -> None:
    import re

    from exporter.history.report.data import gather
    from exporter.history.report.pdf import render_html

    cfg = march_2026(db_url)
    html = render_html(gather(db_url, cfg, MARCH, now=NOW))
    cells = re.findall(r'<td class="(good|bad|flat|none)">([^<]*)</td>', html)
    dashes = [c for c in cells if c[1].strip() == "–"]
    assert dashes, "the data set has changes over zero, shown as a dash"
    assert all(cls == "none" for cls, _ in dashes), dashes

    pdftotext = require_tool("pdftotext")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(build(db_url, cfg, MARCH, "pdf", now=NOW).body)
    first = subprocess.run(
        [pdftotext, "-l", "1", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    amounts = re.findall(r"£[\d,]+(?:\.\d+)?", first)
    assert amounts
    assert all(re.fullmatch(r"£[\d,]+\.\d\d", a) for a in amounts), amounts


def test_tied_movers_rank_by_previous_mrr_then_id(db_url: str, tmp_path: Path) -> None:
    from tests.instants import ts
    from tests.support import config, load, migrate, sub, supplier

    cfg = config(tz="Europe/London")
    migrate(db_url, cfg)
    # Both expand by £10.00 in March 2026; supplier 2 paid more before, so it ranks first.
    load(
        db_url,
        suppliers=[
            supplier(1, ts("2025-01-01 00:00"), category="florists"),
            supplier(2, ts("2025-01-01 00:00"), category="venues"),
        ],
        subscriptions=[
            sub(1, 1, 1000, ts("2025-01-10 00:00"), ended_at=ts("2026-03-10 00:00")),
            sub(2, 1, 2000, ts("2026-03-10 00:00")),
            sub(3, 2, 5000, ts("2025-01-10 00:00"), ended_at=ts("2026-03-10 00:00")),
            sub(4, 2, 6000, ts("2026-03-10 00:00")),
        ],
    )
    built = build(db_url, cfg, MARCH, "pdf", now=NOW)
    expansion = [m for m in built.data.movers if m.movement == "expansion"]
    assert [(m.rank, m.supplier_id, m.amount) for m in expansion] == [(1, 2, 10.0), (2, 1, 10.0)]
    pdftotext = require_tool("pdftotext")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(built.body)
    text = subprocess.run(
        [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert "Equal movements rank by the previous month's MRR (larger first), then by id." in flat
