"""The forecast backtest (docs/forecast.md) on the seed's medium data and the benchmark
generator's: the month ends of the two years before the data's end, evaluated by the
engine once, then the last 12 month ends replayed for each forecast metric.

    python -m bench.forecast [--url postgresql://postgres@127.0.0.1:5432/postgres]
                             [--prefix bench_] [--reps 3]

Prints the table of docs/forecast.md, then the refit times at medium: a cold refit (a
new forecaster: every month end evaluated, every fit made) with its passes one at a time
and FORECAST_JOBS at a time, alternated ``--reps`` times (medians, min–max), and a warm
refit (the next day's, over the kept month ends).
"""

from __future__ import annotations

import argparse
import statistics
from datetime import timedelta

from bench.generate import END, prepare
from exporter.config import Config
from exporter.db import CONCURRENT_JOBS, Database
from exporter.engine import Engine
from exporter.forecast.backtest import table
from exporter.forecast.group import Forecaster
from exporter.forecast.history import evaluate_days, month_ends, series
from exporter.forecast.model import uncalibrated
from exporter.vocabulary import FORECAST_JOBS, FORECAST_MONTHS

HEADER = [
    "| data | metric | method | MAPE 1 month | MAPE 3 months | 80% coverage 1 month | "
    "80% coverage 3 months |",
    "|---|---|---|---|---|---|---|",
]


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} s ({min(values):.1f}–{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--prefix", default="bench_", help="of the databases' names")
    parser.add_argument("--reps", type=int, default=3, help="cold refits per setting")
    args = parser.parse_args()
    config = Config()
    rows = list(HEADER)
    timings = []
    for name, use_seed in (("seed medium", True), ("generator medium", False)):
        url = prepare(args.url, "medium", use_seed=use_seed, prefix=args.prefix)
        days = month_ends(END.date(), FORECAST_MONTHS + 1)
        with Database(url, config, max_size=CONCURRENT_JOBS) as db:
            engine = Engine(db, config)
            rows += table(name, series(evaluate_days(engine, days, wall=END), days))
            at = END + timedelta(days=12, hours=10)
            cold: dict[int, list[float]] = {1: [], FORECAST_JOBS: []}
            for rep in range(args.reps):
                for jobs in sorted(cold, reverse=rep % 2 == 1):
                    # a new forecaster and no fit in the cache: a first refit after start
                    uncalibrated.cache_clear()
                    forecaster = Forecaster(engine, jobs)
                    run = forecaster.run(at=at, wall=at)
                    if run.error:
                        raise SystemExit(f"bench: {name}: refit failed: {run.error}")
                    cold[jobs].append(run.duration_seconds)
            nxt = at + timedelta(days=1)
            warm = forecaster.run(at=nxt, wall=nxt)
            timings.append(
                f"{name}: refit at {at:%Y-%m-%d}: cold, passes one at a time "
                f"{_spread(cold[1])}, {FORECAST_JOBS} at a time {_spread(cold[FORECAST_JOBS])} "
                f"(ratio {statistics.median(cold[1]) / statistics.median(cold[FORECAST_JOBS]):.2f}); "
                f"warm {warm.duration_seconds:.2f} s ({warm.error or 'ok'})"
            )
    print("\n".join(rows))
    print()
    print("\n".join(timings))


if __name__ == "__main__":
    main()
