"""Plain against partitioned event tables, at the benchmark's scales (the 10x of docs/scaling.md).

    python -m bench.layouts --scales medium,x10 [--reps 3] [--backfill-reps 2]

For each scale it makes (or reuses) ``bench_<scale>`` with bench/generate.py, then copies
its rows into a second layout in the same database: schema ``bench_parted``, made by
examples/partitioned_source.sql (``user_sessions`` and ``invitations`` partitioned by
month, with a default partition; the months without rows dropped), read by an exporter schema of its own,
``execmetrics_parted``. Both layouts then share one server, one buffer cache and the
same rows, and each figure alternates between them, ``--reps`` times:

- the exporter's cycle (every group concurrently at the history's end, ``Engine.run_all``)
  and each group alone (``Engine.run_group``);
- the refresh as ``serve`` runs it (``refresh_views``, nothing new to roll up) and the
  full rebuild of the session rollups (``refresh_session_rollups(true)``, as ``migrate``
  and the daily full pass run it);
- a backfill of 31 daily instants (``evaluate_many``), as instants per second;
- the partitions one cycle scans (``pg_stat_user_tables``).

Writes ``--out`` (default bench/LAYOUTS.md, generated: never edit it by hand). Medians
with min–max; the ratios are within one run. ``--drop`` drops each scale's database
after it is measured (a 10x database holds tens of GB).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from bench.generate import END, database_name, prepare, row_counts
from bench.report import foot, head, scales_of
from bench.run import ADMIN_URL, machine
from bench.timing import group_durations, timed
from exporter.config import Config, parse_config
from exporter.db import Database
from exporter.engine import DEFAULT_JOBS, Engine, evaluate_many
from exporter.groups import GROUPS, Group
from exporter.history.backfill import instants, parse_step
from exporter.migrate import migrate
from exporter.refresh import refresh_views

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LAYOUTS = ("plain", "partitioned")
PARTED_SOURCE, PARTED_EXPORTER = "bench_parted", "execmetrics_parted"


def _read(name: str) -> str:
    return (HERE / "sql" / "layouts" / name).read_text(encoding="utf-8")


def configs() -> dict[str, Config]:
    """Each layout's configuration: its source schema and an exporter schema of its own."""
    refresh = {"interval_seconds": 1.0}
    # A backfill's pass over 8 instants at 10x runs past the default 120 s statement
    # timeout (growth): the benchmark measures it instead of cutting it off.
    groups = {g.name: {"timeout_seconds": 3600.0} for g in GROUPS}
    return {
        "plain": parse_config({"refresh": refresh, "groups": groups}),
        "partitioned": parse_config(
            {
                "source": {"schema": PARTED_SOURCE},
                "exporter": {"schema": PARTED_EXPORTER},
                "refresh": refresh,
                "groups": groups,
            }
        ),
    }


def partitioned_copy(url: str, config: Config) -> None:
    """The partitioned layout of the rows in ``url``, made when missing or incomplete."""
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            row = conn.execute(_read("ready.sql")).fetchone()
            if row and row[0]:
                migrate(url, config)  # this checkout's exporter schema, when it moved on
                return
        except psycopg.errors.UndefinedTable:
            pass  # not made yet
        began = time.perf_counter()
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(PARTED_EXPORTER))
        )
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(PARTED_SOURCE))
        )
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(PARTED_SOURCE)))
        with conn.transaction():
            conn.execute(
                sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(PARTED_SOURCE))
            )
            conn.execute((ROOT / "examples" / "partitioned_source.sql").read_text())
            conn.execute(_read("copy.sql"))
            conn.execute(_read("drop_empty.sql"))
        row = conn.execute(_read("ready.sql")).fetchone()
        if not (row and row[0]):
            raise SystemExit("bench: the partitioned copy does not hold the plain tables' rows")
        conn.execute(sql.SQL("VACUUM ANALYZE"))
        print(
            f"bench: partitioned copy in {time.perf_counter() - began:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    migrate(url, config)


@dataclass
class Row:
    """One figure, measured in both layouts."""

    name: str
    unit: str  # "s" or "instants/s"
    samples: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in LAYOUTS})

    def median(self, layout: str) -> float:
        return statistics.median(self.samples[layout])

    def cell(self, layout: str) -> str:
        values = self.samples[layout]
        med = statistics.median(values)
        if self.unit == "instants/s":
            text = f"{med:.2f} instants/s"
        else:
            text = f"{med * 1000:.0f} ms" if med < 1 else f"{med:.2f} s"
        if len(values) > 1:
            lo, hi = min(values), max(values)
            spread = f"{lo:.2f}–{hi:.2f}" if self.unit == "instants/s" else f"{lo:.2f}–{hi:.2f} s"
            text += f" ({spread})"
        return text


def alternating(reps: int, measure: Callable[[str], float], row: Row) -> None:
    """``reps`` samples per layout, the order of the layouts swapped at every repetition."""
    for rep in range(reps):
        for layout in LAYOUTS if rep % 2 == 0 else LAYOUTS[::-1]:
            row.samples[layout].append(measure(layout))
    print(
        f"bench: {row.name}: {row.cell('plain')} | {row.cell('partitioned')}",
        file=sys.stderr,
        flush=True,
    )


def scans(url: str) -> dict[str, int]:
    time.sleep(2.0)  # idle backends flush their statistics within a second
    with psycopg.connect(url) as conn:
        return {str(r[0]): int(r[1]) for r in conn.execute(_read("scans.sql"))}


def bench_scale(
    admin_url: str, prefix: str, scale: str, reps: int, backfill_reps: int, drop: bool
) -> list[str]:
    url = prepare(admin_url, scale, prefix=prefix)
    name = database_name(scale, False, prefix)
    layouts = configs()
    partitioned_copy(url, layouts["partitioned"])
    counts = row_counts(url)
    wall = datetime.now(UTC)
    last = (END - timedelta(seconds=1)).date()
    zone = layouts["plain"].reporting.zone
    days31 = instants(last - timedelta(days=30), last, parse_step("1d"), zone)
    rows: list[Row] = []
    touched: dict[str, int] = {}
    with (
        Database(url, layouts["plain"], max_size=len(GROUPS)) as plain,
        Database(url, layouts["partitioned"], max_size=len(GROUPS)) as parted,
    ):
        dbs = {"plain": plain, "partitioned": parted}
        engines = {k: Engine(db, layouts[k]) for k, db in dbs.items()}

        def cycle(layout: str) -> float:
            clock = time.perf_counter()
            for name, snap in engines[layout].run_all(END, wall).items():
                if snap.error:
                    raise SystemExit(f"bench: {layout}: group {name} failed: {snap.error}")
            return time.perf_counter() - clock

        for layout in LAYOUTS:
            cycle(layout)  # warm-up
        before = scans(url)
        cycle("partitioned")
        after = scans(url)
        parts = {
            t: sum(1 for k in after if k.startswith(t + "_"))
            for t in ("user_sessions", "invitations")
        }
        touched = {k: after[k] - before.get(k, 0) for k in after if after[k] > before.get(k, 0)}
        rows.append(Row("cycle (every group, concurrently)", "s"))
        alternating(reps, cycle, rows[-1])
        for group in GROUPS:
            row = Row(f"group {group.name} alone", "s")

            def alone(layout: str, group: Group = group) -> float:
                return group_durations(engines[layout], group, END, 1)[0]

            alternating(reps, alone, row)
            rows.append(row)

        def refresh(layout: str) -> float:
            time.sleep(1.0)  # the lease is free again after 90 % of the 1 s interval
            record = refresh_views(dbs[layout], layouts[layout])
            if record.error or record.skipped:
                raise SystemExit(f"bench: {layout}: refresh {record.error or 'skipped'}")
            return record.duration_seconds

        for layout in LAYOUTS:
            refresh(layout)  # warm-up: brings each layout's rollups up to date
        rows.append(Row("refresh, nothing new (refresh_views)", "s"))
        alternating(reps, refresh, rows[-1])

    def full(layout: str) -> float:
        schema = layouts[layout].exporter.schema_
        query = sql.SQL(_read("full_rebuild.sql")).format(schema=sql.Identifier(schema))
        with psycopg.connect(url, autocommit=True) as conn:
            return timed(lambda: conn.execute(query), 1)[0]

    rows.append(Row("full rebuild of the session rollups", "s"))
    alternating(reps, full, rows[-1])

    def backfill(layout: str) -> float:
        history = evaluate_many(url, layouts[layout], days31, wall=wall)
        return len(history.evaluations) / history.seconds

    rows.append(Row(f"backfill, 31 daily instants (jobs={DEFAULT_JOBS})", "instants/s"))
    alternating(backfill_reps, backfill, rows[-1])

    def histogram(table: str) -> str:
        per = [v for k, v in touched.items() if k.startswith(table + "_")]
        counts = sorted(set(per))
        return ", ".join(f"{n} partitions {s}×" for s in counts for n in [per.count(s)])

    lines = [
        f"## {scale} (`{name}`)",
        "",
        ", ".join(f"{k}: {v:,}" for k, v in counts.items()),
        "",
        "| figure | plain | partitioned | partitioned ÷ plain |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        ratio = row.median("partitioned") / row.median("plain")
        lines.append(
            f"| {row.name} | {row.cell('plain')} | {row.cell('partitioned')} | {ratio:.2f} |"
        )
    lines += [
        "",
        f"Partitions: {parts['user_sessions']} of user_sessions, {parts['invitations']} of "
        "invitations (a month each and the default). Scans of each in one cycle "
        f"on the partitioned layout: user_sessions: {histogram('user_sessions')}; "
        f"invitations: {histogram('invitations')}.",
        "",
    ]
    if drop:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        lines += [f"`{name}` was dropped after the run.", ""]
    for line in lines:
        print(line, file=sys.stderr, flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.layouts", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--url", default=ADMIN_URL, help="a database on the server to create bench_<scale> from"
    )
    parser.add_argument("--prefix", default="bench_", help="of the databases' names")
    parser.add_argument("--scales", default="medium")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--backfill-reps", type=int, default=2)
    parser.add_argument("--drop", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "LAYOUTS.md")
    args = parser.parse_args(argv)
    scales = scales_of(parser, args.scales)
    if min(args.reps, args.backfill_reps) < 1:
        parser.error("--reps, --backfill-reps: at least 1")
    lines = head("Plain and partitioned event tables", "bench.layouts", argv, machine(args.url))
    for scale in scales:
        lines += bench_scale(args.url, args.prefix, scale, args.reps, args.backfill_reps, args.drop)
    lines.append(foot())
    args.out.write_text("\n".join(lines) + "\n")
    print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
