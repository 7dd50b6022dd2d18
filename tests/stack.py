"""Helpers of the end-to-end stack test: free ports, managed server processes, and a
small client of Prometheus's HTTP API.

Every process is started with :func:`running`, which stops it by PID when its block
exits, however it exits (terminate, wait, then kill).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def console_script(name: str) -> str:
    """The installed console script ``name`` of the running interpreter's environment."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"console script {name!r} is not installed")
    return found


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


@dataclass
class Server:
    """A started server process, its base URL and its log file."""

    name: str
    proc: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def describe(self) -> str:
        status = "running" if self.proc.poll() is None else f"exited {self.proc.returncode}"
        return f"{self.name} (pid {self.proc.pid}, {status}), log:\n{tail(self.log)}"


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Terminate ``proc`` by its PID, wait for it, and kill it if it will not stop."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


@contextmanager
def running(
    name: str,
    argv: Sequence[str],
    base_url: str,
    log: Path,
    *,
    ready_path: str = "/-/ready",
    timeout: float = 30.0,
    env: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """Start ``argv``, wait until ``base_url + ready_path`` answers 200, yield; always stop."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=None if env is None else dict(env),
        )
        server = Server(name, proc, base_url, log)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited before it was ready: {server.describe()}")
                try:
                    if httpx.get(base_url + ready_path, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{name} not ready after {timeout:.0f}s: {server.describe()}"
                    )
                time.sleep(0.2)
            yield server
        finally:
            stop(proc)


def run_checked(
    argv: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 120.0
) -> str:
    """Run a command to completion; its stdout, or an error carrying its output."""
    result = subprocess.run(
        list(argv),
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def run_all_checked(
    commands: Sequence[tuple[Sequence[str], Mapping[str, str]]], timeout: float = 120.0
) -> None:
    """Run several commands at the same time; raise if any fails (with its output)."""
    procs = [
        subprocess.Popen(
            list(argv),
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv, env in commands
    ]
    failures = []
    try:
        for (argv, _), proc in zip(commands, procs, strict=True):
            out, err = proc.communicate(timeout=timeout)
            if proc.returncode != 0:
                failures.append(f"{' '.join(argv)} exited {proc.returncode}:\n{out}\n{err}")
    finally:
        for proc in procs:
            stop(proc)
    if failures:
        raise RuntimeError("\n".join(failures))


def environ(**extra: str) -> dict[str, str]:
    """The current environment without EXECMETRICS_* variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXECMETRICS_")}
    env.update(extra)
    return env


# --------------------------------------------------------------------------- exposition text

_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<v>\S+)")


def samples(exposition: str, name: str) -> list[tuple[str, float]]:
    """(label text, value) of every sample of metric ``name`` in an exposition text."""
    found = []
    for line in exposition.splitlines():
        m = _SAMPLE.match(line)
        if m and m["name"] == name:
            found.append((m["labels"] or "", float(m["v"])))
    return found


def sample(exposition: str, name: str, labels: str = "") -> float:
    """The value of the one sample of ``name`` whose label text is ``labels``."""
    values = [v for lbl, v in samples(exposition, name) if lbl == labels]
    if len(values) != 1:
        raise LookupError(f"{name}{{{labels}}}: {len(values)} samples in the exposition")
    return values[0]


# --------------------------------------------------------------------------- Prometheus


class PrometheusAPI:
    """The few endpoints of Prometheus's HTTP API the stack test reads."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.client = httpx.Client(base_url=base_url, timeout=10)

    def close(self) -> None:
        self.client.close()

    def _get(self, path: str, params: Any = None) -> Any:
        response = self.client.get(path, params=params)
        body = response.json()
        if response.status_code != 200 or body.get("status") != "success":
            raise PrometheusError(
                f"{path} {params}: HTTP {response.status_code}: "
                f"{body.get('errorType')}: {body.get('error')}"
            )
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> dict[str, Any]:
        """An instant query at ``at`` (Unix time; default now):
        ``{"resultType": ..., "result": ...}``."""
        params: dict[str, str] = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return dict(self._get("/api/v1/query", params))

    def vector(self, expr: str) -> list[dict[str, Any]]:
        data = self.query(expr)
        if data["resultType"] != "vector":
            raise PrometheusError(f"{expr}: a {data['resultType']}, not a vector")
        return list(data["result"])

    def label_values(self, label: str, match: str) -> list[str]:
        return list(self._get(f"/api/v1/label/{label}/values", {"match[]": match}))

    def series(self, match: str) -> list[dict[str, str]]:
        return list(self._get("/api/v1/series", {"match[]": match}))

    def rule_groups(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/rules")["groups"])

    def alerts(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/alerts")["alerts"])

    def wait_for(
        self, what: str, condition: Callable[[], bool], deadline: float, interval: float = 0.5
    ) -> None:
        """Poll ``condition`` until it holds; fail with ``what`` at ``deadline`` (monotonic)."""
        while True:
            try:
                if condition():
                    return
            except (httpx.HTTPError, PrometheusError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            time.sleep(interval)


class PrometheusError(Exception):
    pass


def go_time(text: str) -> datetime:
    """An RFC 3339 instant as Prometheus writes it (nanoseconds, Z or offset)."""
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text)
    if m is None:
        raise ValueError(f"not an RFC 3339 instant: {text!r}")
    fraction = f".{(m[2] or '0')[:6]:0<6}"
    zone = "+00:00" if m[3] == "Z" else m[3]
    return datetime.fromisoformat(m[1] + fraction + zone)


@contextmanager
def prometheus_on_history(
    promtool: str, prometheus: str, history: Path, folder: Path
) -> Iterator[str]:
    """A real Prometheus on the blocks promtool makes of an OpenMetrics ``history``
    (kept for 100 years, no scraping), its files in ``folder``; yields its base URL."""
    blocks = folder / "data"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(history), str(blocks)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    conf = folder / "prometheus.yml"
    conf.write_text("global: {}\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [
        prometheus,
        f"--config.file={conf}",
        f"--storage.tsdb.path={blocks}",
        "--storage.tsdb.retention.time=100y",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with running("prometheus", argv, base, folder / "prometheus.log", timeout=60):
        yield base
