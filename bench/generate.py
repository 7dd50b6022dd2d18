"""The benchmark's data: a database ``bench_<scale>`` filled on the server by its own generator.

    python -m bench.generate --scale medium [--fresh] [--use-seed]

The generator (bench/sql/generate/*.sql, ``INSERT … SELECT generate_series`` with
``random()`` under a fixed ``setseed``) is not the project's seed, so the exporter is
measured on data it was not tuned against. It loads the six source tables of the
reference DDL (``execmetrics migrate --create-source-tables``, exporter/contract.py),
which carries plain indexes on the time columns, then VACUUM ANALYZE.

A database already made by the same generator version at the same scale is reused
(migrated to this checkout's exporter schema); ``--fresh`` drops and remakes it. ``--use-seed`` loads ``execmetrics seed``
instead (database ``bench_seed_<scale>``), for comparison.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from exporter.contract import SourceTable

GENERATOR_VERSION = "1"
END = datetime(2026, 12, 1, tzinfo=UTC)  # last instant of every scale's history
SEED = 0.42
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class BenchScale:
    name: str
    suppliers: int
    couples: int
    sessions: int
    invitations: int
    days: int


# medium: two years; large: the same density with twice the history; xlarge: four times
# denser than medium over the same two years; x10: ten times medium's density (50 M
# sessions, 200 k suppliers) over the same two years, the 10x of docs/scaling.md.
SCALES: dict[str, BenchScale] = {
    "small": BenchScale("small", 1_000, 10_000, 150_000, 9_000, 365),
    "medium": BenchScale("medium", 20_000, 200_000, 5_000_000, 300_000, 730),
    "large": BenchScale("large", 20_000, 200_000, 10_000_000, 600_000, 1_461),
    "xlarge": BenchScale("xlarge", 80_000, 800_000, 20_000_000, 1_200_000, 730),
    "x10": BenchScale("x10", 200_000, 2_000_000, 50_000_000, 3_000_000, 730),
}
SEED_SCALES = ("small", "medium", "large")


def server_url(url: str, database: str) -> str:
    """``url`` (a postgresql:// URL) with its database replaced."""
    return urlunsplit(urlsplit(url)._replace(path="/" + database))


def database_name(scale: str, use_seed: bool, prefix: str = "bench_") -> str:
    return f"{prefix}seed_{scale}" if use_seed else f"{prefix}{scale}"


def _marker(use_seed: bool) -> str:
    return "seed" if use_seed else f"generator {GENERATOR_VERSION}"


def _made_by(url: str) -> str | None:
    """What made the database at ``url`` (bench.made), or None."""
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT made_by FROM bench.made WHERE to_regclass('bench.made') IS NOT NULL"
            ).fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    except psycopg.OperationalError:
        return None
    return str(row[0]) if row else None


def _execmetrics(url: str, *args: str) -> None:
    script = Path(sys.prefix) / "bin" / "execmetrics"
    env = {"EXECMETRICS_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    subprocess.run([str(script), *args], env=env, check=True, stdout=subprocess.DEVNULL)


def _read(name: str) -> str:
    return (HERE / "sql" / name).read_text(encoding="utf-8")


def generate(url: str, scale: BenchScale) -> None:
    params = {
        "seed": SEED,
        "end": END,
        "days": scale.days,
        "suppliers": scale.suppliers,
        "couples": scale.couples,
        "sessions": scale.sessions,
        "invitations": scale.invitations,
    }
    with psycopg.connect(url) as conn:
        for path in sorted((HERE / "sql" / "generate").glob("*.sql")):
            conn.execute(path.read_text(encoding="utf-8"), params)
        conn.commit()


def prepare(
    admin_url: str,
    scale: str,
    *,
    fresh: bool = False,
    use_seed: bool = False,
    prefix: str = "bench_",
) -> str:
    """The URL of a ready ``bench_<scale>`` database, made when missing or stale."""
    name = database_name(scale, use_seed, prefix)
    url = server_url(admin_url, name)
    if not fresh and _made_by(url) == _marker(use_seed):
        _execmetrics(url, "migrate")  # this checkout's exporter schema, when it moved on
        return url
    began = time.perf_counter()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    _execmetrics(url, "migrate", "--create-source-tables")
    if use_seed:
        _execmetrics(url, "seed", "--scale", scale, "--end", END.isoformat(), "--no-progress")
    else:
        generate(url, SCALES[scale])
    with psycopg.connect(url, autocommit=True) as conn:
        for table in SourceTable:
            conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table.value)))
        # several statements: bound on the client
        psycopg.ClientCursor(conn).execute(
            _read("made.sql"), {"made_by": _marker(use_seed), "scale": scale}
        )
    # The rollups were built on the empty tables: migrate rebuilds them over the rows, as
    # a deployment's first refresh would, so that no figure is measured on stale rollups.
    _execmetrics(url, "migrate")
    print(
        f"bench: made {name} ({_marker(use_seed)}) in {time.perf_counter() - began:.0f} s",
        file=sys.stderr,
    )
    return url


def row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            t.value: int(
                conn.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t.value))
                ).fetchone()[0]  # type: ignore[index]
            )
            for t in SourceTable
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--use-seed", action="store_true")
    args = parser.parse_args()
    if args.use_seed and args.scale not in SEED_SCALES:
        parser.error(f"--use-seed: the seed has no scale {args.scale!r}")
    url = prepare(args.url, args.scale, fresh=args.fresh, use_seed=args.use_seed)
    print(url, asdict(SCALES[args.scale]), row_counts(url))


if __name__ == "__main__":
    main()
