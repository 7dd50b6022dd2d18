"""The report jobs of ``serve``: last month's board pack on the 1st and a weekly summary
every Monday, at configured local times in the reporting time zone (APScheduler cron).

Each job builds, keeps the newest N in the reports directory, and delivers (e-mail,
webhook, a Grafana snapshot when Grafana is configured). A failed stage is logged,
counted (``execmetrics_report_failures_total{stage}``) and retried with exponential
backoff; nothing here raises into the scheduler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from exporter.config import Config
from exporter.engine import evaluate_many
from exporter.errors import ExecMetricsError
from exporter.history.report import archive
from exporter.history.report.data import BeforeData, ReportData, change
from exporter.history.report.figures import BY_KEY, Point
from exporter.history.report.month import Month, last_complete
from exporter.instant import local_midnight
from exporter.store import Store

log = logging.getLogger("execmetrics.reports")
T = TypeVar("T")

WEEKLY_FIGURES = (
    "mrr",
    "paying_suppliers",
    "customer_churn",
    "active_users_supplier_30d",
    "active_users_couple_30d",
    "viral_coefficient",
)


def headline(data: ReportData) -> str:
    """The figures a message leads with."""
    from exporter.history.report import formats

    def show(key: str) -> str:
        ln = data.line(key)
        return f"{ln.figure.label} {formats.value(ln.figure, ln.value, data.currency)} ({formats.change(ln.figure, ln.change)})"

    keys = (
        "mrr",
        "paying_suppliers",
        "customer_churn",
        "net_revenue_retention",
        "viral_coefficient",
    )
    return "; ".join(show(k) for k in keys)


def weekly_csv(url: str, config: Config, now: datetime | None = None) -> tuple[str, bytes, str]:
    """The week's summary: a few figures at this Monday's local midnight beside a week
    earlier. Returns (file name, CSV bytes, one-line text)."""
    from exporter.history.report import formats
    from exporter.history.report.csvfile import _cell, decimals, unit_cell

    zone = config.reporting.zone
    now = now or datetime.now(UTC)  # the run's wall clock, the same for both instants
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    at = local_midnight(monday, zone)
    before = local_midnight(monday - timedelta(days=7), zone)
    history = evaluate_many(url, config, [before, at], jobs=4, wall=now)
    (_, ev_before), (_, ev_at) = history.evaluations
    lines = ["metric,unit,week,value,week_before,change"]
    text = []
    for key in WEEKLY_FIGURES:
        f = BY_KEY[key]
        v, b = f.read(Point(ev_at), config), f.read(Point(ev_before), config)
        c = change(f, v, b)
        unit, places = unit_cell(f.unit, config.reporting.currency), decimals(f.unit)
        lines.append(
            f"{key},{unit},{monday.isoformat()},{_cell(v, places)},{_cell(b, places)},{_cell(c, 6)}"
        )
        text.append(
            f"{f.label} {formats.value(f, v, config.reporting.currency)} ({formats.change(f, c)})"
        )
    name = f"weekly-{monday.isoformat()}.csv"
    return name, ("\n".join(lines) + "\n").encode(), "; ".join(text)


@dataclass(frozen=True)
class Delivered:
    """What a run-now delivery did: a line per channel that worked, one per failure."""

    done: tuple[str, ...]
    failures: tuple[str, ...]


def pack_files(data: ReportData, have: dict[str, bytes]) -> list[tuple[str, bytes]]:
    """The month's PDF and CSV under the names the schedule keeps and attaches
    (``monthly-YYYY-MM.pdf``, ``.csv``); a format not in ``have`` is rendered here."""
    from exporter.history.report.build import render

    return [
        (f"monthly-{data.month}.{fmt}", have[fmt] if fmt in have else render(data, fmt))
        for fmt in ("pdf", "csv")
    ]


def deliver_now(config: Config, data: ReportData, files: list[tuple[str, bytes]]) -> Delivered:
    """Send one built report by every configured channel, each tried on its own: any
    failure of one (a refusal, or an unexpected error) is a line, and the next is tried."""
    from exporter.history.report import delivery

    r = config.reports
    subject = f"Board report — {data.month.title}"
    text = headline(data)
    channels: list[tuple[str, Callable[[], object]]] = []
    if r.smtp is not None:
        smtp = r.smtp
        channels.append(
            (
                f"e-mailed to {', '.join(smtp.recipients)}",
                lambda: delivery.send_email(smtp, subject, text, files),
            )
        )
    if r.webhook is not None:
        hook = r.webhook
        channels.append(
            (
                "posted to the webhook",
                lambda: delivery.post_webhook(hook, {"text": f"*{subject}*\n{text}"}),
            )
        )
    done: list[str] = []
    failures: list[str] = []
    for line, send in channels:
        try:
            send()
        except ExecMetricsError as exc:
            failures.append(str(exc))
        except Exception as exc:  # not a refusal we know: still one line, the next channel runs
            log.debug("delivery failed", exc_info=True)
            failures.append(f"{line.split(' ')[0]} failed: {type(exc).__name__}: {exc}")
        else:
            done.append(line)
    return Delivered(tuple(done), tuple(failures))


class ReportJobs:
    def __init__(self, url: str, config: Config, store: Store) -> None:
        self.url = url
        self.config = config
        self.store = store
        self._stop = threading.Event()

    @property
    def directory(self) -> Path:
        return self.config.reports.directory

    def stop(self) -> None:
        self._stop.set()

    def _retry(self, stage: str, action: Callable[[], T]) -> T | None:
        r = self.config.reports
        for attempt in range(r.retries + 1):
            try:
                return action()
            except BeforeData:
                raise  # no failure: the month has no data to report (the caller skips it)
            except Exception as exc:  # logged, counted, retried: never into the scheduler
                self.store.publish_report(failed_stage=stage)
                last = attempt == r.retries
                log.warning(
                    "report %s failed (attempt %d of %d)%s: %s",
                    stage,
                    attempt + 1,
                    r.retries + 1,
                    "" if last else ", retrying",
                    exc,
                )
                if last or self._stop.wait(r.retry_backoff_seconds * 2**attempt):
                    return None
        return None

    def _link(self, name: str) -> str | None:
        base = self.config.reports.public_url
        return f"{base.rstrip('/')}/reports/{name}" if base else None

    def _deliver(self, subject: str, text: str, files: list[Path], link: str | None) -> None:
        from exporter.history.report import delivery

        r = self.config.reports
        body = text + (f"\n\n{link}" if link else "")
        if r.smtp is not None:
            smtp = r.smtp
            self._retry(
                "email",
                lambda: delivery.send_email(
                    smtp, subject, body, [delivery.attachment(p) for p in files]
                ),
            )
        if r.webhook is not None:
            hook = r.webhook
            message = f"*{subject}*\n{text}" + (f"\n<{link}|Open the report>" if link else "")
            self._retry("webhook", lambda: delivery.post_webhook(hook, {"text": message}))

    def _snapshot(self) -> str | None:
        g = self.config.grafana
        if not g.url:
            return None
        import os

        from exporter.grafana.api import TOKEN_ENV

        if not (os.environ.get(TOKEN_ENV) or g.token_file):
            return None
        from exporter.grafana.snapshot import parse_range, snapshot

        s = self.config.reports.snapshot

        def take() -> str:
            r = parse_range(None, None, length=s.range.delta)
            return snapshot(self.config, s.dashboard, r).url

        return self._retry("snapshot", take)

    def monthly(self, now: datetime | None = None) -> list[Path]:
        """Build last month's PDF and CSV, keep them, deliver them; a month before the
        first month with data is skipped with a log line (nothing built, no failure)."""
        from exporter.history.report.build import render
        from exporter.history.report.data import gather

        zone = self.config.reporting.zone
        month = last_complete(zone, now)

        def build() -> tuple[ReportData, list[Path]]:
            data = gather(self.url, self.config, month, now=now)
            paths = [
                archive.save(
                    self.directory,
                    f"monthly-{month}.{fmt}",
                    render(data, fmt),
                    self.config.reports.keep,
                )
                for fmt in ("pdf", "csv")
            ]
            return data, paths

        try:
            built = self._retry("build", build)
        except BeforeData as exc:
            log.info("board report %s skipped: %s", month, exc)
            return []
        if built is None:
            return []
        data, paths = built
        self.store.publish_report(built=("monthly", datetime.now(UTC)))
        log.info("board report %s built: %s", month, ", ".join(p.name for p in paths))
        snap = self._snapshot()
        text = headline(data) + (f"\nGrafana snapshot: {snap}" if snap else "")
        self._deliver(f"Board report — {month.title}", text, paths, self._link(paths[0].name))
        return paths

    def weekly(self, now: datetime | None = None) -> list[Path]:
        def build() -> tuple[Path, str]:
            name, body, text = weekly_csv(self.url, self.config, now)
            return archive.save(self.directory, name, body, self.config.reports.keep), text

        built = self._retry("build", build)
        if built is None:
            return []
        path, text = built
        self.store.publish_report(built=("weekly", datetime.now(UTC)))
        self._deliver(
            f"Weekly summary — {path.stem.removeprefix('weekly-')}",
            text,
            [path],
            self._link(path.name),
        )
        return [path]

    def missing_pack(self, now: datetime | None = None) -> Month | None:
        """The month whose pack the schedule should already have built and did not: the
        last complete month, once this month's build time (the 1st at
        ``reports.monthly_time``, local) has passed and its PDF is not in the directory."""
        zone = self.config.reporting.zone
        now = now or datetime.now(UTC)
        month = last_complete(zone, now)
        hour, minute = (int(x) for x in self.config.reports.monthly_time.split(":"))
        first = month.shift(1).first_day
        due = datetime(first.year, first.month, 1, hour, minute, tzinfo=zone)
        if now < due:
            return None  # the cron job builds it today
        if (self.directory / f"monthly-{month}.pdf").is_file():
            return None
        return month

    def catch_up(self, now: datetime | None = None) -> list[Path]:
        """At start: build and deliver last month's pack when the schedule missed it
        (``serve`` was down on the 1st); a later start finds it and does nothing."""
        # Reading the directory is part of the build: a failure is counted and retried.
        found = self._retry("build", lambda: (self.missing_pack(now),))
        if found is None or found[0] is None:
            return []
        month = found[0]
        log.info("board report %s was not built on the 1st: building it now", month)
        return self.monthly(now)

    def schedule(self, scheduler: Any) -> None:
        from apscheduler.triggers.cron import CronTrigger

        r = self.config.reports
        zone = self.config.reporting.zone
        # Once, now: builds last month's pack if the 1st passed while serve was down.
        scheduler.add_job(self.catch_up, id="report:catch-up", name="missed board report")
        hour, minute = (int(x) for x in r.monthly_time.split(":"))
        scheduler.add_job(
            self.monthly,
            CronTrigger(day=1, hour=hour, minute=minute, timezone=zone),
            id="report:monthly",
            name="monthly board report",
        )
        if r.weekly:
            hour, minute = (int(x) for x in r.weekly_time.split(":"))
            scheduler.add_job(
                self.weekly,
                CronTrigger(day_of_week="mon", hour=hour, minute=minute, timezone=zone),
                id="report:weekly",
                name="weekly summary",
            )
