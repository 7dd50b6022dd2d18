"""Soak: two replicas under 20 scrapers while PostgreSQL restarts every 30 seconds.

    python bench/soak.py                      # 10 minutes (not in CI)
    python bench/soak.py --minutes 2          # what tests/test_soak.py runs in CI

It starts a PostgreSQL server of its own on 127.0.0.1 (initdb + pg_ctl, see
tests/pgserver.py), migrates and loads a small dataset, starts two ``execmetrics serve``
replicas sharing it, then for the whole run: 20 scraper threads GET /metrics from both
replicas over loopback; PostgreSQL is restarted (fast shutdown, start) every
``--restart-every`` seconds; a monitor reads each replica's health metrics. All traffic
stays on 127.0.0.1, every loop is bounded by the run's end, and everything it started
is stopped by PID at the end.

Reported: failed scrapes (goal 0), exporter restarts i.e. replicas that exited (0),
RSS of each replica at start and end, refreshes per refresh interval across both
replicas (1), and each group's recovery time after a restart (seconds from the
server being back to the group's next success, median and max over restarts).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.health import group_successes
from exporter.config import parse_config
from exporter.migrate import migrate
from exporter.vocabulary import GroupName
from tests.cli_support import free_port, load_small_dataset
from tests.pgserver import local_postgres
from tests.processes import Serve, eventually, serve_process, write_config

GROUP_INTERVAL = 5.0
REFRESH_INTERVAL = 5.0


@dataclass
class Report:
    seconds: float
    scrapes: int
    failed_scrapes: int
    exporter_restarts: int
    postgres_restarts: int
    rss_start_mib: list[float]
    rss_end_mib: list[float]
    refreshes: int
    refresh_intervals: float
    refreshes_per_interval: float
    recovery_seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    unrecovered: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    log_lines: list[int] = field(default_factory=list)
    tracebacks: int = 0


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _refreshes(url: str) -> int:
    def read() -> int:
        with psycopg.connect(url, connect_timeout=2) as conn:
            row = conn.execute("SELECT refreshes FROM execmetrics.refresh_lease").fetchone()
        return int(row[0]) if row else 0

    return int(eventually(lambda: read() + 1, 30, "lease readable")) - 1  # type: ignore[call-overload]


def _successes(server: Serve) -> dict[str, float]:
    return group_successes(server.get("/metrics", timeout=5).text)


def soak(minutes: float, restart_every: float, scrapers: int, out: Path | None = None) -> Report:
    stop = threading.Event()
    lock = threading.Lock()
    counts = {"ok": 0, "failed": 0}
    errors: list[str] = []
    restarts_done: list[float] = []  # wall time at which the server was back
    with tempfile.TemporaryDirectory(prefix="execmetrics-soak-") as tmp:
        folder = Path(tmp)
        with local_postgres(free_port()) as pg:
            settings = {
                "groups": {g.value: {"interval_seconds": GROUP_INTERVAL} for g in GroupName},
                "refresh": {"interval_seconds": REFRESH_INTERVAL},
                "database": {"connect_timeout_seconds": 2},
            }
            migrate(pg.url, parse_config(settings), create_source_tables=True)
            load_small_dataset(pg.url, datetime.now(UTC).replace(microsecond=0))
            config = write_config(folder, settings)
            with (
                serve_process(pg.url, folder, config=config, name="a") as a,
                serve_process(pg.url, folder, config=config, name="b") as b,
            ):
                replicas = (a, b)
                for r in replicas:
                    eventually(lambda r=r: r.get("/-/ready").status_code == 200, 60, "ready")
                rss_start = [_rss_mib(r.pid) for r in replicas]
                refreshes_before = _refreshes(pg.url)
                started = time.monotonic()
                deadline = started + minutes * 60

                def scraper(n: int) -> None:
                    with httpx.Client(timeout=5) as client:
                        i = n
                        while not stop.is_set() and time.monotonic() < deadline:
                            target = replicas[i % 2]
                            i += 1
                            try:
                                ok = client.get(target.base_url + "/metrics").status_code == 200
                            except httpx.HTTPError as exc:
                                ok = False
                                with lock:
                                    errors.append(f"{type(exc).__name__}: {exc}")
                            with lock:
                                counts["ok" if ok else "failed"] += 1
                            stop.wait(0.5)

                def restarter() -> None:
                    while not stop.wait(restart_every) and time.monotonic() < deadline - 5:
                        pg.restart()
                        restarts_done.append(time.time())

                recoveries: dict[str, list[float]] = {g.value: [] for g in GroupName}
                unrecovered: dict[str, int] = {g.value: 0 for g in GroupName}

                def monitor() -> None:
                    seen = 0
                    while not stop.is_set() and time.monotonic() < deadline + 15:
                        if seen < len(restarts_done):
                            back = restarts_done[seen]
                            seen += 1
                            pending = set(recoveries)
                            until = time.monotonic() + min(restart_every, 25)
                            while pending and time.monotonic() < until and not stop.is_set():
                                for r in replicas:
                                    try:
                                        got = _successes(r)
                                    except httpx.HTTPError:
                                        continue
                                    for g in list(pending):
                                        if got.get(g, 0) > back:
                                            recoveries[g].append(got[g] - back)
                                            pending.discard(g)
                                time.sleep(0.25)
                            for g in pending:
                                unrecovered[g] += 1
                        else:
                            time.sleep(0.25)

                threads = [
                    threading.Thread(target=scraper, args=(n,), daemon=True)
                    for n in range(scrapers)
                ]
                threads += [
                    threading.Thread(target=restarter, daemon=True),
                    threading.Thread(target=monitor, daemon=True),
                ]
                for t in threads:
                    t.start()
                while time.monotonic() < deadline:
                    time.sleep(1)
                for t in threads[:scrapers]:
                    t.join(timeout=10)
                stop.set()
                for t in threads[scrapers:]:
                    t.join(timeout=40)
                elapsed = time.monotonic() - started
                refreshes = _refreshes(pg.url) - refreshes_before
                exited = sum(1 for r in replicas if r.process.poll() is not None)
                rss_end = [_rss_mib(r.pid) if r.process.poll() is None else 0.0 for r in replicas]
            logs = [r.stderr() for r in replicas]
        intervals = elapsed / REFRESH_INTERVAL
        report = Report(
            seconds=round(elapsed, 1),
            scrapes=counts["ok"] + counts["failed"],
            failed_scrapes=counts["failed"],
            exporter_restarts=exited,
            postgres_restarts=len(restarts_done),
            rss_start_mib=[round(x, 1) for x in rss_start],
            rss_end_mib=[round(x, 1) for x in rss_end],
            refreshes=refreshes,
            refresh_intervals=round(intervals, 1),
            refreshes_per_interval=round(refreshes / intervals, 3),
            recovery_seconds={
                g: {
                    "median": round(statistics.median(v), 2) if v else float("nan"),
                    "max": round(max(v), 2) if v else float("nan"),
                    "n": len(v),
                }
                for g, v in recoveries.items()
            },
            unrecovered=unrecovered,
            errors=errors[:10],
            log_lines=[len(log.splitlines()) for log in logs],
            tracebacks=sum(log.count("Traceback") for log in logs),
        )
        if out is not None:
            for name, log in zip("ab", logs, strict=True):
                (out / f"soak-{name}.log").write_text(log)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--restart-every", type=float, default=30)
    parser.add_argument("--scrapers", type=int, default=20)
    parser.add_argument("--logs", type=Path, help="folder to keep both replicas' logs in")
    args = parser.parse_args()
    report = soak(args.minutes, args.restart_every, args.scrapers, args.logs)
    print(json.dumps(asdict(report), indent=2))


if __name__ == "__main__":
    main()
