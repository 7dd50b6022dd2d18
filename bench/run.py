"""The side-by-side benchmark: the exporter against the plain ways of getting the same numbers.

    python -m bench.run --scales medium,large [--reps 5] [--fresh] [--use-seed] [--keep]

For each scale it makes (or reuses) ``bench_<scale>`` with bench/generate.py, then
measures in the same run, ``--reps`` times each (medians with min–max):

- ``execmetrics collect --at T`` as a whole process, and process start alone
  (``execmetrics --version``);
- one cycle of the naive SQL of the core definitions (bench/naive/*.sql), and the
  lower bound: one pass over only the rows those definitions read;
- the exporter's cycle in process (every group, concurrently) and each group alone
  (``Engine.run_group``);
- the exporter's refresh (``exporter.refresh.refresh_views``) and REFRESH MATERIALIZED
  VIEW CONCURRENTLY of a plain ``daily_metrics`` (bench/sql/daily/; bench/views.py
  measures the incremental rollups against it in detail);
- GET /metrics at ``--connections`` keep-alive connections (a small asyncio client on
  httpx), requests/s and p99 latency, ``execmetrics serve`` against query-exporter
  5.0.2 (its own venv, bench/.venv-qe, made when missing) configured with the naive SQL;
- database transactions during ``--scrapes`` scrapes (pg_stat_database) against an idle
  control of the same length, and the backends that ran a statement meanwhile;
- the RSS of both servers; and, once per run on ``bench_small``, the RSS of ``serve``
  after ``--rss-cycles`` group runs at 1-second intervals and whether the report
  libraries (weasyprint, matplotlib) are mapped into it (/proc/PID/maps).

Writes ``--out`` (default bench/RESULTS.md, generated: never edit it by hand) and
``--json``. Every server it starts listens on 127.0.0.1 and is stopped by PID; every
load loop is bounded in requests and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml
from psycopg import sql

from bench.generate import END, SCALES, SEED_SCALES, database_name, prepare, row_counts
from bench.health import group_successes
from bench.timing import group_durations, timed
from exporter.config import GROUP_NAMES, Config, parse_config
from exporter.db import Database
from exporter.engine import Engine
from exporter.groups import GROUPS
from exporter.refresh import refresh_views

HERE = Path(__file__).resolve().parent
QE_VERSION = "5.0.2"
NAIVE = ("mrr", "active_users", "dau_wau_mau", "invitations", "viral_coefficient")
REPORT_LIBRARIES = ("weasyprint", "matplotlib", "libpango", "libcairo")
LONG = 86_400.0  # an interval that never comes round during a run


# --- figures --------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured quantity: its samples and unit."""

    name: str
    unit: str
    samples: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "median": self.median,
            "min": min(self.samples) if self.samples else None,
            "max": max(self.samples) if self.samples else None,
            "n": len(self.samples),
            "samples": self.samples,
            "note": self.note,
        }


@dataclass
class ScaleResult:
    scale: str
    database: str
    rows: dict[str, int]
    figures: dict[str, Figure] = field(default_factory=dict)

    def add(self, key: str, name: str, unit: str, samples: list[float], note: str = "") -> None:
        self.figures[key] = Figure(name, unit, samples, note)


def _read(relative: str) -> str:
    return (HERE / relative).read_text(encoding="utf-8")


def _execmetrics() -> str:
    return str(Path(sys.prefix) / "bin" / "execmetrics")


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXECMETRICS_")}
    env["EXECMETRICS_DATABASE_URL"] = url
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _mapped(pid: int, names: tuple[str, ...]) -> dict[str, bool]:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {name: name in maps for name in names}


# --- the database side ----------------------------------------------------------------


def bench_processes(result: ScaleResult, url: str, reps: int) -> None:
    at = END.isoformat()

    def collect() -> None:
        subprocess.run(
            [_execmetrics(), "collect", "--at", at],
            env=_env(url),
            check=True,
            stdout=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )

    def version() -> None:
        subprocess.run([_execmetrics(), "--version"], check=True, stdout=subprocess.DEVNULL)

    collect()  # warm-up: page cache, plans
    result.add(
        "collect_process", "execmetrics collect --at T (whole process)", "s", timed(collect, reps)
    )
    result.add("process_start", "execmetrics --version (process start)", "s", timed(version, reps))


def bench_sql(result: ScaleResult, url: str, reps: int) -> None:
    params = {"at": END}
    naive = [_read(f"naive/{name}.sql") for name in NAIVE]
    lower = _read("naive/lower_bound.sql")
    with psycopg.connect(url, autocommit=True) as conn:

        def naive_cycle() -> None:
            for text in naive:
                conn.execute(text, params).fetchall()

        def lower_bound() -> None:
            conn.execute(lower, params).fetchall()

        naive_cycle()
        lower_bound()
        result.add(
            "naive_cycle",
            "naive SQL of the core definitions, one cycle",
            "s",
            timed(naive_cycle, reps),
        )
        result.add(
            "lower_bound",
            "one pass over the rows the definitions need",
            "s",
            timed(lower_bound, reps),
        )


def _config(settings: dict[str, object] | None = None) -> Config:
    return parse_config(settings or {})


def bench_engine(result: ScaleResult, url: str, reps: int) -> None:
    config = _config()
    with Database(url, config, max_size=len(GROUPS)) as db:
        engine = Engine(db, config)

        def cycle() -> None:
            for name, snap in engine.run_all(END).items():
                if snap.error:
                    raise SystemExit(f"bench: group {name} failed: {snap.error}")

        cycle()
        result.add(
            "cycle",
            "exporter cycle in process (every group, concurrently)",
            "s",
            timed(cycle, reps),
        )
        for group in GROUPS:
            samples = group_durations(engine, group, END, reps)
            result.add(
                f"group_{group.name}", f"group {group.name} alone (Engine.run_group)", "s", samples
            )


def bench_refresh(result: ScaleResult, url: str, reps: int) -> None:
    config = _config({"refresh": {"interval_seconds": 1.0}})
    with Database(url, config, max_size=2) as db:
        samples: list[float] = []
        while len(samples) < reps + 1:  # the first is a warm-up
            time.sleep(1.0)  # the lease is free again after 90 % of the interval
            record = refresh_views(db, config)
            if record.error:
                raise SystemExit(f"bench: refresh failed: {record.error}")
            if not record.skipped:
                samples.append(record.duration_seconds)
        result.add("refresh", "exporter refresh (exporter.refresh.refresh_views)", "s", samples[1:])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(_read("sql/daily/create.sql"))
        conn.execute(_read("sql/daily/index.sql"))
        refresh = _read("sql/daily/refresh.sql")
        conn.execute(refresh)
        result.add(
            "naive_refresh",
            "REFRESH MATERIALIZED VIEW CONCURRENTLY of the plain daily_metrics",
            "s",
            timed(lambda: conn.execute(refresh), reps),
        )


# --- the servers ----------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def _started(
    name: str, command: list[str], env: dict[str, str], folder: Path, port: int
) -> Iterator[Server]:
    log = folder / f"{name}.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            command, env=env, cwd=folder, stdin=subprocess.DEVNULL, stdout=err, stderr=err
        )
    server = Server(name, process, f"http://127.0.0.1:{port}", log)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait(server: Server, ready: Callable[[httpx.Response], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"bench: {server.name} exited: {server.log.read_text()[-2000:]}")
        try:
            if ready(httpx.get(server.base_url + "/metrics", timeout=5)):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(
        f"bench: {server.name} not ready in {timeout:g} s: {server.log.read_text()[-2000:]}"
    )


def _all_groups_done(response: httpx.Response) -> bool:
    # Every group, the forecast's first refit included: its queries must not land in
    # the measured scrapes.
    return response.status_code == 200 and len(group_successes(response.text)) == len(GROUP_NAMES)


@contextmanager
def serve(
    url: str, folder: Path, group_interval: float, refresh_interval: float
) -> Iterator[Server]:
    settings = {
        "groups": {str(g.name.value): {"interval_seconds": group_interval} for g in GROUPS},
        "refresh": {"interval_seconds": refresh_interval},
    }
    config = folder / f"serve-{group_interval:g}.yml"
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    port = _free_port()
    command = [_execmetrics(), "--config", str(config), "serve", "--listen", f"127.0.0.1:{port}"]
    with _started(f"serve-{group_interval:g}", command, _env(url), folder, port) as server:
        server.name = "execmetrics serve"
        _wait(server, _all_groups_done, 600)
        yield server


def qe_venv(venv: Path) -> Path:
    """The query-exporter console script, installed into its own venv when missing."""
    script = venv / "bin" / "query-exporter"
    if not script.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [
                str(venv / "bin" / "pip"),
                "install",
                "-q",
                f"query-exporter=={QE_VERSION}",
                "psycopg2-binary",
            ],
            check=True,
        )
    return script


def qe_config(url: str) -> dict[str, object]:
    """query-exporter's config: the naive SQL of the core definitions at now(), every hour."""
    dsn = url.replace("postgresql://", "postgresql+psycopg2://", 1)
    metrics: dict[str, dict[str, object]] = {
        "mrr": {"type": "gauge", "description": "MRR"},
        "active_users": {
            "type": "gauge",
            "description": "active users",
            "labels": ["user_type", "window"],
        },
        "dau": {"type": "gauge", "description": "DAU"},
        "wau": {"type": "gauge", "description": "WAU"},
        "mau": {"type": "gauge", "description": "MAU"},
        "invitations_sent": {"type": "gauge", "description": "invitations sent"},
        "invitations_accepted": {"type": "gauge", "description": "invitations accepted"},
        "viral_coefficient": {"type": "gauge", "description": "K"},
    }
    produces = {
        "mrr": ["mrr"],
        "active_users": ["active_users"],
        "dau_wau_mau": ["dau", "wau", "mau"],
        "invitations": ["invitations_sent", "invitations_accepted"],
        "viral_coefficient": ["viral_coefficient"],
    }
    queries = {
        name: {
            "interval": 3600,
            "databases": ["bench"],
            "metrics": produces[name],
            "sql": _read(f"naive/{name}.sql").replace("%(at)s", "now()"),
        }
        for name in NAIVE
    }
    return {"databases": {"bench": {"dsn": dsn}}, "metrics": metrics, "queries": queries}


def _qe_ready(response: httpx.Response) -> bool:
    """Every query has run once: each metric has a sample."""
    names = ("mrr", "active_users", "dau", "invitations_sent", "viral_coefficient")
    return response.status_code == 200 and all(f"\n{n}{{" in response.text for n in names)


@contextmanager
def query_exporter(script: Path, url: str, folder: Path) -> Iterator[Server]:
    config = folder / "query-exporter.yml"
    config.write_text(yaml.safe_dump(qe_config(url), sort_keys=False), encoding="utf-8")
    port = _free_port()
    command = [
        str(script),
        "--config",
        str(config),
        "-H",
        "127.0.0.1",
        "-p",
        str(port),
        "-L",
        "warning",
    ]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder)}
    with _started("query-exporter", command, env, folder, port) as server:
        _wait(server, _qe_ready, 600)
        yield server


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> bool:
    """One GET on a kept-alive connection; True on a 200 with its whole body read."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status, *headers = head.decode("latin-1").split("\r\n")
    fields = dict(h.split(":", 1) for h in headers if ":" in h)
    length = {k.strip().lower(): v.strip() for k, v in fields.items()}.get("content-length")
    if length is None:
        raise SystemExit(f"bench: a response without Content-Length: {status}")
    await reader.readexactly(int(length))
    return status.split()[1] == "200"


async def _load(
    url: str, connections: int, requests: int, seconds: float
) -> tuple[int, float, list[float]]:
    """``requests`` GETs (at most ``seconds``) over ``connections`` keep-alive connections.

    A plain HTTP/1.1 client on asyncio streams rather than httpx, whose own cost per
    request on this machine is close to the servers' and would cap both at the same rate.
    """
    parts = httpx.URL(url)
    request = f"GET {parts.raw_path.decode()} HTTP/1.1\r\nHost: {parts.host}:{parts.port}\r\n\r\n".encode()
    latencies: list[float] = []
    failures = 0
    remaining = requests
    streams = [await asyncio.open_connection(parts.host, parts.port) for _ in range(connections)]
    deadline = time.perf_counter() + seconds

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal remaining, failures
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            clock = time.perf_counter()
            ok = await _get(reader, writer, request)
            latencies.append(time.perf_counter() - clock)
            failures += 0 if ok else 1

    began = time.perf_counter()
    await asyncio.gather(*(worker(r, w) for r, w in streams))
    elapsed = time.perf_counter() - began
    for _, writer in streams:
        writer.close()
    return failures, elapsed, latencies


def _p99(values: list[float]) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[98]
        if len(values) > 1
        else values[0]
    )


def bench_load(result: ScaleResult, server: Server, key: str, args: argparse.Namespace) -> None:
    rates, p99s, failed = [], [], 0
    for _ in range(args.reps):
        failures, elapsed, latencies = asyncio.run(
            _load(
                server.base_url + "/metrics",
                args.connections,
                args.load_requests,
                args.load_seconds,
            )
        )
        failed += failures
        rates.append(len(latencies) / elapsed)
        p99s.append(_p99(latencies))
    size = len(httpx.get(server.base_url + "/metrics", timeout=10).content)
    note = f"{size:,} bytes per response; {failed} failed"
    result.add(
        f"{key}_rps",
        f"GET /metrics at {args.connections} connections, {server.name}",
        "req/s",
        rates,
        note,
    )
    result.add(f"{key}_p99", f"p99 latency of GET /metrics, {server.name}", "s", p99s, note)
    result.add(f"{key}_rss", f"RSS of {server.name} after the load", "MiB", [_rss_mib(server.pid)])


def _commits(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(_read("sql/commits.sql")).fetchone()
    return int(row[0]) if row else 0


def bench_no_queries(
    result: ScaleResult, server: Server, url: str, key: str, args: argparse.Namespace
) -> None:
    """Transactions the database counts during ``--scrapes`` scrapes, against an idle
    control of the same length (statistics reach pg_stat_database within
    ``--stats-wait`` seconds), and backends of the database that ran a statement."""

    def window(scrape: bool) -> tuple[int, int, float]:
        since = datetime.now(UTC)
        before = _commits(url)
        clock = time.perf_counter()
        if scrape:
            with httpx.Client(timeout=10) as client:
                for _ in range(args.scrapes):
                    client.get(server.base_url + "/metrics").raise_for_status()
        elapsed = time.perf_counter() - clock
        if not scrape:
            time.sleep(args.control_seconds)
            elapsed = args.control_seconds
        with psycopg.connect(url, autocommit=True) as conn:
            busy_row = conn.execute(_read("sql/busy_backends.sql"), {"since": since}).fetchone()
        time.sleep(args.stats_wait)
        return _commits(url) - before, int(busy_row[0]) if busy_row else -1, elapsed

    time.sleep(args.stats_wait)  # what the server did before (its first cycle) is counted
    scraped, busy, elapsed = window(True)
    args.control_seconds = elapsed
    control, _, _ = window(False)
    result.add(
        f"{key}_commits",
        f"database transactions during {args.scrapes} scrapes of {server.name}",
        "transactions",
        [float(scraped)],
        f"idle control of the same {elapsed:.1f} s: {control}; statements by its backends meanwhile: {busy}",
    )
    result.add(
        f"{key}_backend_statements",
        f"statements run by the database's other sessions during the scrapes ({server.name})",
        "statements",
        [float(busy)],
        "pg_stat_activity: sessions whose state changed since the scrapes began",
    )
    result.add(
        f"{key}_commits_control",
        f"database transactions in the idle control ({server.name})",
        "transactions",
        [float(control)],
    )
    result.add(
        f"{key}_queries_per_scrape",
        f"database transactions per scrape beyond the control ({server.name})",
        "per scrape",
        [max(scraped - control, 0) / args.scrapes],
    )


def bench_servers(result: ScaleResult, url: str, folder: Path, args: argparse.Namespace) -> None:
    with serve(url, folder, LONG, LONG) as ours:
        bench_no_queries(result, ours, url, "serve", args)
        bench_load(result, ours, "serve", args)
        maps = _mapped(ours.pid, REPORT_LIBRARIES)
        result.add(
            "serve_report_libraries",
            "report libraries mapped into serve (" + ", ".join(REPORT_LIBRARIES) + ")",
            "count",
            [float(sum(maps.values()))],
            ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in maps.items()),
        )
    with query_exporter(qe_venv(args.qe_venv), url, folder) as qe:
        bench_no_queries(result, qe, url, "qe", args)
        bench_load(result, qe, "qe", args)


def bench_cycles(url: str, folder: Path, cycles: int) -> ScaleResult:
    """``serve`` on bench_small at 1-second group intervals until ``cycles`` group runs."""
    result = ScaleResult("small", httpx.URL(url).path.lstrip("/"), row_counts(url))
    with serve(url, folder, 1.0, 60.0) as ours:
        start_rss = _rss_mib(ours.pid)
        last: dict[str, float] = {}
        runs = 0
        clock = time.monotonic()
        deadline = clock + cycles * 2 + 60
        with httpx.Client(timeout=10) as client:
            while runs < cycles and time.monotonic() < deadline:
                for group, finished in group_successes(
                    client.get(ours.base_url + "/metrics").text
                ).items():
                    if last.get(group) not in (None, finished):
                        runs += 1
                    last[group] = finished
                time.sleep(0.2)
        maps = _mapped(ours.pid, REPORT_LIBRARIES)
        result.add("rss_start", "RSS of serve once every group ran", "MiB", [start_rss])
        result.add(
            "rss_after_cycles",
            f"RSS of serve after {runs} group runs at 1-second intervals",
            "MiB",
            [_rss_mib(ours.pid)],
            f"{time.monotonic() - clock:.0f} s",
        )
        result.add("cycles_done", "group runs observed", "runs", [float(runs)])
        result.add(
            "report_libraries",
            "report libraries mapped into serve after the runs",
            "count",
            [float(sum(maps.values()))],
            ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in maps.items()),
        )
    return result


# --- the report -----------------------------------------------------------------------


def machine(url: str | None = None) -> dict[str, str]:
    """The machine and server a run measures (the server at ``url``, default --url)."""
    with psycopg.connect(url or ADMIN_URL) as conn:
        row = conn.execute(_read("sql/server_version.sql")).fetchone()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        "postgresql": str(row[0]) if row else "?",
        "python": platform.python_version(),
        "commit": commit or "?",
        "load average at start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    if unit == "per scrape":
        return f"{value:.4f}"
    return f"{value:g}"


def _ratio(result: ScaleResult, a: str, b: str) -> str:
    fa, fb = result.figures.get(a), result.figures.get(b)
    if not fa or not fb or not fb.median:
        return "n/a"
    return f"{fa.median / fb.median:.3g}×"


RATIOS = (
    ("naive SQL cycle ÷ exporter cycle", "naive_cycle", "cycle"),
    ("exporter cycle ÷ lower bound", "cycle", "lower_bound"),
    ("collect process ÷ exporter cycle", "collect_process", "cycle"),
    ("process start ÷ collect process", "process_start", "collect_process"),
    ("exporter refresh ÷ plain daily_metrics refresh", "refresh", "naive_refresh"),
    ("requests/s: serve ÷ query-exporter", "serve_rps", "qe_rps"),
    ("p99 latency: serve ÷ query-exporter", "serve_p99", "qe_p99"),
    ("RSS: serve ÷ query-exporter", "serve_rss", "qe_rss"),
)


def _table(result: ScaleResult) -> list[str]:
    lines = ["| figure | median | min – max | n | note |", "|---|---:|---:|---:|---|"]
    for f in result.figures.values():
        spread = (
            f"{_fmt(min(f.samples), f.unit)} – {_fmt(max(f.samples), f.unit)}"
            if len(f.samples) > 1
            else ""
        )
        lines.append(
            f"| {f.name} | {_fmt(f.median, f.unit)} | {spread} | {len(f.samples)} | {f.note} |"
        )
    return lines


def nonnegative_line(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """(intercept, slope) of the least-squares line with both held at zero or above.

    A cycle time cannot fall below zero nor shrink as history grows; an unconstrained
    line through noisy points can do both (a slightly negative slope projected 100x
    gives a negative time). With two parameters the constrained optimum is the plain
    one when it is feasible, else the best line with one of them at zero.
    """
    fit = statistics.linear_regression(xs, ys)
    if fit.intercept >= 0 and fit.slope >= 0:
        return fit.intercept, fit.slope
    candidates = [(max(0.0, statistics.fmean(ys)), 0.0)]  # flat
    sxx = sum(x * x for x in xs)
    if sxx > 0:
        candidates.append((0.0, max(0.0, sum(x * y for x, y in zip(xs, ys, strict=True)) / sxx)))

    def sse(c: tuple[float, float]) -> float:
        return sum((c[0] + c[1] * x - y) ** 2 for x, y in zip(xs, ys, strict=True))

    return min(candidates, key=sse)


# Projections need a trend: with fewer measured scales only the measured points print.
MIN_SCALES_TO_PROJECT = 3


def _fit(results: list[ScaleResult]) -> list[str]:
    """Cycle time against session rows: a line that cannot go negative, and (from three
    measured scales on) its projections."""
    points = [
        (r.rows["user_sessions"], r.figures["cycle"].median)
        for r in results
        if "cycle" in r.figures
    ]
    if len(points) < 2:
        return []
    xs, ys = [float(p[0]) for p in points], [p[1] for p in points]
    intercept, slope = nonnegative_line(xs, ys)
    lines = [
        "## Cycle time against history size",
        "",
        f"Least-squares line over {len(points)} scales, intercept and slope held at zero or "
        f"above: cycle ≈ {intercept:.3f} s + {slope * 1e6:.3f} s per million session rows.",
        "",
        "| session rows | measured cycle | fitted |",
        "|---:|---:|---:|",
    ]
    lines += [f"| {x:,} | {_fmt(y, 's')} | {_fmt(intercept + slope * x, 's')} |" for x, y in points]
    if len(points) < MIN_SCALES_TO_PROJECT:
        lines += ["", f"No projection: {len(points)} measured scales show no trend to extend."]
        return [*lines, ""]
    base = min(xs)  # the platform today: 10× and 100× of the smallest scale measured
    for factor in (10, 100):
        x = base * factor
        lines.append(
            f"| {int(x):,} (projected, {factor}× the smallest) | | {_fmt(intercept + slope * x, 's')} |"
        )
    return [*lines, ""]


def write_report(
    path: Path,
    command: str,
    facts: dict[str, str],
    results: list[ScaleResult],
    cycles: ScaleResult | None,
) -> None:
    lines = [
        "# Benchmark results",
        "",
        "<!-- Generated by bench/run.py: never edit by hand, rerun it. -->",
        "",
        f"Command: `{command}` — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, evaluation instant T = {END.isoformat()}.",
        "",
        "The CPU is shared with other work: ratios within one run are what counts, not absolute times.",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in facts.items()],
        "",
    ]
    for r in results:
        rows = ", ".join(f"{k} {v:,}" for k, v in r.rows.items())
        lines += [f"## {r.scale} (`{r.database}`)", "", f"Rows: {rows}.", "", *_table(r), ""]
        lines += [
            "| ratio | value |",
            "|---|---:|",
            *[f"| {label} | {_ratio(r, a, b)} |" for label, a, b in RATIOS],
            "",
        ]
    lines += _fit(results)
    if cycles is not None:
        lines += [f"## serve over many cycles (`{cycles.database}`)", "", *_table(cycles), ""]
    path.write_text("\n".join(lines), encoding="utf-8")


ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def main(argv: list[str] | None = None) -> int:
    global ADMIN_URL
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--scales", default="medium,large", help="comma-separated: " + ", ".join(SCALES)
    )
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument(
        "--url", default=ADMIN_URL, help="a database on the server to create bench_<scale> from"
    )
    parser.add_argument("--fresh", action="store_true", help="drop and remake the bench databases")
    parser.add_argument("--use-seed", action="store_true", help="load the project's seed instead")
    parser.add_argument(
        "--keep", action="store_true", help="keep the servers' configs and logs (bench/results/)"
    )
    parser.add_argument("--drop", action="store_true", help="drop the bench databases at the end")
    parser.add_argument("--prefix", default="bench_", help="of the databases' names")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--load-requests", type=int, default=5000, help="requests per load round")
    parser.add_argument("--load-seconds", type=float, default=10.0, help="longest load round")
    parser.add_argument("--scrapes", type=int, default=1000)
    parser.add_argument(
        "--stats-wait", type=float, default=11.0, help="seconds for statistics to reach the server"
    )
    parser.add_argument(
        "--rss-cycles", type=int, default=1000, help="group runs before the RSS is read (0: skip)"
    )
    parser.add_argument("--qe-venv", type=Path, default=HERE / ".venv-qe")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "results.json")
    args = parser.parse_args(argv)
    ADMIN_URL = args.url
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    for s in scales:
        if s not in SCALES or (args.use_seed and s not in SEED_SCALES):
            parser.error(f"--scales: no scale {s!r}")
    if args.reps < 1:
        parser.error("--reps: at least 1")
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    facts = machine()
    folder = Path(tempfile.mkdtemp(prefix="execmetrics-bench-"))
    results: list[ScaleResult] = []
    cycles: ScaleResult | None = None
    made: list[str] = []
    try:
        for scale in scales:
            url = prepare(
                args.url, scale, fresh=args.fresh, use_seed=args.use_seed, prefix=args.prefix
            )
            made.append(scale)
            result = ScaleResult(
                scale, database_name(scale, args.use_seed, args.prefix), row_counts(url)
            )
            for step in (bench_processes, bench_sql, bench_engine, bench_refresh):
                print(f"bench: {scale}: {step.__name__}", file=sys.stderr)
                step(result, url, args.reps)
            print(f"bench: {scale}: servers", file=sys.stderr)
            bench_servers(result, url, folder, args)
            results.append(result)
        if args.rss_cycles > 0:
            print("bench: serve over many cycles", file=sys.stderr)
            small = prepare(
                args.url, "small", fresh=args.fresh and "small" not in scales, prefix=args.prefix
            )
            made.append("small")
            cycles = bench_cycles(small, folder, args.rss_cycles)
    finally:
        if args.keep:
            kept = HERE / "results" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(folder, kept)
            print(f"bench: kept {kept}", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)
        if args.drop:
            with psycopg.connect(args.url, autocommit=True) as admin:
                for scale in set(made):
                    seeded = args.use_seed and scale in scales
                    name = sql.Identifier(database_name(scale, seeded, args.prefix))
                    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    facts["load average at end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    write_report(args.out, command, facts, results, cycles)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "command": command,
        "machine": facts,
        "scales": [
            {
                "scale": r.scale,
                "rows": r.rows,
                "figures": {k: f.as_dict() for k, f in r.figures.items()},
            }
            for r in results
        ],
        "cycles": {k: f.as_dict() for k, f in cycles.figures.items()} if cycles else None,
    }
    args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print(f"bench: wrote {args.out} and {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
