"""Everything the board report shows, gathered in one go from the database.

The month's figures are the engine's evaluation at the local midnight that ends the
month; the comparison columns are the evaluations at the midnight that starts it and
at the end of the same month a year earlier; the charts use the twelve month ends up to
the report's. The 13 instants go through the same concurrent path as ``backfill``.

A month before the first month with data (docs/spec.md §10) is refused; a comparison
month before it has no data (not zeros). The daily average of DAU / MAU evaluates the
active-users query alone at the end of each local day of the month and of its two
comparison months.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from exporter.catalog import PREFIX
from exporter.config import Config
from exporter.db import Database, describe
from exporter.engine import DEFAULT_JOBS, evaluate_many
from exporter.errors import ConfigError, DatabaseError
from exporter.groups.base import Group, parameters
from exporter.groups.users import USERS
from exporter.history.report.disclosures import Disclosures, closing_date, gather_disclosures
from exporter.history.report.figures import FIGURES, Figure, Point
from exporter.history.report.month import Month, reportable
from exporter.history.report.outlook import Outlook, outlook
from exporter.history.report.segments import Segments, gather_segments
from exporter.instant import Instant, local_midnight
from exporter.migrate import ensure_schema
from exporter.snapshot import Evaluation
from exporter.sqlfiles import read_sql
from exporter.vocabulary import ActiveWindow, Movement, Unit, UserType

MONTHS_SHOWN = 12
TOP_MOVERS = 5

# The active-users query of the users group, alone: what the daily average of DAU / MAU
# needs at each day's end (the totals and breakdowns would only cost time).
ACTIVE = Group(
    USERS.name,
    USERS.tables,
    tuple(q for q in USERS.queries if q.sql_file == "users/active.sql"),
)


class BeforeData(ConfigError):
    """The month ends before the first month with data, or there is no data at all."""

    def __init__(self, month: Month, first: Month | None) -> None:
        self.month, self.first = month, first
        if first is None:
            text = f"--month {month}: there is no data yet (no supplier, couple or subscription)"
        else:
            text = f"--month {month} is before the first month with data, {first}"
        super().__init__(text)


@dataclass(frozen=True)
class Line:
    """One row of the headline table."""

    figure: Figure
    value: float | None
    previous: float | None
    year_ago: float | None
    # False: that comparison month is before the first month with data (its value is None).
    previous_data: bool = True
    year_ago_data: bool = True
    # The line whose change colours this one (Figure.verdict_from), when not itself.
    steer: Line | None = None

    @property
    def change(self) -> float | None:
        return change(self.figure, self.value, self.previous)

    @property
    def change_year(self) -> float | None:
        return change(self.figure, self.value, self.year_ago)

    @property
    def verdict(self) -> str:
        if self.steer is not None:
            return self.steer.verdict
        return verdict(self.figure, self.value, self.previous)

    @property
    def verdict_year(self) -> str:
        if self.steer is not None:
            return self.steer.verdict_year
        return verdict(self.figure, self.value, self.year_ago)


def change(figure: Figure, value: float | None, before: float | None) -> float | None:
    """A ratio's change is its difference (percentage points); any other figure's is
    relative to the earlier value (absent when that was zero)."""
    if value is None or before is None:
        return None
    if figure.unit is Unit.RATIO:
        return value - before
    if before == 0:
        return None
    return (value - before) / abs(before)


def verdict(figure: Figure, value: float | None, before: float | None) -> str:
    """good / bad / flat / none: the direction of the change against the figure's."""
    if value is None or before is None:
        return "none"
    diff = value - before
    if abs(diff) < 1e-9 or figure.better == 0:
        return "flat"
    return "good" if (diff > 0) == (figure.better > 0) else "bad"


@dataclass(frozen=True)
class Mover:
    movement: str
    rank: int
    suppliers: int  # how many suppliers made this movement in the month
    supplier_id: int
    category: str
    amount: float
    mrr_start: float
    mrr_end: float


@dataclass(frozen=True)
class Bridge:
    """MRR at the start + movements = MRR at the end, and what is left over."""

    start: float
    steps: tuple[tuple[Movement, float], ...]
    end: float

    @property
    def residual(self) -> float:
        return self.start + sum(m.sign * v for m, v in self.steps) - self.end


@dataclass(frozen=True)
class ReportData:
    month: Month
    first_month: Month  # the first month with data (docs/spec.md §10)
    timezone: str
    currency: str
    viral_window: str
    at: datetime  # the instant evaluated: the local midnight that ends the month
    previous_at: datetime
    year_ago_at: datetime
    lines: tuple[Line, ...]
    months: tuple[tuple[Month, Point], ...]  # the twelve months up to the report's
    movers: tuple[Mover, ...]
    bridge: Bridge | None
    quality: tuple[tuple[str, float], ...]
    generated_at: datetime
    config: Config
    disclosures: Disclosures | None = None
    segments: Segments | None = None
    outlook: Outlook | None = None  # the forecast page; None: too little history to fit

    def line(self, key: str) -> Line:
        return next(ln for ln in self.lines if ln.figure.key == key)


def _signups(conn: Any, month: Month, config: Config) -> dict[str, float]:
    zone = config.reporting.zone
    rows = conn.execute(
        read_sql("report/signups.sql"), {"start": month.start(zone), "end": month.end(zone)}
    ).fetchall()
    return {str(r[0]): float(r[1]) for r in rows}


def _movers(conn: Any, at: datetime, wall: datetime, config: Config) -> tuple[Mover, ...]:
    params = parameters(Instant.at(at, config.reporting.zone, wall), config)
    params.update(top=TOP_MOVERS)
    rows = conn.execute(read_sql("report/movers.sql"), params).fetchall()
    return tuple(
        Mover(str(r[0]), int(r[1]), int(r[2]), int(r[3]), str(r[4]), r[5], r[6], r[7]) for r in rows
    )


def first_month_with_data(conn: Any, zone: ZoneInfo) -> Month | None:
    """The local month of the earliest created_at of suppliers and couples and
    started_at of subscriptions (``sql/report/first_data.sql``); None when all are empty."""
    row = conn.execute(read_sql("report/first_data.sql")).fetchone()
    if row is None or row[0] is None:
        return None
    return Month.containing(row[0], zone)


def _first_month(url: str, config: Config) -> Month | None:
    try:
        with Database(url, config, max_size=1) as db, db.reading() as conn:
            return first_month_with_data(conn, config.reporting.zone)
    except Exception as exc:
        import psycopg

        if isinstance(exc, psycopg.Error):
            raise DatabaseError(describe(exc)) from None
        raise


def with_data(month: Month, first: Month | None) -> Month:
    """The first month with data, when ``month`` is not before it; else BeforeData."""
    if first is None or month < first:
        raise BeforeData(month, first)
    return first


def day_ends(month: Month, zone: ZoneInfo) -> list[datetime]:
    """The local midnight that ends each local day of the month, in order (the last is
    the month's end)."""
    first, after = month.first_day, month.shift(1).first_day
    days = (after - first).days
    return [local_midnight(first + timedelta(days=k + 1), zone) for k in range(days)]


def average_stickiness(evaluations: Iterable[Evaluation]) -> dict[str, float]:
    """Per side, the mean over the evaluations (one per day's end) of active 1d / active
    30d, over the days with anyone active in 30 days; a side without any is left out."""
    ratios: dict[str, list[float]] = {side.value: [] for side in UserType}
    for ev in evaluations:
        for side in UserType:
            dau = ev.value(
                PREFIX + "active_users", user_type=side.value, window=ActiveWindow.D1.value
            )
            mau = ev.value(
                PREFIX + "active_users", user_type=side.value, window=ActiveWindow.D30.value
            )
            if dau is not None and mau:
                ratios[side.value].append(dau / mau)
    return {side: sum(r) / len(r) for side, r in ratios.items() if r}


def _averages(
    url: str, config: Config, months: list[Month], *, wall: datetime, jobs: int
) -> dict[Month, dict[str, float]]:
    """The daily average of DAU / MAU of each month: the active-users query at every
    local day's end of the months, in one concurrent run."""
    zone = config.reporting.zone
    ends = {m: day_ends(m, zone) for m in months}
    instants = sorted({t for ts in ends.values() for t in ts})
    if not instants:
        return {}
    history = evaluate_many(url, config, instants, jobs=jobs, wall=wall, groups=(ACTIVE,))
    at = dict(history.evaluations)
    return {m: average_stickiness(at[t] for t in ts) for m, ts in ends.items()}


def gather(
    url: str,
    config: Config,
    month: Month,
    *,
    now: datetime | None = None,
    jobs: int = DEFAULT_JOBS,
) -> ReportData:

    zone = config.reporting.zone
    wall = now or datetime.now(UTC)  # the run's wall clock, the same for every instant
    reportable(month, zone, wall)
    ensure_schema(url, config)
    first = with_data(month, _first_month(url, config))  # before any evaluation
    shown = [month.shift(k) for k in range(-MONTHS_SHOWN, 1)]  # year ago .. the month
    ends = [m.end(zone) for m in shown]
    history = evaluate_many(url, config, ends, jobs=jobs, wall=wall)
    compared = [m for m in (shown[-1], shown[-2], shown[0]) if m >= first]
    averages = _averages(url, config, compared, wall=wall, jobs=jobs)
    try:
        with Database(url, config, max_size=2) as db, db.reading() as conn:
            signups = [_signups(conn, m, config) for m in shown]
            movers = _movers(conn, ends[-1], wall, config)
            disclosures = gather_disclosures(
                conn, ends[-1], closing_date(month), config.reporting.currency
            )
    except Exception as exc:
        import psycopg

        if isinstance(exc, psycopg.Error):
            raise DatabaseError(describe(exc)) from None
        raise
    points = [
        Point(ev, s, averages.get(m, {}))
        for m, (_, ev), s in zip(shown, history.evaluations, signups, strict=True)
    ]
    now_point, previous, year_ago = points[-1], points[-2], points[0]
    has_previous, has_year_ago = shown[-2] >= first, shown[0] >= first
    plain = {
        f.key: Line(
            f,
            f.read(now_point, config),
            f.read(previous, config) if has_previous else None,
            f.read(year_ago, config) if has_year_ago else None,
            has_previous,
            has_year_ago,
        )
        for f in FIGURES
    }
    lines = tuple(
        Line(
            ln.figure,
            ln.value,
            ln.previous,
            ln.year_ago,
            ln.previous_data,
            ln.year_ago_data,
            plain[ln.figure.verdict_from] if ln.figure.verdict_from else None,
        )
        for ln in plain.values()
    )
    cur = config.reporting.currency
    ev = now_point.evaluation
    start = previous.evaluation.value(PREFIX + "mrr", currency=cur)
    end = ev.value(PREFIX + "mrr", currency=cur)
    bridge = None
    if start is not None and end is not None:
        steps = tuple(
            (m, ev.value(PREFIX + "mrr_movement", currency=cur, movement=m.value) or 0.0)
            for m in Movement
        )
        bridge = Bridge(start, steps, end)
    quality = tuple(
        sorted(
            (dict(labels).get("check", ""), v)
            for labels, v in ev.series(PREFIX + "data_quality_issues").items()
        )
    )
    return ReportData(
        month=month,
        first_month=first,
        timezone=config.reporting.timezone,
        currency=cur,
        viral_window=str(config.viral.window),
        at=ends[-1],
        previous_at=ends[-2],
        year_ago_at=ends[0],
        lines=lines,
        months=tuple(zip(shown[1:], points[1:], strict=True)),
        movers=movers,
        bridge=bridge,
        quality=quality,
        generated_at=(now or datetime.now(UTC)),
        config=config,
        disclosures=disclosures,
        segments=gather_segments(
            [(m, p.evaluation) for m, p in zip(shown[1:], points[1:], strict=True)], cur
        ),
        outlook=outlook(
            month,
            ends[-1],
            [p.evaluation.value(PREFIX + "mrr", currency=cur) for p in points],
            zone,
            config.targets.mrr,
        ),
    )
