"""Where the SQL lives: ``sql/`` in the repository, ``exporter/sql`` inside the wheel."""

from __future__ import annotations

import functools
from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "sql"
_REPOSITORY = Path(__file__).resolve().parent.parent / "sql"


@functools.cache
def sql_root() -> Path:
    for candidate in (_PACKAGED, _REPOSITORY):
        if (candidate / "groups").is_dir():
            return candidate
    raise FileNotFoundError("the SQL files are missing from this installation")


@functools.cache
def read_sql(relative: str) -> str:
    """The text of one SQL file, e.g. ``groups/revenue/summary.sql``."""
    return (sql_root() / relative).read_text(encoding="utf-8")


def sql_files(folder: str, pattern: str = "*.sql") -> list[Path]:
    """The SQL files of a folder in lexical order."""
    return sorted((sql_root() / folder).glob(pattern))
