"""Helpers shared by the tests that run the console script: its path, a clean
environment, free ports, a small hand-made dataset, and a serving process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.instants import T

SECRET = "pa55-w0rd-never-shown"
READY_TIMEOUT = 30.0


def execmetrics_bin() -> str:
    """The console script of the environment running the tests."""
    candidate = Path(sys.prefix) / "bin" / "execmetrics"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("execmetrics")
    if found is None:
        pytest.fail("the execmetrics console script is not installed (pip install -e .)")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bind port 0, then release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dead_url() -> str:
    return f"postgresql://execmetrics:{SECRET}@127.0.0.1:{free_port()}/platform"


def cli_env(database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The test process's environment without any EXECMETRICS_* setting of its own.

    Without a URL, one that points at a port nothing listens on, so that no test ever
    reaches the default URL's server by accident.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXECMETRICS_")}
    env["EXECMETRICS_DATABASE_URL"] = database_url or dead_url()
    env.update(extra)
    return env


def run_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [execmetrics_bin(), *args],
        env=dict(env) if env is not None else cli_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int | None = None) -> str:
    """Exactly one line on stderr, ``execmetrics: error: …``, non-zero exit, no traceback."""
    assert proc.returncode != 0, proc
    if code is not None:
        assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("execmetrics: error: "), lines[0]
    return lines[0]


def load_small_dataset(url: str, t: datetime = T) -> None:
    """A few hand-made rows around ``t`` (public schema, already migrated)."""
    h = timedelta(hours=1)
    d = timedelta(days=1)
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO suppliers (id, created_at, deleted_at, category, country) VALUES"
            " (1, %(old)s, NULL, 'photography', 'GB'),"
            " (2, %(today)s, NULL, 'venues', 'GB'),"
            " (3, %(old)s, %(deleted)s, 'florists', 'FR')",
            {"old": t - 200 * d, "today": t - 3 * h, "deleted": t - 14 * d},
        )
        conn.execute(
            "INSERT INTO couples (id, created_at, deleted_at, wedding_date, country) VALUES"
            " (10, %(old)s, NULL, NULL, 'GB'), (11, %(today)s, NULL, NULL, NULL)",
            {"old": t - 200 * d, "today": t - h},
        )
        conn.execute(
            "INSERT INTO subscriptions (id, supplier_id, plan, status, amount_minor, currency,"
            " interval_months, started_at, trial_ends_at, ended_at) VALUES"
            " (1, 1, 'pro', 'active', 2999, 'GBP', 1, %(old)s, NULL, NULL),"
            " (2, 2, 'annual', 'active', 12000, 'GBP', 12, %(new)s, NULL, NULL),"
            " (3, 3, 'pro', 'canceled', 5000, 'GBP', 1, %(old)s, NULL, %(ended)s)",
            {"old": t - 150 * d, "new": t - 2 * h, "ended": t - 14 * d},
        )
        conn.execute(
            "INSERT INTO user_sessions (id, supplier_id, couple_id, created_at, session_duration)"
            " VALUES (1, 1, NULL, %(s1)s, 600), (2, NULL, 10, %(s2)s, 1200),"
            " (3, NULL, 11, %(s3)s, NULL)",
            {"s1": t - h, "s2": t - 2 * d, "s3": t - timedelta(minutes=10)},
        )
        conn.execute(
            "INSERT INTO invitations (id, supplier_id, couple_id, channel, sent_at, accepted_at)"
            " VALUES (1, 1, 11, 'email', %(sent)s, %(accepted)s),"
            " (2, 1, NULL, 'sms', %(sent)s, NULL)",
            {"sent": t - 3 * d, "accepted": t - 1 * d},
        )


# The small dataset at T, by hand (reporting currency GBP, time zone UTC):
#   MRR(T)  = 2999/1/100 + 12000/12/100            = 29.99 + 10.00 = 39.99
#   MRR(M1) = 29.99 + 5000/1/100 (supplier 3, ended T - 14 d) = 79.99
#   growth  = (39.99 - 79.99) / 79.99 ; customer churn = 1 of 2 paying at M1 = 0.5
#   users: suppliers 1 and 2 exist (3 was deleted), couples 10 and 11;
#          sign-ups today: supplier 2, couple 11
#   viral (30d): 2 sent, 1 accepted, 1 active supplier -> K = 1 / 1 = 1.0
#   session average (7d, duration > 0): (600 + 1200) / 2 = 900
EXPECTED_MRR = 39.99
EXPECTED_MRR_M1 = 79.99


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path
    final_stderr: str | None = None  # kept once the process is stopped

    def stderr(self) -> str:
        if self.final_stderr is not None:
            return self.final_stderr
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serving(
    database_url: str, *args: str, ready_timeout: float = READY_TIMEOUT, port: int | None = None
) -> Iterator[Server]:
    """Start ``execmetrics serve`` on a free 127.0.0.1 port (or ``port``), wait for
    /-/ready, stop it by PID."""
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="execmetrics-serve-") as tmp:
        log = Path(tmp) / "stderr.log"
        with log.open("wb") as err:
            process = subprocess.Popen(
                [execmetrics_bin(), *args, "serve", "--listen", f"127.0.0.1:{port}"],
                env=cli_env(database_url),
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        server = Server(f"http://127.0.0.1:{port}", process, log)
        try:
            deadline = time.monotonic() + ready_timeout
            while True:
                if process.poll() is not None:
                    pytest.fail(f"serve exited with {process.returncode}: {server.stderr()}")
                try:
                    if httpx.get(server.base_url + "/-/ready", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"serve not ready after {ready_timeout:.0f}s: {server.stderr()}")
                time.sleep(0.1)
            yield server
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            server.final_stderr = server.stderr()


def exposition_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    values = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return values
