"""Real ``execmetrics serve`` processes for fault tests: started, probed, stopped by PID."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.cli_support import cli_env, execmetrics_bin, free_port


@dataclass
class Serve:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str, timeout: float = 5, **kw: object) -> httpx.Response:
        return httpx.get(self.base_url + path, timeout=timeout, **kw)  # type: ignore[arg-type]

    def metric(self, name: str, **labels: str) -> float | None:
        """One sample of the current /metrics, or None when absent."""
        body = self.get("/metrics").text
        for family in text_string_to_metric_families(body):
            for s in family.samples:
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                    return float(s.value)
        return None

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, then the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return int(self.process.returncode)


def write_config(folder: Path, settings: dict[str, object]) -> Path:
    path = folder / "config.yml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


@contextmanager
def serve_process(
    database_url: str,
    folder: Path,
    *args: str,
    config: Path | None = None,
    name: str = "serve",
    env: dict[str, str] | None = None,
) -> Iterator[Serve]:
    """Start ``execmetrics serve`` on a free port (not waiting for anything)."""
    port = free_port()
    log = folder / f"{name}.stderr.log"
    command = [execmetrics_bin()]
    if config is not None:
        command += ["--config", str(config)]
    command += ["serve", "--listen", f"127.0.0.1:{port}", *args]
    with log.open("wb") as err:
        process = subprocess.Popen(
            command,
            env=cli_env(database_url, **(env or {})),
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    scheme = "https" if "--web-config" in args else "http"
    server = Serve(f"{scheme}://127.0.0.1:{port}", process, log)
    try:
        yield server
    finally:
        server.stop()


def eventually(
    condition: Callable[[], object], timeout: float, what: str, every: float = 0.2
) -> object:
    """Poll until ``condition()`` is truthy (exceptions count as false)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except (httpx.TransportError, OSError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:g}s (last: {last!r})")
