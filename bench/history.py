"""Benchmark of what spans time: backfills, the board pack and ``collect --at``.

    python -m bench.history --scales medium,large [--reps 3] [--out bench/HISTORY.md]

On the benchmark generator's databases (bench/generate.py, ``bench_<scale>``), in one run:

* backfill of 31 and of 365 daily instants through the engine's one entry point
  (``evaluate_many``, the many-instant passes), and the baseline: one evaluation per
  instant (``evaluate``, every group at one instant, as ``collect --at`` does) over the
  same 31 instants;
* the board pack of the last month: its figures (13 month ends and the daily DAU/MAU
  averages) and the CSV and PDF built from them;
* ``execmetrics collect --at`` as a process, beside ``execmetrics --version`` (process
  start).

Each figure is the median of ``--reps`` repetitions; the ratios are within one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.generate import END, prepare
from bench.report import foot, head, scales_of
from bench.run import ADMIN_URL, machine
from bench.timing import timed
from exporter.config import load_config
from exporter.engine import DEFAULT_JOBS, evaluate, evaluate_many
from exporter.history.backfill import instants, parse_step
from exporter.history.report.build import render
from exporter.history.report.data import gather
from exporter.history.report.month import Month

HERE = Path(__file__).resolve().parent


def row(name: str, samples: list[float], note: str = "") -> str:
    med = statistics.median(samples)
    spread = f"{min(samples):.2f} – {max(samples):.2f} s" if len(samples) > 1 else ""
    line = f"| {name} | {med:.2f} s | {spread} | {len(samples)} | {note} |"
    print(line, file=sys.stderr, flush=True)
    return line


def bench_scale(scale: str, reps: int) -> list[str]:
    url = prepare(ADMIN_URL, scale)
    config = load_config(None)
    zone = config.reporting.zone
    last = (END - timedelta(seconds=1)).date()
    env = {**os.environ, "EXECMETRICS_DATABASE_URL": url}
    exe = str(Path(sys.executable).with_name("execmetrics"))

    def days(n: int) -> list[datetime]:
        first = last - timedelta(days=n - 1)
        return instants(first, last, parse_step("1d"), zone)

    month = Month.parse(f"{last.year:04d}-{last.month:02d}")
    wall = datetime.now(UTC)
    d31, d365 = days(31), days(365)
    lines = [f"## {scale} (`bench_{scale}`)", ""]
    lines += ["| figure | median | min – max | n | note |", "|---|---:|---:|---:|---|"]
    many31 = timed(lambda: evaluate_many(url, config, d31, wall=wall), reps)
    one31 = timed(lambda: [evaluate(url, config, t, wall) for t in d31], max(1, reps // 2))
    many365 = timed(lambda: evaluate_many(url, config, d365, wall=wall), max(1, reps // 2))
    data = gather(url, config, month, now=wall)
    figures = timed(lambda: gather(url, config, month, now=wall), reps)
    csv = timed(lambda: render(data, "csv"), reps)
    pdf = timed(lambda: render(data, "pdf"), reps)
    at = (END - timedelta(seconds=1)).isoformat()
    collect = timed(
        lambda: subprocess.run(
            [exe, "collect", "--at", at], env=env, check=True, stdout=subprocess.DEVNULL
        ),
        reps,
    )
    version = timed(
        lambda: subprocess.run([exe, "--version"], env=env, check=True, stdout=subprocess.DEVNULL),
        reps,
    )

    def rate(samples: list[float], n: int) -> str:
        return f"{n / statistics.median(samples):.2f} instants/s"

    jobs = f"jobs={DEFAULT_JOBS}"
    lines += [
        row(
            "backfill, 31 daily instants (many-instant passes)",
            many31,
            f"{rate(many31, 31)}, {jobs}",
        ),
        row("baseline: 31 instants, one evaluation each", one31, rate(one31, 31)),
        row(
            "backfill, 365 daily instants (many-instant passes)",
            many365,
            f"{rate(many365, 365)}, {jobs}",
        ),
        row(
            f"board pack {month}: figures", figures, "13 month ends and the daily DAU/MAU averages"
        ),
        row("board pack: CSV from the figures", csv),
        row("board pack: PDF from the figures", pdf),
        row(f"execmetrics collect --at {at} (process)", collect),
        row("execmetrics --version (process start)", version),
        "",
        "| ratio | value |",
        "|---|---:|",
        f"| baseline ÷ many-instant, 31 instants | {statistics.median(one31) / statistics.median(many31):.2f}× |",
        f"| 365 ÷ 31 instants, many-instant | {statistics.median(many365) / statistics.median(many31):.2f}× |",
        f"| collect --at minus process start | {statistics.median(collect) - statistics.median(version):.2f} s |",
        f"| pack, figures + PDF | {statistics.median(figures) + statistics.median(pdf):.2f} s |",
        "",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.history", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--scales", default="medium")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "HISTORY.md")
    args = parser.parse_args(argv)
    scales = scales_of(parser, args.scales)
    lines = head("History benchmark", "bench.history", argv, machine())
    for scale in scales:
        lines += bench_scale(scale, args.reps)
    lines.append(foot())
    args.out.write_text("\n".join(lines) + "\n")
    print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
