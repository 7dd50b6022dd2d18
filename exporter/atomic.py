"""Files written whole or not at all: a temporary file beside the target, then a rename.

A reader (a user, promtool, the reports page) never sees half a file, and a failure
part-way leaves the previous file, if any, untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from exporter.errors import ConfigError


def check_writable(path: Path, what: str = "--out") -> Path:
    """Refuse early (before any work) a path that cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{what}: {path} is a directory, not a file")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(f"{what}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"{what}: cannot write to directory {parent}")
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(f"{what}: cannot overwrite {path}")
    return path


@contextlib.contextmanager
def atomic_writer(path: Path, what: str = "--out") -> Iterator[IO[bytes]]:
    """A binary file object whose content replaces ``path`` when the block succeeds."""
    path = check_writable(path, what)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path(".")
        )
    except OSError as exc:
        raise ConfigError(f"{what}: cannot write {path}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"{what}: cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes, what: str = "--out") -> None:
    with atomic_writer(path, what) as out:
        out.write(data)
