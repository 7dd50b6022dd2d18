"""The forecast backtest (docs/forecast.md) on the seed's medium data and the benchmark
generator's: the month ends of the two years before the data's end, evaluated by the
engine once, then the last 12 month ends replayed for each forecast metric.

    python -m bench.forecast [--url postgresql://postgres@127.0.0.1:5432/postgres]

Prints the table of docs/forecast.md and the time of a cold and a warm refit at medium.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from bench.generate import END, prepare
from exporter.config import Config
from exporter.db import Database
from exporter.engine import Engine
from exporter.forecast.backtest import table
from exporter.forecast.group import Forecaster
from exporter.forecast.history import evaluate_days, month_ends, series
from exporter.vocabulary import FORECAST_MONTHS

HEADER = [
    "| data | metric | method | MAPE 1 month | MAPE 3 months | 80% coverage 1 month | "
    "80% coverage 3 months |",
    "|---|---|---|---|---|---|---|",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    config = Config()
    rows = list(HEADER)
    timings = []
    for name, use_seed in (("seed medium", True), ("generator medium", False)):
        url = prepare(args.url, "medium", use_seed=use_seed)
        days = month_ends(END.date(), FORECAST_MONTHS + 1)
        with Database(url, config, max_size=4) as db:
            engine = Engine(db, config)
            began = time.perf_counter()
            points = evaluate_days(engine, days, wall=END)
            evaluated = time.perf_counter() - began
            rows += table(name, series(points, days))
            forecaster = Forecaster(engine)
            at = END + timedelta(days=12, hours=10)
            cold = forecaster.run(at=at, wall=at)
            warm = forecaster.run(at=at + timedelta(days=1), wall=at + timedelta(days=1))
            timings.append(
                f"{name}: {len(days)} month ends evaluated in {evaluated:.1f} s; refit at "
                f"{at:%Y-%m-%d}: cold {cold.duration_seconds:.1f} s ({cold.error or 'ok'}), "
                f"warm {warm.duration_seconds:.1f} s ({warm.error or 'ok'})"
            )
    print("\n".join(rows))
    print()
    print("\n".join(timings))


if __name__ == "__main__":
    main()
