"""Backfill: OpenMetrics history that promtool turns into blocks, which a real Prometheus
answers with exactly the values ``collect --at`` gives for the same instants.

The range crosses the spring clock change in Europe/London, so the instants are the
local midnights (00:00Z, then 23:00Z once summer time starts), not every 24 h.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter import catalog
from exporter.engine import Engine, evaluate_many
from exporter.errors import ConfigError
from exporter.groups import GROUPS
from exporter.history.backfill import backfill, instants, openmetrics, parse_step
from exporter.serve.service import collect
from exporter.snapshot import Snapshot
from tests import support as S
from tests.cli_support import assert_one_line_error, cli_env, run_cli
from tests.conftest import require_tool
from tests.datasets import FIRST, LAST, NOW, ZONE, clock_change_week
from tests.stack import prometheus_on_history

HEALTH = {m.name for m in catalog.ALL if m.group == "health"}


def test_instants_are_local_midnights_across_the_clock_change() -> None:
    zone = S.config(tz=ZONE).reporting.zone
    got = instants(FIRST, LAST, parse_step("1d"), zone, NOW)
    assert [t.isoformat() for t in got] == [
        "2026-03-27T00:00:00+00:00",
        "2026-03-28T00:00:00+00:00",
        "2026-03-29T00:00:00+00:00",
        "2026-03-29T23:00:00+00:00",
        "2026-03-30T23:00:00+00:00",
    ]
    weekly = instants(date(2026, 1, 1), date(2026, 1, 15), parse_step("1w"), zone, NOW)
    assert [t.day for t in weekly] == [1, 8, 15]
    hourly = instants(FIRST, FIRST, parse_step("6h"), zone, NOW)
    assert len(hourly) == 1  # --to's midnight is the last instant
    two = instants(FIRST, date(2026, 3, 28), parse_step("6h"), zone, NOW)
    assert [t.hour for t in two] == [0, 6, 12, 18, 0]


@pytest.mark.parametrize(
    ("start", "end", "step", "needle"),
    [
        (LAST, FIRST, "1d", "is after --to"),
        (FIRST, LAST, "0d", "more than zero"),
        (FIRST, LAST, "1m", "not a step"),
        (FIRST, date(2026, 7, 1), "1d", "in the future"),
    ],
)
def test_bad_ranges(start: date, end: date, step: str, needle: str) -> None:
    zone = S.config(tz=ZONE).reporting.zone
    with pytest.raises(ConfigError, match=needle):
        instants(start, end, parse_step(step), zone, NOW)


def _collected(
    url: str, cfg: S.Any, t: datetime
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = collect(url, cfg, t).exposition.decode()
    values = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name in HEALTH:
                continue  # the exporter's own health is not history
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return values


def test_prometheus_answers_with_the_values_of_collect_at(db_url: str, tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    prometheus = require_tool("prometheus")
    cfg = clock_change_week(db_url)
    out = tmp_path / "history.om"
    result = backfill(db_url, cfg, FIRST, LAST, parse_step("1d"), out, progress=False, now=NOW)
    assert result.instants == 5
    text = out.read_text()
    assert text.endswith("# EOF\n")
    assert not list(tmp_path.glob(".*.tmp"))

    stamps = instants(FIRST, LAST, parse_step("1d"), cfg.reporting.zone, NOW)
    with prometheus_on_history(promtool, prometheus, out, tmp_path) as base:
        response = httpx.get(
            base + "/api/v1/query_range",
            params={
                "query": '{__name__=~"execmetrics_.+"}',
                "start": stamps[0].timestamp(),
                "end": stamps[-1].timestamp(),
                "step": "3600",
            },
            timeout=30,
        )
        body = response.json()
        assert body["status"] == "success", body
        got: dict[tuple[str, tuple[tuple[str, str], ...], float], float] = {}
        for series in body["data"]["result"]:
            labels = dict(series["metric"])
            name = labels.pop("__name__")
            key = tuple(sorted(labels.items()))
            for stamp, value in series["values"]:
                got[(name, key, float(stamp))] = float(value)

    expected: dict[tuple[str, tuple[tuple[str, str], ...], float], float] = {}
    for t in stamps:
        for (name, key), value in _collected(db_url, cfg, t).items():
            expected[(name, key, t.timestamp())] = value
    assert expected, "collect --at gave nothing"
    assert got.keys() == expected.keys()
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, rel=1e-12, abs=1e-12), k
    # A figure that moves inside the range, by hand: MRR at the last instant
    # (supplier 3 ended on the 30th): 29.99 + 10.00.
    mrr = ("execmetrics_mrr", (("currency", "GBP"),), stamps[-1].timestamp())
    assert got[mrr] == pytest.approx(39.99)


def test_openmetrics_groups_each_family_once(db_url: str, tmp_path: Path) -> None:
    cfg = clock_change_week(db_url)
    stamps = instants(FIRST, LAST, parse_step("1d"), cfg.reporting.zone, NOW)
    text = openmetrics(evaluate_many(db_url, cfg, stamps, jobs=3), cfg).decode()
    lines = text.splitlines()
    assert lines[-1] == "# EOF"
    types = [ln.split()[2] for ln in lines if ln.startswith("# TYPE ")]
    assert len(types) == len(set(types))
    # Samples of a family follow its TYPE line, and each series is in time order.
    current = None
    last_stamp: dict[str, float] = {}
    for ln in lines[:-1]:
        if ln.startswith("# TYPE "):
            current = ln.split()[2]
            continue
        if ln.startswith("#"):
            continue
        series, _value, stamp = ln.rsplit(" ", 2)
        assert series.split("{")[0] == current
        assert float(stamp) > last_stamp.get(series, float("-inf"))
        last_stamp[series] = float(stamp)
    assert {float(ln.rsplit(" ", 1)[1]) for ln in lines if ln.startswith("execmetrics_mrr{")} == {
        t.timestamp() for t in stamps
    }


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--from", "2026-03-31", "--to", "2026-03-01"), "is after --to"),
        (("--from", "2026-03-01", "--to", "2026-03-31", "--step", "0d"), "more than zero"),
        (("--from", "2026-02-30", "--to", "2026-03-31"), "--from: not a date"),
        (("--from", "2026-03-01", "--to", "2999-01-01"), "in the future"),
    ],
)
def test_cli_bad_input(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    out = tmp_path / "h.om"
    proc = run_cli("backfill", *args, "--out", str(out), "--no-progress")
    assert needle in assert_one_line_error(proc, 2)
    assert not list(tmp_path.iterdir())


def test_cli_unwritable_output(db_url: str, tmp_path: Path) -> None:
    proc = run_cli(
        "backfill",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-02",
        "--out",
        str(tmp_path / "missing" / "h.om"),
        env=cli_env(db_url),
    )
    assert "does not exist" in assert_one_line_error(proc, 2)


def test_cli_database_down(tmp_path: Path) -> None:
    proc = run_cli(
        "backfill", "--from", "2026-03-01", "--to", "2026-03-02", "--out", str(tmp_path / "h.om")
    )
    assert_one_line_error(proc, 3)
    assert not list(tmp_path.iterdir())


def test_cli_writes_the_file(db_url: str, tmp_path: Path) -> None:
    cfg_path = tmp_path / "c.yml"
    cfg_path.write_text(f"reporting:\n  timezone: {ZONE}\n")
    clock_change_week(db_url)
    out = tmp_path / "h.om"
    proc = run_cli(
        "--config",
        str(cfg_path),
        "backfill",
        "--from",
        "2026-03-27",
        "--to",
        "2026-03-31",
        "--out",
        str(out),
        "--no-progress",
        env=cli_env(db_url),
    )
    assert proc.returncode == 0, proc.stderr
    assert "5 instants" in proc.stdout
    assert out.read_text().endswith("# EOF\n")


FUTURE = ("execmetrics_data_quality_issues", (("check", "timestamp_in_future"),))


def _rows_after_the_range(url: str) -> None:
    """Four rows stamped after the backfill's last instant but before NOW, and one a day
    after NOW."""
    S.load(
        url,
        suppliers=[S.supplier(4, datetime(2026, 4, 15, tzinfo=UTC))],
        couples=[
            S.couple(12, datetime(2026, 4, 2, tzinfo=UTC)),
            S.couple(13, NOW + timedelta(days=1)),
        ],
        user_sessions=[S.session(4, datetime(2026, 5, 1, tzinfo=UTC), supplier_id=1)],
        invitations=[S.invite(3, 1, datetime(2026, 5, 31, 23, 59, tzinfo=UTC))],
    )


def test_a_backfill_counts_no_row_stamped_before_its_wall_clock(db_url: str) -> None:
    # SPEC §3: the past instants of a backfill are checked against the later of T and the
    # run's wall clock, so rows stamped since the range (before the run) are no issue.
    # Under the rule of T + 5 minutes every instant would have counted all five rows.
    cfg = clock_change_week(db_url)
    _rows_after_the_range(db_url)
    stamps = instants(FIRST, LAST, parse_step("1d"), cfg.reporting.zone, NOW)
    at_now = evaluate_many(db_url, cfg, stamps, jobs=3, wall=NOW)
    assert [ev.series(FUTURE[0])[FUTURE[1]] for _, ev in at_now.evaluations] == [1.0] * 5
    # Today's clock (after NOW + 1 day): none of the later rows is in the future.
    today = evaluate_many(db_url, cfg, stamps, jobs=3)
    assert [ev.series(FUTURE[0])[FUTURE[1]] for _, ev in today.evaluations] == [0.0] * 5


def test_the_backfill_file_uses_its_now_as_the_wall_clock(db_url: str, tmp_path: Path) -> None:
    cfg = clock_change_week(db_url)
    _rows_after_the_range(db_url)
    out = tmp_path / "history.om"
    backfill(db_url, cfg, FIRST, LAST, parse_step("1d"), out, progress=False, now=NOW)
    values = [
        s.value
        for family in text_string_to_metric_families(out.read_text())
        for s in family.samples
        if s.name == FUTURE[0] and s.labels == dict(FUTURE[1])
    ]
    assert values == [1.0] * 5  # couple 13 only, at every instant


def test_evaluate_many_reads_the_wall_clock_once(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = clock_change_week(db_url)
    walls: list[datetime] = []
    run_group_at = Engine.run_group_at

    def spy(self: Engine, group: Any, instants: Any) -> list[Snapshot]:
        walls.extend(i.wall for i in instants)
        return run_group_at(self, group, instants)

    monkeypatch.setattr(Engine, "run_group_at", spy)
    stamps = instants(FIRST, LAST, parse_step("1d"), cfg.reporting.zone, NOW)
    before = datetime.now(UTC)
    history = evaluate_many(db_url, cfg, stamps, jobs=3)
    after = datetime.now(UTC)
    assert len(history.evaluations) == len(stamps)
    assert len(walls) == len(stamps) * len(GROUPS)  # every (instant, group) once
    assert len(set(walls)) == 1  # one reading for every (instant, group) task
    (wall,) = set(walls)
    assert wall is not None and before <= wall <= after
