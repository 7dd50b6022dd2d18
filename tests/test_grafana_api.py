"""grafana push and snapshot against a local Grafana stand-in (path, bearer token,
payload), with the snapshot's panel data from a real Prometheus on backfilled blocks."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from dashboards.datasources import PROMETHEUS_TYPE
from exporter.config import parse_config
from exporter.grafana.api import push
from exporter.grafana.snapshot import Range, snapshot
from exporter.history.backfill import backfill, instants, parse_step
from tests.board_queries import boards_json, panels_of, substitute
from tests.cli_support import assert_one_line_error, run_cli
from tests.conftest import require_tool
from tests.datasets import FIRST, LAST, NOW, clock_change_week
from tests.fake_grafana import fake_grafana
from tests.stack import free_port, prometheus_on_history

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "glsa_test_token"
BOARDS = sorted(p.stem for p in (ROOT / "dashboards").glob("*.json"))


def _config(url: str, prometheus: str = "http://127.0.0.1:9") -> object:
    return parse_config({"grafana": {"url": url, "prometheus_url": prometheus}})


def test_push_creates_then_overwrites_by_uid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXECMETRICS_GRAFANA_TOKEN", TOKEN)
    with fake_grafana(TOKEN) as g:
        cfg = _config(g.url)
        dry = push(cfg, dry_run=True)  # type: ignore[arg-type]
        assert all(m in ("GET",) for m, _, _ in g.requests)
        assert "create folder execmetrics" in dry.actions
        first = push(cfg)  # type: ignore[arg-type]
        assert g.folders == {"execmetrics": {"uid": "execmetrics", "title": "Executive metrics"}}
        assert g.datasources["execmetrics-prometheus"]["type"] == "prometheus"
        assert sorted(g.boards) == sorted(
            json.loads((ROOT / "dashboards" / f"{b}.json").read_text())["uid"] for b in BOARDS
        )
        assert {b["folderUid"] for b in g.boards.values()} == {"execmetrics"}
        assert len(g.annotations) == 1 and "exporter deployed" in g.annotations[0]["text"]
        posted = [body for m, p, body in g.requests if p == "/api/dashboards/db"]
        assert all(body["overwrite"] is True and "id" not in body["dashboard"] for body in posted)
        second = push(cfg)  # type: ignore[arg-type]
        assert len(g.boards) == len(BOARDS)  # same uids: overwritten, not duplicated
        assert "update folder" not in " ".join(second.actions)
        assert any(a.startswith("update dashboard") for a in second.actions)
        assert any(a.startswith("create dashboard") for a in first.actions)


def test_cli_push_refused_token_and_unreachable(tmp_path: Path) -> None:
    with fake_grafana(TOKEN) as g:
        cfg = tmp_path / "c.yml"
        cfg.write_text(f"grafana:\n  url: {g.url}\n")
        proc = run_cli(
            "--config",
            str(cfg),
            "grafana",
            "push",
            env={**_env(), "EXECMETRICS_GRAFANA_TOKEN": "wrong"},
        )
        assert "refused the token" in assert_one_line_error(proc, 5)
        assert not g.boards
    cfg.write_text(f"grafana:\n  url: http://127.0.0.1:{free_port()}\n")
    proc = run_cli(
        "--config", str(cfg), "grafana", "push", env={**_env(), "EXECMETRICS_GRAFANA_TOKEN": TOKEN}
    )
    assert "unreachable" in assert_one_line_error(proc, 5)
    cfg.write_text("grafana:\n  url: http://grafana.invalid:3000\n")
    proc = run_cli(
        "--config", str(cfg), "grafana", "push", env={**_env(), "EXECMETRICS_GRAFANA_TOKEN": TOKEN}
    )
    assert "unreachable" in assert_one_line_error(proc, 5)
    proc = run_cli("--config", str(cfg), "grafana", "push", env=_env())
    assert "no Grafana token" in assert_one_line_error(proc, 2)


def test_dry_run_needs_nothing_outside(tmp_path: Path) -> None:
    """No Grafana reachable, or none configured, or no token: a dry run still shows the
    push (as into an empty Grafana), says why it could not read, and exits 0."""
    cfg = tmp_path / "c.yml"
    uids = sorted(
        json.loads((ROOT / "dashboards" / f"{b}.json").read_text())["uid"] for b in BOARDS
    )
    for text, env, why in (
        (
            f"grafana:\n  url: http://127.0.0.1:{free_port()}\n",
            {"EXECMETRICS_GRAFANA_TOKEN": TOKEN},
            "unreachable",
        ),
        ("grafana: {}\n", {}, "grafana.url is not set"),
        (f"grafana:\n  url: http://127.0.0.1:{free_port()}\n", {}, "no Grafana token"),
    ):
        cfg.write_text(text)
        proc = run_cli("--config", str(cfg), "grafana", "push", "--dry-run", env={**_env(), **env})
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert why in lines[0] and "empty Grafana" in lines[0], lines[0]
        assert "grafana push: would create folder execmetrics" in lines
        assert "grafana push: would create datasource execmetrics-prometheus" in lines
        assert [x.rsplit(" ", 1)[1] for x in lines if " dashboard " in x] == [
            json.loads((ROOT / "dashboards" / f"{b}.json").read_text())["uid"] for b in BOARDS
        ]
        assert sorted(x.rsplit(" ", 1)[1] for x in lines if " dashboard " in x) == uids


PASSWORD = "s3cret pa55\tword"


def _pg_config(url: str, password_file: Path, **grafana: object) -> object:
    return parse_config(
        {
            "database": {"url": "postgresql://exporter:other@db.internal:6543/metrics"},
            "grafana": {"url": url, "postgres_password_file": str(password_file), **grafana},
        }
    )


def test_the_boards_postgres_datasource_is_the_one_push_creates() -> None:
    from dashboards import datasources
    from exporter.grafana import api

    assert (api.POSTGRES_UID, api.POSTGRES_TYPE, api.POSTGRES_NAME) == (
        datasources.POSTGRES_UID,
        datasources.POSTGRES_TYPE,
        datasources.POSTGRES_NAME,
    )
    sql_panels = [
        p
        for board in boards_json()
        for p in panels_of(board)
        if p["datasource"]["type"] == datasources.POSTGRES_TYPE
    ]
    assert sql_panels
    pg_vars = {
        v["current"]["value"]
        for board in boards_json()
        for v in board["templating"]["list"]
        if v["type"] == "datasource" and v["query"] == datasources.POSTGRES_TYPE
    }
    assert pg_vars == {api.POSTGRES_UID}


def test_push_creates_then_updates_the_postgres_datasource(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EXECMETRICS_GRAFANA_TOKEN", TOKEN)
    monkeypatch.delenv("EXECMETRICS_DATABASE_URL", raising=False)
    secret = tmp_path / "reader.password"
    secret.write_text(PASSWORD + "\n")  # one trailing newline, dropped
    with fake_grafana(TOKEN) as g:
        cfg = _pg_config(g.url, secret)
        dry = push(cfg, dry_run=True)  # type: ignore[arg-type]
        line = "create datasource execmetrics-postgres (grafana_reader@db.internal:6543/metrics)"
        assert line in dry.actions
        assert all(m == "GET" for m, _, _ in g.requests) and not g.datasources
        first = push(cfg)  # type: ignore[arg-type]
        assert line in first.actions
        pg = g.datasources["execmetrics-postgres"]
        assert pg == {
            "uid": "execmetrics-postgres",
            "name": "PostgreSQL (execmetrics)",
            "type": "grafana-postgresql-datasource",
            "access": "proxy",
            "url": "db.internal:6543",
            "user": "grafana_reader",
            "isDefault": False,
            "jsonData": {
                "database": "metrics",
                "sslmode": "require",
                "postgresVersion": 1500,
                "timescaledb": False,
                "maxOpenConns": 5,
                "maxIdleConns": 2,
                "connMaxLifetime": 14400,
            },
            "secureJsonData": {"password": PASSWORD},
        }
        # created before the first board
        paths = [(m, p) for m, p, _ in g.requests if m != "GET"]
        assert paths.index(("POST", "/api/datasources")) < paths.index(
            ("POST", "/api/dashboards/db")
        )
        assert sum(1 for m, p in paths if (m, p) == ("POST", "/api/datasources")) == 2
        second = push(cfg)  # type: ignore[arg-type]
        assert line.replace("create", "update") in second.actions
        puts = [
            b
            for m, p, b in g.requests
            if (m, p) == ("PUT", "/api/datasources/uid/execmetrics-postgres")
        ]
        assert len(puts) == 1 and puts[0]["secureJsonData"] == {"password": PASSWORD}
        assert len(g.datasources) == 2
        for plan in (dry, first, second):
            assert PASSWORD not in " ".join(plan.actions) and "other" not in " ".join(plan.actions)
        # grafana.postgres_host: where Grafana reaches the database, sslmode from the URL
        push(
            parse_config(
                {
                    "database": {"url": "postgresql://u@127.0.0.1/execmetrics?sslmode=verify-full"},
                    "grafana": {
                        "url": g.url,
                        "postgres_password_file": str(secret),
                        "postgres_host": "postgres",
                    },
                }
            )  # type: ignore[arg-type]
        )
        pg = g.datasources["execmetrics-postgres"]
        assert (pg["url"], pg["jsonData"]["database"], pg["jsonData"]["sslmode"]) == (
            "postgres:5432",
            "execmetrics",
            "verify-full",
        )


def test_cli_push_postgres_datasource_plan_and_password_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yml"
    secret = tmp_path / "reader.password"
    env = {**_env(), "EXECMETRICS_DATABASE_URL": "postgresql://x:pw@127.0.0.1:5432/metrics"}
    cfg.write_text("grafana: {}\n")
    proc = run_cli("--config", str(cfg), "grafana", "push", "--dry-run", env=env)
    assert proc.returncode == 0, proc.stderr
    assert (
        "grafana push: would leave datasource execmetrics-postgres alone "
        "(grafana.postgres_password_file is not set)"
    ) in proc.stdout.splitlines()
    cfg.write_text(f"grafana:\n  postgres_password_file: {secret}\n")
    proc = run_cli("--config", str(cfg), "grafana", "push", "--dry-run", env=env)
    assert "grafana.postgres_password_file: cannot read" in assert_one_line_error(proc, 2)
    proc = run_cli("--config", str(cfg), "grafana", "push", env=env)
    assert "grafana.postgres_password_file: cannot read" in assert_one_line_error(proc, 2)
    secret.write_text(PASSWORD + "\n\n")  # only one newline is dropped
    proc = run_cli("--config", str(cfg), "grafana", "push", "--dry-run", env=env)
    assert proc.returncode == 0, proc.stderr
    assert (
        "grafana push: would create datasource execmetrics-postgres "
        "(grafana_reader@127.0.0.1:5432/metrics)"
    ) in proc.stdout.splitlines()
    assert PASSWORD not in proc.stdout + proc.stderr and ":pw@" not in proc.stdout
    secret.write_text("\n")
    proc = run_cli("--config", str(cfg), "grafana", "push", "--dry-run", env=env)
    assert "is empty" in assert_one_line_error(proc, 2)


@contextmanager
def _fake_prometheus() -> Iterator[list[dict[str, list[str]]]]:
    """A Prometheus answering every query with no series; it records the queries."""
    seen: list[dict[str, list[str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            seen.append({"path": [url.path], **parse_qs(url.query)})
            data: object = {"result": []} if url.path.endswith("query_range") else []
            body = json.dumps({"status": "success", "data": data}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        seen.append({"url": [f"http://127.0.0.1:{server.server_address[1]}"]})
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize(
    ("snapshot", "uid", "length"),
    [
        ({}, "execmetrics-revenue", timedelta(days=30)),
        (
            {"dashboard": "execmetrics-growth", "range": "2w"},
            "execmetrics-growth",
            timedelta(weeks=2),
        ),
    ],
)
def test_scheduled_snapshot_takes_its_board_and_range_from_the_config(
    monkeypatch: pytest.MonkeyPatch, snapshot: dict[str, str], uid: str, length: timedelta
) -> None:
    from exporter.history.report.jobs import ReportJobs
    from exporter.store import Store

    monkeypatch.setenv("EXECMETRICS_GRAFANA_TOKEN", TOKEN)
    with fake_grafana(TOKEN) as g, _fake_prometheus() as seen:
        for board in boards_json():
            g.boards[board["uid"]] = board
        cfg = parse_config(
            {
                "grafana": {"url": g.url, "prometheus_url": seen[0]["url"][0]},
                "reports": {"retries": 0, "snapshot": snapshot},
            }
        )
        url = ReportJobs("postgresql://unused", cfg, Store(()))._snapshot()
        assert url == f"{g.url}/dashboard/snapshot/snap1"
    read = [p for m, p, _ in g.requests if m == "GET"]
    assert read == [f"/api/dashboards/uid/{uid}"]
    (posted,) = g.snapshots
    assert posted["dashboard"]["uid"] == uid
    span = posted["dashboard"]["time"]
    start, end = (datetime.fromisoformat(span[k]) for k in ("from", "to"))
    assert end - start == length
    assert abs(end - datetime.now(UTC)) < timedelta(minutes=5)
    ranges = [q for q in seen[1:] if q["path"] == ["/api/v1/query_range"]]
    assert ranges, "no panel was filled"
    for q in ranges:
        assert float(q["end"][0]) - float(q["start"][0]) == length.total_seconds()


def _env() -> dict[str, str]:
    from tests.cli_support import cli_env

    return cli_env()


def test_snapshot_resolves_variables_and_fills_panels(db_url: str, tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    prometheus = require_tool("prometheus")
    cfg_db = clock_change_week(db_url)
    out = tmp_path / "h.om"
    last = FIRST + timedelta(days=2)
    backfill(db_url, cfg_db, FIRST, last, parse_step("1h"), out, progress=False, now=NOW)
    stamps = instants(FIRST, last, parse_step("1h"), cfg_db.reporting.zone, NOW)
    board = json.loads((ROOT / "dashboards" / "execmetrics-revenue.json").read_text())
    with (
        prometheus_on_history(promtool, prometheus, out, tmp_path) as base,
        fake_grafana(TOKEN) as g,
    ):
        g.boards[board["uid"]] = board
        cfg = _config(g.url, base)
        import os

        os.environ["EXECMETRICS_GRAFANA_TOKEN"] = TOKEN
        try:
            result = snapshot(cfg, board["uid"], Range(stamps[0], stamps[-1]))  # type: ignore[arg-type]
        finally:
            del os.environ["EXECMETRICS_GRAFANA_TOKEN"]
        mrr_now = httpx.get(
            base + "/api/v1/query",
            params={"query": 'execmetrics_mrr{currency="GBP"}', "time": stamps[-1].timestamp()},
        ).json()["data"]["result"][0]["value"][1]
    assert result.url.startswith(g.url + "/dashboard/snapshot/")
    assert result.variables["currency"] == ["GBP"]
    assert result.variables["plan"] == ["annual", "basic"]  # "All" made concrete
    posted = g.snapshots[0]["dashboard"]
    for var in posted["templating"]["list"]:
        assert "$__all" not in json.dumps(var["current"])
    exprs = [
        t["expr"]
        for p in posted["panels"]
        for t in p.get("targets", [])
        if p.get("snapshotData") is not None
    ]
    assert exprs and not any("$" in e for e in exprs)
    assert result.panels_filled > 0
    mrr_panel = next(p for p in posted["panels"] if p.get("title") == "MRR")
    committed = next(p for p in board["panels"] if p.get("title") == "MRR")
    assert "$currency" in committed["targets"][0]["expr"]
    assert mrr_panel["targets"][0]["expr"] == committed["targets"][0]["expr"].replace(
        "$currency", "GBP"
    )
    values = [v for frame in mrr_panel["snapshotData"] for v in frame["fields"][1]["values"]]
    assert values and values[-1] == pytest.approx(float(mrr_now))
    gets = [p for m, p, _ in g.requests if m == "GET"]
    assert gets[0] == f"/api/dashboards/uid/{board['uid']}"


_HELD = re.compile(r"last_over_time\(([^()\[\]]+)\[[0-9]+[mhd]\]\)")


def test_history_panels_draw_daily_backfill_as_lines(db_url: str, tmp_path: Path) -> None:
    """Daily backfilled samples through a real Prometheus: every time-series panel's query,
    asked at a 1 h step over the days (a spring-forward day among them), has a value at
    every step; the same query with plain selectors only at the daily samples, since a
    sample is found only within the 5 minutes of lookback after it."""
    promtool = require_tool("promtool")
    prometheus = require_tool("prometheus")
    cfg_db = clock_change_week(db_url)
    out = tmp_path / "h.om"
    backfill(db_url, cfg_db, FIRST, LAST, parse_step("1d"), out, progress=False, now=NOW)
    days = instants(FIRST, LAST, parse_step("1d"), cfg_db.reporting.zone, NOW)
    steps = int((days[-1] - days[0]).total_seconds() // 3600) + 1
    history = [
        (d["uid"], p["title"], substitute(t["expr"]))
        for d in boards_json()
        for p in panels_of(d)
        if p["type"] == "timeseries" and p["datasource"]["type"] == PROMETHEUS_TYPE
        for t in p["targets"]
    ]

    def points(base: str, expr: str) -> dict[str, list[float]]:
        """Each series' timestamps, by its labels."""
        answer = httpx.post(
            base + "/api/v1/query_range",
            data={
                "query": expr,
                "start": days[0].timestamp(),
                "end": days[-1].timestamp(),
                "step": 3600,
            },
        ).json()
        assert answer["status"] == "success", (expr, answer)
        return {
            json.dumps(s["metric"], sort_keys=True): [float(t) for t, _ in s["values"]]
            for s in answer["data"]["result"]
        }

    checked = 0
    with prometheus_on_history(promtool, prometheus, out, tmp_path) as base:
        for uid, title, expr in history:
            where = f"{uid}: {title}: {expr}"
            assert _HELD.search(expr), where
            drawn = points(base, expr)
            if not drawn:  # a recording rule: Prometheus evaluates it live, never backfilled
                assert ":" in expr, f"no history for {where}"
                continue
            plain = points(base, _HELD.sub(r"\1", expr))
            assert plain.keys() == drawn.keys(), where
            for series, stamps in drawn.items():
                # From its first day on, a value at every hour up to the range's end...
                first = stamps[0]
                assert first in {d.timestamp() for d in days}, where
                assert stamps == [first + 3600 * i for i in range(len(stamps))], where
                assert stamps[-1] == days[-1].timestamp(), where
                # ...where the plain selectors have one a day, at the samples.
                assert plain[series] == [d.timestamp() for d in days if d.timestamp() >= first]
                assert len(plain[series]) < len(stamps), where
            checked += 1
    assert steps == 4 * 24  # 5 midnights, 95 hours apart: one day has 23
    assert checked >= 30, checked
