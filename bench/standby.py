"""Benchmark: commit-to-/metrics time through a hot standby, beside the primary's.

Rerunnable; it makes its own servers and removes them afterwards:

    python -m bench.standby                  # 20 samples per mode, small dataset
    python -m bench.standby --samples 40 --scale medium

A temporary primary (initdb on a free 127.0.0.1 port, tests/pgserver.py) is migrated
with the change triggers (``migrate --create-source-tables --notify``) and seeded
(``execmetrics seed --scale``); then a streaming hot standby of it (``pg_basebackup -R``,
``hot_standby_feedback = on``). Every group and the refresh run hourly, so only the
change feed brings a commit to /metrics. For each mode, one after the other in the same
run, ``execmetrics serve`` starts and bench/freshness.py's sampler INSERTs one
subscription on the primary ``--samples`` times (random 1-3 s gaps) and polls /metrics
every 10 ms from the moment the COMMIT returns until the new MRR shows:

* ``primary``: serve reads the primary and LISTENs there (the reference);
* ``standby``: serve reads the standby, ``refresh.database_url`` is the primary: it
  LISTENs on the primary and waits for the standby's replay before recomputing;
* ``standby-poll``: serve reads the standby with no primary URL: it polls the
  standby's high-water marks every second.

Prints each mode's median, p95 and maximum and each median's ratio to the primary's.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import yaml

from bench.freshness import FIRST_ID, Serve, freshness, p95
from exporter.config import GROUP_NAMES
from tests.pgserver import LocalPostgres, local_postgres, local_standby

MODES = ("primary", "standby", "standby-poll")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def execmetrics(url: str, *args: str) -> None:
    binary = Path(sys.executable).with_name("execmetrics")
    env = {"EXECMETRICS_DATABASE_URL": url, "PATH": str(binary.parent)}
    subprocess.run([str(binary), *args], env=env, check=True, stdout=subprocess.DEVNULL)


def wait_replayed(primary: LocalPostgres, standby: LocalPostgres, timeout: float = 600) -> None:
    with psycopg.connect(primary.url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_current_wal_lsn()").fetchone()
    assert row is not None
    deadline = time.monotonic() + timeout
    with psycopg.connect(standby.url, autocommit=True) as conn:
        while True:
            done = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", row).fetchone()
            if done is not None and done[0]:
                return
            if time.monotonic() > deadline:
                raise SystemExit("the standby did not catch up")
            time.sleep(0.1)


def settings_for(mode: str) -> dict[str, object]:
    return {
        "groups": {str(g): {"interval_seconds": 3600} for g in GROUP_NAMES},
        "refresh": {"interval_seconds": 3600, "enabled": mode != "standby-poll"},
        "changes": {"listen": True},
    }


def run_mode(
    mode: str, primary: LocalPostgres, standby: LocalPostgres, samples: int, first_id: int
) -> list[float]:
    print(f"== {mode}", flush=True)
    url = primary.url if mode == "primary" else standby.url
    env = {"EXECMETRICS_REFRESH_DATABASE_URL": primary.url} if mode == "standby" else {}
    with (
        tempfile.TemporaryDirectory(prefix="standby-bench-") as tmp,
        psycopg.connect(primary.url, autocommit=True, application_name="standby-bench") as conn,
    ):
        config = Path(tmp) / "execmetrics.yml"
        config.write_text(yaml.safe_dump(settings_for(mode)), encoding="utf-8")
        serve = Serve(url, config, Path(tmp), env=env)
        try:
            serve.wait_ready()
            time.sleep(5)  # the first runs of every group are over
            latencies = freshness(serve, conn, samples, first_id)
        finally:
            serve.stop()
        feed = [line for line in serve.log_lines() if "change feed:" in line]
        print(f"  {feed[-1].split('change feed: ')[-1] if feed else 'no change feed line'}")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--scale", choices=("small", "medium", "large"), default="small")
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args()
    modes = args.modes.split(",")
    results: dict[str, list[float]] = {}
    with local_postgres(free_port()) as primary:
        print(f"primary on port {primary.port}: migrate --notify, seed --scale {args.scale}")
        execmetrics(primary.url, "migrate", "--create-source-tables", "--notify")
        execmetrics(primary.url, "seed", "--scale", args.scale, "--no-progress")
        execmetrics(primary.url, "migrate")  # the rollups over the seeded rows
        feedback = {"hot_standby_feedback": "on"}
        with local_standby(primary, free_port(), settings=feedback) as standby:
            wait_replayed(primary, standby)
            print(f"standby on port {standby.port}, replayed")
            for i, mode in enumerate(modes):
                results[mode] = run_mode(
                    mode, primary, standby, args.samples, FIRST_ID + i * 10_000
                )
    reference = statistics.median(results[modes[0]])
    print()
    print(f"commit to /metrics, {args.samples} samples each, scale {args.scale}")
    print(f"mode           median    p95    max   median / {modes[0]}'s")
    for mode, values in results.items():
        median = statistics.median(values)
        print(
            f"{mode:13s} {median:6.3f}s {p95(values):6.3f}s {max(values):6.3f}s"
            f"   {median / reference:5.2f}"
        )


if __name__ == "__main__":
    main()
