"""Benchmark: how long each metric group takes at an instant, and the /metrics path.

Rerunnable against any migrated, loaded database:

    EXECMETRICS_DATABASE_URL=postgresql://... python bench/collect.py --at 2026-11-29T21:00Z

It evaluates every group ``--repeat`` times (after one warm-up run), concurrently as
``collect`` does, and prints the median and spread per group and for the whole
evaluation; then it renders the exposition from the last state and measures requests
per second of GET /metrics over loopback and the cost of one render (medians of
several rounds).
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import uvicorn

from exporter.config import Config, load_config
from exporter.db import Database
from exporter.engine import Engine
from exporter.groups import GROUPS
from exporter.instant import parse_instant
from exporter.migrate import ensure_schema
from exporter.serve.exposition import render
from exporter.serve.http import create_app, listen_socket
from exporter.store import Store


def _median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} ms (min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})"


def bench_groups(url: str, config: Config, at: datetime | None, repeat: int) -> Store:
    ensure_schema(url, config)
    store = Store(tuple(g.name for g in GROUPS))
    per_group: dict[str, list[float]] = {g.name: [] for g in GROUPS}
    totals: list[float] = []
    with Database(url, config, max_size=len(GROUPS)) as db:
        engine = Engine(db, config)
        engine.run_all(at)  # warm-up: connections, plans, caches
        for _ in range(repeat):
            clock = time.perf_counter()
            snapshots = engine.run_all(at)
            totals.append(time.perf_counter() - clock)
            for name, snap in snapshots.items():
                if snap.error:
                    raise SystemExit(f"group {name} failed: {snap.error}")
                per_group[name].append(snap.duration_seconds)
                store.publish_group(snap)
    print(f"groups at {at.isoformat() if at else 'now'}, {repeat} runs each:")
    for name, values in per_group.items():
        print(f"  {name:<11} {_median_ms(values)}")
    print(f"  {'all (wall)':<11} {_median_ms(totals)}")
    return store


def bench_scrape(store: Store, config: Config, seconds: float, rounds: int) -> None:
    """Requests/s of GET /metrics over loopback HTTP (one keep-alive client), and the cost
    of rendering the exposition, which the cache pays once per new state."""
    sock = listen_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(store, config), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port)

        def scrape() -> None:
            conn.request("GET", "/metrics")
            response = conn.getresponse()
            response.read()
            assert response.status == 200

        served = [_rate(scrape, seconds) for _ in range(rounds)]
        rendered = [_rate(lambda: render(store.current, config), seconds) for _ in range(rounds)]
        conn.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    size = len(render(store.current, config))
    print(f"/metrics ({size:,} bytes), {rounds} rounds of {seconds:g}s:")
    print(f"  GET /metrics over loopback  {statistics.median(served):8.0f} req/s (median)")
    print(
        f"  one render of the state     {1000 / statistics.median(rendered):8.2f} ms (paid once per state)"
    )


def _rate(fn: Callable[[], object], seconds: float) -> float:
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        fn()
        count += 1
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--at", help="evaluation instant (ISO 8601); default now")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--config")
    parser.add_argument("--scrape-seconds", type=float, default=2.0)
    parser.add_argument("--scrape-rounds", type=int, default=3)
    args = parser.parse_args()
    config = load_config(Path(args.config) if args.config else None)
    at = parse_instant(args.at) if args.at else None
    store = bench_groups(config.database_url(), config, at, args.repeat)
    bench_scrape(store, config, args.scrape_seconds, args.scrape_rounds)


if __name__ == "__main__":
    main()
