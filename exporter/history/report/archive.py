"""The reports directory: built reports kept whole (temporary file, then rename), the
newest N of each kind kept, listed for the landing page and ``/reports/``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from exporter.atomic import write_bytes

# monthly-2026-11.pdf, monthly-2026-11.csv, weekly-2026-11-30.csv
NAME = re.compile(
    r"^(?P<kind>monthly|weekly)-(?P<period>[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?)\.(?P<ext>pdf|csv)$"
)


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str
    period: str
    ext: str
    size: int
    modified: datetime


def entries(directory: Path) -> list[Entry]:
    """The reports in ``directory``, newest period first."""
    if not directory.is_dir():
        return []
    out = []
    for path in directory.iterdir():
        m = NAME.match(path.name)
        if m is None or not path.is_file():
            continue
        stat = path.stat()
        out.append(
            Entry(
                path.name,
                m["kind"],
                m["period"],
                m["ext"],
                stat.st_size,
                datetime.fromtimestamp(stat.st_mtime, UTC),
            )
        )
    return sorted(out, key=lambda e: (e.period, e.kind, e.ext), reverse=True)


def latest_pdf(directory: Path) -> Path | None:
    for e in entries(directory):
        if e.kind == "monthly" and e.ext == "pdf":
            return directory / e.name
    return None


def resolve(directory: Path, name: str) -> Path | None:
    """A report file by name; None for anything that is not one (no path tricks)."""
    if NAME.match(name) is None:
        return None
    path = directory / name
    return path if path.is_file() else None


def save(directory: Path, name: str, body: bytes, keep: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    write_bytes(path, body, what="reports.directory")
    prune(directory, keep)
    return path


def prune(directory: Path, keep: int) -> list[str]:
    """Keep the newest ``keep`` periods of each kind and format; remove the rest."""
    removed = []
    seen: dict[tuple[str, str], int] = {}
    for e in entries(directory):
        n = seen.get((e.kind, e.ext), 0) + 1
        seen[(e.kind, e.ext)] = n
        if n > keep:
            (directory / e.name).unlink(missing_ok=True)
            removed.append(e.name)
    return removed
