"""Benchmark: how soon a committed change shows in /metrics, and what staying fresh costs.

Rerunnable against a migrated, loaded database that may be written to (a copy of the
medium dataset: ``createdb -T em_medium em_live``; never the original):

    python bench/freshness.py --database postgresql://postgres@127.0.0.1:5432/em_live

For each mode it migrates the database accordingly, starts ``execmetrics serve`` on a
free 127.0.0.1 port and then:

* freshness: ``--samples`` times, INSERTs one subscription (a distinct amount),
  and from the moment its COMMIT returns polls GET /metrics every 10 ms until
  ``execmetrics_mrr`` shows the new total; a random pause of 1-3 s between samples
  keeps them out of step with any schedule. Prints the median, p95 and maximum;
* database time, per minute, over an idle window without changes (after the first
  runs are over) and then over the freshness samples (one change every ~2-3 s): the
  seconds the group queries ran (the "computed … in T s" lines of serve's log, as
  pg_stat_statements' total_exec_time would count them), and the user + system CPU
  time of the server's PostgreSQL backends (``/proc/<pid>/stat`` of the
  pg_stat_activity rows whose application_name is the exporter's; parallel query
  workers come and go within a query and are not counted, so this is a lower bound);
* bursts (triggers and poll only): one INSERT of 10,000 rows, then 10,000 single-row
  INSERTs each committed on its own (synchronous_commit off for speed); the
  recomputes the server logged for each.

Modes: ``trigger`` (``migrate --notify``, LISTEN, groups scheduled hourly),
``trigger-core`` (the same, with growth left out of ``changes.groups``), ``poll`` (no
triggers, ``changes.poll_seconds`` = ``--poll-seconds``, groups hourly) and ``naive``
(no change feed, every group every 2 s: the full cycle). The view refresh
is hourly in every mode, so only the group computations are compared. Every row the
benchmark adds is deleted again once the server has stopped.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import yaml

from exporter.config import GROUP_NAMES, parse_config
from exporter.migrate import migrate

FIRST_ID = 900_000_000  # the benchmark's own subscription ids
_MRR = re.compile(rb'^execmetrics_mrr\{currency="(?P<cur>[A-Z]{3})"\} (?P<v>\S+)$', re.MULTILINE)
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    mode: str
    latencies: list[float]
    busy_cpu_per_minute: float
    idle_cpu_per_minute: float
    busy_exec_per_minute: float
    idle_exec_per_minute: float
    bursts: dict[str, int]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config_for(mode: str, poll_seconds: float) -> dict[str, object]:
    interval = 2 if mode == "naive" else 3600
    return {
        "groups": {str(g): {"interval_seconds": interval} for g in GROUP_NAMES},
        "refresh": {"interval_seconds": 3600},
        "changes": {
            "listen": mode.startswith("trigger"),
            **({"poll_seconds": poll_seconds} if mode == "poll" else {}),
            **(
                {"groups": [str(g) for g in GROUP_NAMES if g != "growth"]}
                if mode == "trigger-core"
                else {}
            ),
        },
    }


class Serve:
    def __init__(
        self, url: str, config: Path, workdir: Path, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.log = workdir / "serve.log"
        binary = shutil.which("execmetrics", path=str(Path(sys.executable).parent))
        assert binary is not None, "execmetrics is not installed in this environment"
        with self.log.open("wb") as err:
            self.process = subprocess.Popen(
                [binary, "--config", str(config), "serve", "--listen", f"127.0.0.1:{self.port}"],
                env={**os.environ, **(env or {}), "EXECMETRICS_DATABASE_URL": url},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def get(self, path: str) -> tuple[int, bytes]:
        for _ in range(2):
            try:
                self.http.request("GET", path)
                response = self.http.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException):
                self.http.close()
                self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        raise ConnectionError(f"GET {path} failed twice")

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"serve exited: {self.log.read_text()[-2000:]}")
            try:
                if self.get("/-/ready")[0] == 200:
                    return
            except (ConnectionError, OSError):
                pass
            time.sleep(0.2)
        raise SystemExit("serve not ready in time")

    def mrr(self) -> float:
        body = self.get("/metrics")[1]
        m = _MRR.search(body)
        assert m is not None, "no execmetrics_mrr in /metrics"
        return float(m["v"])

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def backend_cpu(monitor: psycopg.Connection) -> dict[int, float]:
    """CPU seconds so far of each backend of the exporter, by pid."""
    pids = [
        r[0]
        for r in monitor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name LIKE 'execmetrics%'"
        )
    ]
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
    return out


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


def insert_one(conn: psycopg.Connection, sub_id: int, amount_minor: int) -> None:
    conn.execute(
        "INSERT INTO subscriptions (id, supplier_id, plan, status, amount_minor, currency,"
        " interval_months, started_at)"
        " VALUES (%s, 1, 'bench', 'active', %s, 'GBP', 1, now() - interval '1 minute')",
        (sub_id, amount_minor),
    )


def freshness(serve: Serve, conn: psycopg.Connection, samples: int, next_id: int) -> list[float]:
    out = []
    for i in range(samples):
        time.sleep(random.uniform(1.0, 3.0))
        before = serve.mrr()
        amount = 1000 + i  # £10.00, £10.01, …: each sample moves MRR by its own amount
        insert_one(conn, next_id + i, amount)  # autocommit: committed when it returns
        committed = time.perf_counter()
        expected = before + amount / 100
        while abs(serve.mrr() - expected) > 0.005:
            if time.perf_counter() - committed > 60:
                raise SystemExit(f"MRR did not reach {expected} within 60 s")
            time.sleep(0.01)
        out.append(time.perf_counter() - committed)
        print(f"  sample {i + 1:3d}: {out[-1] * 1000:7.0f} ms", flush=True)
    return out


def count(lines: list[str], start: int, text: str) -> int:
    return sum(1 for line in lines[start:] if text in line)


_RAN = re.compile(r"group \w+ (?:computed \d+ samples in|failed after) (?P<s>[0-9.]+)s")


def exec_seconds(lines: list[str], start: int, end: int) -> float:
    """Seconds the group computations logged between two line marks ran for."""
    return sum(float(m["s"]) for line in lines[start:end] if (m := _RAN.search(line)))


def bursts(serve: Serve, conn: psycopg.Connection, next_id: int, settle: float) -> dict[str, int]:
    out = {}
    conn.execute("SET synchronous_commit = off")
    for name in ("one statement of 10,000 rows", "10,000 single-row commits"):
        time.sleep(settle)
        mark = len(serve.log_lines())
        if name.startswith("one"):
            conn.execute(
                "INSERT INTO subscriptions (id, supplier_id, plan, status, amount_minor,"
                " currency, interval_months, started_at)"
                " SELECT %s + g, 1, 'bench', 'active', 100, 'GBP', 1, now()"
                " FROM generate_series(0, 9999) AS g",
                (next_id,),
            )
        else:
            started = time.perf_counter()
            for i in range(10_000):
                insert_one(conn, next_id + i, 100)
            print(f"  10,000 commits took {time.perf_counter() - started:.1f} s")
        next_id += 10_000
        time.sleep(settle)
        lines = serve.log_lines()
        out[name] = count(lines, mark, "group revenue computed")
        print(f"  {name}: {out[name]} recompute(s) of revenue")
    conn.execute("SET synchronous_commit = on")
    return out


def run_mode(url: str, mode: str, samples: int, poll_seconds: float, idle_seconds: float) -> Result:
    print(f"== {mode}", flush=True)
    settings = config_for(mode, poll_seconds)
    migrate(url, parse_config(settings), notify=mode.startswith("trigger"))
    with (
        tempfile.TemporaryDirectory(prefix="freshness-") as tmp,
        psycopg.connect(url, autocommit=True, application_name="freshness-bench") as conn,
    ):
        config = Path(tmp) / "execmetrics.yml"
        config.write_text(yaml.safe_dump(settings), encoding="utf-8")
        conn.execute("DELETE FROM subscriptions WHERE id >= %s", (FIRST_ID,))
        serve = Serve(url, config, Path(tmp))
        try:
            serve.wait_ready()
            time.sleep(10)  # the first runs of every group are over
            mark0, cpu0, clock0 = len(serve.log_lines()), backend_cpu(conn), time.perf_counter()
            time.sleep(idle_seconds)
            mark1, cpu1, clock1 = len(serve.log_lines()), backend_cpu(conn), time.perf_counter()
            latencies = freshness(serve, conn, samples, FIRST_ID)
            time.sleep(8)  # the recomputes of the last sample end inside the window
            mark2, cpu2, clock2 = len(serve.log_lines()), backend_cpu(conn), time.perf_counter()
            lines = serve.log_lines()
            idle = cpu_between(cpu0, cpu1) / (clock1 - clock0) * 60
            busy = cpu_between(cpu1, cpu2) / (clock2 - clock1) * 60
            idle_exec = exec_seconds(lines, mark0, mark1) / (clock1 - clock0) * 60
            busy_exec = exec_seconds(lines, mark1, mark2) / (clock2 - clock1) * 60
            burst = {} if mode == "naive" else bursts(serve, conn, FIRST_ID + 1_000_000, 3.0)
        finally:
            serve.stop()
            conn.execute("DELETE FROM subscriptions WHERE id >= %s", (FIRST_ID,))
    return Result(mode, latencies, busy, idle, busy_exec, idle_exec, burst)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", default=os.environ.get("EXECMETRICS_DATABASE_URL"), required=False
    )
    parser.add_argument("--modes", default="trigger,trigger-core,poll,naive")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args()
    if not args.database:
        raise SystemExit("--database (or EXECMETRICS_DATABASE_URL) is required")
    results = [
        run_mode(args.database, mode, args.samples, args.poll_seconds, args.idle_seconds)
        for mode in args.modes.split(",")
    ]
    # Leave the database as the benchmark found it: no triggers.
    migrate(args.database, parse_config({}), notify=False)
    print()
    print("freshness of MRR in /metrics after a commit; database time per minute")
    print("                               query s/min        backend CPU s/min")
    print("mode          median   p95    changes  idle      changes  idle      bursts")
    for r in results:
        print(
            f"{r.mode:12s} {statistics.median(r.latencies):5.2f}s {p95(r.latencies):5.2f}s"
            f"   {r.busy_exec_per_minute:6.1f} {r.idle_exec_per_minute:6.1f}"
            f"     {r.busy_cpu_per_minute:6.1f} {r.idle_cpu_per_minute:6.1f}"
            f"    {r.bursts or '-'}"
        )


if __name__ == "__main__":
    main()
