"""The board pack at its edges: a month before the first month with data is refused
(and skipped by the schedule), a comparison month before it shows "no data", and
DAU / MAU is shown beside the month's daily average, which colours its change.

The expected numbers come from the rows themselves: the first month by hand from the
earliest timestamp, the daily averages from tests/oracle.py at each local day's end.
"""

from __future__ import annotations

import csv
import io
import logging
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from exporter.config import Config, parse_config
from exporter.groups import GROUPS
from exporter.history.report.build import build
from exporter.history.report.figures import FIGURES
from exporter.history.report.jobs import ReportJobs
from exporter.history.report.month import Month
from exporter.history.report.pdf import context
from exporter.store import Store
from tests import oracle
from tests import support as S
from tests.cli_support import assert_one_line_error, cli_env, run_cli
from tests.conftest import require_tool
from tests.datasets import NOW, ZONE, march_2026
from tests.instants import ts

LONDON = ZoneInfo(ZONE)
DAY = timedelta(days=1)


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


# ------------------------------------------------------------- DAU / MAU daily average


def _local_midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=LONDON).astimezone(UTC)


def _ratio_at(sessions: list[S.Row], side: str, t: datetime) -> float:
    """The oracle's active 1d / active 30d at ``t``."""
    mau = len(oracle.active_ids(sessions, side, t, timedelta(days=30)))
    return len(oracle.active_ids(sessions, side, t, timedelta(days=1))) / mau


def _expected_average(sessions: list[S.Row], year: int, month: int, side: str) -> float | None:
    """The oracle's mean of active 1d / active 30d at the end of each local day."""
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    ratios = []
    d = first
    while d < after:
        end = _local_midnight(d + DAY)
        mau = len(oracle.active_ids(sessions, side, end, timedelta(days=30)))
        dau = len(oracle.active_ids(sessions, side, end, timedelta(days=1)))
        if mau:
            ratios.append(dau / mau)
        d += DAY
    return sum(ratios) / len(ratios) if ratios else None


def _stickiness_data(url: str) -> tuple[S.Any, list[S.Row]]:
    """Suppliers busy every day of February but for its last, quiet in March but on
    Mondays and the 31st; couples the other way round. Sessions on the spring clock
    change (29 March) and at a local midnight test the windows' edges."""
    cfg = S.config(tz=ZONE)
    S.migrate(url, cfg)
    sessions: list[S.Row] = []

    def add(at: datetime, **who: int) -> None:
        sessions.append(S.session(len(sessions) + 1, at, **who))

    for day in range(1, 28):  # 1-27 February
        add(ts(f"2026-02-{day:02d} 12:00", ZONE), supplier_id=1)
        if day % 2:
            add(ts(f"2026-02-{day:02d} 18:00", ZONE), supplier_id=2)
    for day in (2, 9, 16, 23, 30, 31):  # the Mondays of March, and Tuesday the 31st
        add(ts(f"2026-03-{day:02d} 09:00", ZONE), supplier_id=1)
    add(ts("2026-03-15 12:00", ZONE), supplier_id=3)
    add(ts("2026-03-29 00:30", ZONE), supplier_id=2)  # before the clocks go forward
    add(ts("2026-03-10 00:00", ZONE), supplier_id=3)  # the end of 9 March, exactly
    for day in (3, 10, 17, 24):
        add(ts(f"2026-02-{day:02d} 20:00", ZONE), couple_id=10)
    for day in range(1, 31):  # 1-30 March
        add(ts(f"2026-03-{day:02d} 21:00", ZONE), couple_id=10 + day % 3)
    S.load(
        url,
        suppliers=[S.supplier(i, ts("2025-06-01 00:00")) for i in (1, 2, 3)],
        couples=[S.couple(i, ts("2025-06-01 00:00")) for i in (10, 11, 12)],
        subscriptions=[S.sub(1, 1, 2999, ts("2025-06-01 00:00"))],
        user_sessions=sessions,
    )
    return cfg, sessions


def test_daily_average_of_dau_over_mau_beside_the_month_end(db_url: str, tmp_path: Path) -> None:
    cfg, sessions = _stickiness_data(db_url)
    built = build(db_url, cfg, Month(2026, 3), "csv", now=NOW)
    rows = _csv_rows(built.body)
    for side in ("supplier", "couple"):
        avg = rows[f"stickiness_{side}_daily_average"]
        assert avg["unit"] == "ratio"
        march = _expected_average(sessions, 2026, 3, side)
        february = _expected_average(sessions, 2026, 2, side)
        assert march is not None and february is not None
        assert float(avg["value"]) == pytest.approx(march, abs=1e-6)
        assert float(avg["previous_month"]) == pytest.approx(february, abs=1e-6)
        assert float(avg["change_vs_previous_month"]) == pytest.approx(march - february, abs=2e-6)
        # March 2025 is before the first month with data (June 2025): no data.
        assert avg["year_ago"] == "" and avg["change_vs_year_ago"] == ""
        # The month-end line is still the one day at the month's end.
        end = _ratio_at(sessions, side, _local_midnight(date(2026, 4, 1)))
        assert float(rows[f"stickiness_{side}"]["value"]) == pytest.approx(end, abs=1e-6)
        assert float(avg["value"]) != pytest.approx(end, abs=1e-3)

    # Suppliers: the month end is up on February's (whose last day was quiet), the daily
    # average is down; both lines are coloured by the average's change.
    view = {r["label"]: r for r in context(built.data)["rows"]}
    for side in ("supplier", "couple"):
        march = _expected_average(sessions, 2026, 3, side)
        february = _expected_average(sessions, 2026, 2, side)
        assert march is not None and february is not None
        expected = "good" if march > february else "bad"
        assert view[f"DAU / MAU, {side}s (daily average)"]["verdict"] == expected
        assert view[f"DAU / MAU, {side}s (month end)"]["verdict"] == expected
    end, before = (
        _ratio_at(sessions, "supplier", _local_midnight(d))
        for d in (date(2026, 4, 1), date(2026, 3, 1))
    )
    assert end > before and view["DAU / MAU, suppliers (month end)"]["verdict"] == "bad"

    text = _pdf_text(build(db_url, cfg, Month(2026, 3), "pdf", now=NOW).body, tmp_path)

    def pct(v: float) -> str:
        return f"{v * 100:.1f}%"

    def pp(v: float) -> list[str]:
        return f"{v * 100:+.1f} pp".replace("-", "−").split()

    for side in ("supplier", "couple"):
        march = _expected_average(sessions, 2026, 3, side)
        february = _expected_average(sessions, 2026, 2, side)
        assert march is not None and february is not None
        # label (6 words), March, February, change, then the year-ago "no data" twice.
        cells = _line(text, f"DAU / MAU, {side}s (daily average)").split()[6:]
        assert cells == [pct(march), pct(february), *pp(march - february), *["no", "data"] * 2]
        end, before = (
            _ratio_at(sessions, side, _local_midnight(d))
            for d in (date(2026, 4, 1), date(2026, 3, 1))
        )
        cells = _line(text, f"DAU / MAU, {side}s (month end)").split()[6:]
        assert cells[:4] == [pct(end), pct(before), *pp(end - before)]
    flat = " ".join(text.split())
    assert (
        "The month's daily average of one side's stickiness: the mean, over the local days d"
        in flat
    )
