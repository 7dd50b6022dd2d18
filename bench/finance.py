"""Benchmark: backfill rate (instants per second) by concurrency, and the time to build
one board report, against any migrated, loaded database:

    EXECMETRICS_DATABASE_URL=postgresql://... python bench/finance.py \\
        --config my.yml --to 2026-11-30 --days 8 --jobs 1,2,4 --repeat 3 --month 2026-11

Each concurrency evaluates the same ``--days`` daily instants ``--repeat`` times; the
medians are printed side by side (ratios in one run). Then one report of ``--month`` is
built as CSV and as PDF, ``--repeat`` times each, and the medians printed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from exporter.config import load_config
from exporter.engine import evaluate_many
from exporter.history.backfill import instants, parse_step
from exporter.history.report.build import render
from exporter.history.report.data import gather
from exporter.history.report.month import Month
from exporter.instant import parse_date
from exporter.migrate import ensure_schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--url", default=None)
    parser.add_argument("--to", required=True)
    parser.add_argument("--days", type=int, default=8)
    parser.add_argument("--jobs", default="1,2,4")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--month", default=None)
    args = parser.parse_args()
    config = load_config(args.config)
    url = args.url or config.database_url()
    ensure_schema(url, config)
    end = parse_date(args.to, "--to")
    at = instants(end - timedelta(days=args.days - 1), end, parse_step("1d"), config.reporting.zone)
    baseline = None
    for jobs in (int(j) for j in args.jobs.split(",")):
        rates = [evaluate_many(url, config, at, jobs=jobs).rate for _ in range(args.repeat)]
        median = statistics.median(rates)
        baseline = baseline or median
        print(
            f"backfill jobs={jobs}: {median:.2f} instants/s median of {args.repeat} "
            f"(min {min(rates):.2f}, max {max(rates):.2f}; x{median / baseline:.2f}); "
            f"a year of days: {366 / median:.0f} s"
        )
    if args.month:
        month = Month.parse(args.month)
        now = datetime.now(UTC)
        gathers, csvs, pdfs = [], [], []
        for _ in range(args.repeat):
            clock = time.perf_counter()
            data = gather(url, config, month, now=now)
            gathers.append(time.perf_counter() - clock)
            clock = time.perf_counter()
            render(data, "csv")
            csvs.append(time.perf_counter() - clock)
            clock = time.perf_counter()
            render(data, "pdf")
            pdfs.append(time.perf_counter() - clock)
        print(
            f"report {month}: figures (13 month ends) {statistics.median(gathers):.1f} s, "
            f"CSV {statistics.median(csvs) * 1000:.0f} ms, PDF {statistics.median(pdfs):.1f} s "
            f"(medians of {args.repeat})"
        )


if __name__ == "__main__":
    main()
