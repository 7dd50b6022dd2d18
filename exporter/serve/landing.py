"""The landing page: the four headline cards, refresh times and links.

It reads one State (never the database) and is rendered once per state generation.
Its script (exporter/serve/static/live.js) keeps the cards current from ``/events``
(exporter/serve/events.py), which sends ``live_values`` of each new state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from exporter.catalog import PREFIX
from exporter.config import Config
from exporter.snapshot import Evaluation, merge
from exporter.store import State
from exporter.vocabulary import TARGETS, ActiveWindow, UserType

STICKINESS_BENCHMARK = TARGETS.stickiness_benchmark  # DAU/MAU industry average
VIRAL_TARGET = TARGETS.viral_coefficient

_env = Environment(
    loader=PackageLoader("exporter.serve", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def http_link(url: str | None) -> str | None:
    """The URL when it is an http(s) link, else None: no other scheme becomes an href."""
    if url is None:
        return None
    scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
    return url if scheme in ("http", "https") else None


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    value: str
    detail: str
    status: str  # "good", "bad" or "unknown"


def _money(value: float | None, currency: str) -> str:
    if value is None:
        return "–"
    symbol = {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency, currency + " ")
    # Pence matter on a small book (39.99 is not 40); whole units once it is large.
    return f"{symbol}{value:,.2f}" if abs(value) < 1000 else f"{symbol}{value:,.0f}"


def _pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value * 100:+.1f}%" if signed else f"{value * 100:.1f}%"


def cards(ev: Evaluation, config: Config) -> list[Card]:
    cur = config.reporting.currency
    window = str(config.viral.window)
    mrr = ev.value(PREFIX + "mrr", currency=cur)
    growth = ev.value(PREFIX + "mrr_growth_ratio")
    active = ev.value(PREFIX + "active_users", user_type=UserType.SUPPLIER, window=ActiveWindow.D30)
    total = ev.value(PREFIX + "registered_users", user_type=UserType.SUPPLIER)
    k = ev.value(PREFIX + "viral_coefficient", window=window)
    dau = [ev.value(PREFIX + "active_users", user_type=t, window=ActiveWindow.D1) for t in UserType]
    mau = [
        ev.value(PREFIX + "active_users", user_type=t, window=ActiveWindow.D30) for t in UserType
    ]
    stickiness = None
    if None not in dau and None not in mau and sum(mau) > 0:  # type: ignore[arg-type]
        stickiness = sum(dau) / sum(mau)  # type: ignore[arg-type]

    def status(ok: bool | None) -> str:
        return "unknown" if ok is None else ("good" if ok else "bad")

    return [
        Card(
            "mrr",
            "Recurring revenue (MRR)",
            _money(mrr, cur),
            f"{_pct(growth, signed=True)} month over month"
            if growth is not None
            else "no revenue a month ago",
            status(None if growth is None else growth >= 0),
        ),
        Card(
            "active-suppliers",
            "Active suppliers (30 days)",
            "–" if active is None else f"{active:,.0f}",
            "of – total" if total is None else f"of {total:,.0f} total",
            status(None if active is None else active > 0),
        ),
        Card(
            "viral",
            f"Viral coefficient ({window})",
            "–" if k is None else f"{k:.2f}",
            f"target {VIRAL_TARGET:.1f}: {'above' if k is not None and k >= VIRAL_TARGET else 'below'}"
            if k is not None
            else f"target {VIRAL_TARGET:.1f}",
            status(None if k is None else k >= VIRAL_TARGET),
        ),
        Card(
            "stickiness",
            "DAU / MAU",
            _pct(stickiness),
            f"benchmark {STICKINESS_BENCHMARK * 100:.0f}%",
            status(None if stickiness is None else stickiness >= STICKINESS_BENCHMARK),
        ),
    ]


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def _evaluation(state: State) -> Evaluation:
    return merge([g.good for g in state.groups.values() if g.good is not None])


def _group_rows(state: State, config: Config, now: datetime) -> list[dict[str, Any]]:
    """The computation table: each group's schedule, last success and last error."""
    zone = config.reporting.zone

    def local(when: datetime) -> str:
        # Shown in the reporting time zone, as the header says.
        return when.astimezone(zone).isoformat(timespec="seconds")

    return [
        {
            "name": g.name,
            "interval": config.groups.schedule(g.name).interval_seconds,
            "success": local(g.good.finished_at) if g.good else None,
            "ago": _ago(g.good.finished_at if g.good else None, now),
            "evaluated_at": local(g.good.at) if g.good else None,
            "error": g.last_run.error if g.last_run else None,
            "failures": g.failures,
        }
        for g in state.groups.values()
    ]


def live_values(state: State, config: Config) -> dict[str, Any]:
    """What the page's script updates in place: readiness, each card's texts and the
    computation table's rows (the script ages their "… ago" itself)."""
    return {
        "ready": state.ready,
        "cards": {
            c.key: {"value": c.value, "detail": c.detail, "status": c.status}
            for c in cards(_evaluation(state), config)
        },
        "groups": {
            row["name"]: {k: row[k] for k in ("success", "evaluated_at", "error", "failures")}
            for row in _group_rows(state, config, datetime.now(UTC))
        },
    }


def render_landing(state: State, config: Config, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    ev = _evaluation(state)
    return _env.get_template("index.html").render(
        cards=cards(ev, config),
        groups=_group_rows(state, config, now),
        ready=state.ready,
        refresh_ago=_ago(state.refresh.last_success, now),
        refresh_interval=config.refresh.interval_seconds,
        refresh_failures=state.refresh.failures,
        refresh_error=state.refresh.last_run.error if state.refresh.last_run else None,
        grafana_url=http_link(config.http.grafana_url),
        timezone=config.reporting.timezone,
        reports=(reports := _reports(config)),
        has_pack=has_pack(reports),
    )


def _reports(config: Config) -> list[dict[str, str]]:
    if not config.reports.enabled:
        return []
    from exporter.history.report.archive import entries

    return [
        {"name": e.name, "kind": e.kind, "period": e.period, "size": human_size(e.size)}
        for e in entries(config.reports.directory)
    ]


def human_size(size: int) -> str:
    """Bytes below 1 KiB, then KiB, MiB, GiB with one decimal: 449 B, 1.5 KiB, 2.0 MiB."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:,.1f} {unit}"


def has_pack(reports: list[dict[str, str]]) -> bool:
    """Whether a monthly board pack (a PDF) is among the kept reports."""
    return any(r["kind"] == "monthly" and r["name"].endswith(".pdf") for r in reports)


def render_reports(items: list[Any], config: Config) -> str:
    """The /reports/ page: every kept report, newest first."""
    reports = [
        {"name": e.name, "kind": e.kind, "period": e.period, "size": human_size(e.size)}
        for e in items
    ]
    return _env.get_template("reports.html").render(
        reports=reports, has_pack=has_pack(reports), timezone=config.reporting.timezone
    )
