"""The side-by-side benchmark (bench/run.py) at ``small``, one repetition: it makes its
database with its own generator, measures every figure RESULTS.md reports and writes
them. No timing is asserted: performance is the benchmark's output, not a test."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]

FIGURES = (
    "collect_process",
    "process_start",
    "naive_cycle",
    "lower_bound",
    "cycle",
    "group_revenue",
    "group_users",
    "group_viral",
    "group_engagement",
    "group_quality",
    "group_growth",
    "refresh",
    "naive_refresh",
    "serve_commits",
    "serve_backend_statements",
    "serve_commits_control",
    "serve_queries_per_scrape",
    "serve_rps",
    "serve_p99",
    "serve_rss",
    "serve_report_libraries",
    "qe_commits",
    "qe_queries_per_scrape",
    "qe_rps",
    "qe_p99",
    "qe_rss",
)
CYCLE_FIGURES = ("rss_start", "rss_after_cycles", "cycles_done", "report_libraries")


def _bench(module: str, url: str, prefix: str, *args: str) -> None:
    """Run ``python -m <module>`` against the server at ``url`` under ``prefix``, with --drop."""
    command = [sys.executable, "-m", module, "--url", url, "--prefix", prefix, "--drop", *args]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _left(url: str, prefix: str) -> tuple[int, ...] | None:
    """How many databases named ``prefix``... are still on the server."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE %s", (prefix + "%",)
        ).fetchone()


def test_small_run_produces_every_figure(pg_server_url: str, tmp_path: Path) -> None:
    prefix = f"bench_test_{uuid.uuid4().hex[:8]}_"
    out, data = tmp_path / "RESULTS.md", tmp_path / "results.json"
    _bench(
        "bench.run",
        pg_server_url,
        prefix,
        "--scales",
        "small",
        "--reps",
        "1",
        "--scrapes",
        "50",
        "--stats-wait",
        "1",
        "--load-requests",
        "200",
        "--rss-cycles",
        "12",
        "--out",
        str(out),
        "--json",
        str(data),
    )

    results = json.loads(data.read_text())
    (scale,) = results["scales"]
    assert scale["scale"] == "small"
    assert scale["rows"]["user_sessions"] == 150_000
    figures = scale["figures"]
    for key in FIGURES:
        assert key in figures, key
        assert figures[key]["n"] >= 1 and math.isfinite(figures[key]["median"]), (key, figures[key])
    for key in CYCLE_FIGURES:
        assert math.isfinite(results["cycles"][key]["median"]), key
    assert results["cycles"]["cycles_done"]["median"] >= 12
    # The harness reads what the servers do: no scrape reaches the database.
    assert figures["serve_backend_statements"]["median"] == 0, figures["serve_commits"]
    assert figures["serve_report_libraries"]["median"] == 0, figures["serve_report_libraries"]

    report = out.read_text()
    for line in ("## small", "requests/s: serve ÷ query-exporter", "load average at start"):
        assert line in report
    for key in FIGURES:
        assert figures[key]["name"] in report, key

    # --drop removed what the run made
    assert _left(pg_server_url, prefix) == (0,)


def test_the_history_line_never_projects_below_zero() -> None:
    """Noisy cycle times (one scale faster than a smaller one) must not give a line
    whose projection at 100× is negative, as an unconstrained fit does."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bench.run import nonnegative_line

    times = st.floats(min_value=0.001, max_value=100, allow_nan=False)

    @settings(max_examples=300, deadline=None)
    @given(st.lists(times, min_size=2, max_size=5))
    def check(ys: list[float]) -> None:
        xs = [5e6 * 2**i for i in range(len(ys))]
        intercept, slope = nonnegative_line(xs, ys)
        assert intercept >= 0 and slope >= 0
        assert intercept + slope * 100 * xs[0] >= 0

    check()
    # The measured points of bench/RESULTS.md: 1.34 s at 5 M sessions, 1.32 s at 10 M.
    intercept, slope = nonnegative_line([5e6, 1e7], [1.34, 1.32])
    assert slope == 0 and intercept == pytest.approx(1.33)
    # A feasible plain fit is kept as it is.
    assert nonnegative_line([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]) == pytest.approx((1.0, 1.0))


def test_layouts_run_measures_both_layouts(pg_server_url: str, tmp_path: Path) -> None:
    """bench/layouts.py at ``small``: the partitioned copy holds the same rows as the plain
    tables, every figure is measured in both layouts, and --drop removes the database."""
    prefix = f"bench_test_{uuid.uuid4().hex[:8]}_"
    out = tmp_path / "LAYOUTS.md"
    _bench(
        "bench.layouts",
        pg_server_url,
        prefix,
        "--scales",
        "small",
        "--reps",
        "1",
        "--backfill-reps",
        "1",
        "--out",
        str(out),
    )
    report = out.read_text()
    rows = [line for line in report.splitlines() if line.startswith("| ") and " ÷ " not in line]
    names = {line.split(" | ")[0][2:] for line in rows}
    for name in (
        "cycle (every group, concurrently)",
        "group growth alone",
        "refresh, nothing new (refresh_views)",
        "full rebuild of the session rollups",
        "backfill, 31 daily instants (jobs=4)",
    ):
        assert name in names, (name, report)
    # 12 months of history: 12 or 13 monthly partitions hold rows, and the default
    assert (
        "Partitions: 13 of user_sessions" in report or "Partitions: 14 of user_sessions" in report
    )
    assert _left(pg_server_url, prefix) == (0,)
