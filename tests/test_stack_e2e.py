"""The whole stack end to end, without Grafana.

Two databases get the same ``small`` seed: in "high" the viral coefficient K stays above
1, in "low" half of the recent acceptances are removed so K is clearly below 1. A real
``execmetrics serve`` runs on each, a real Prometheus (Debian's package) scrapes both
with the repository's recording and alerting rules, and then, through Prometheus's HTTP
API:

- every PromQL query of every panel and every variable query of every board returns a
  non-empty result (Grafana variables replaced by the sample values of
  ``tests.board_queries``);
- every recording rule evaluates (health "ok") to a non-empty result, every alerting
  rule evaluates with health "ok";
- ViralCoefficientBelowTarget is pending (or firing) for ``dataset="low"`` and absent for
  ``dataset="high"``, and no other alert is active on this healthy stack.

Last, every SQL query of the boards' PostgreSQL panels runs as ``grafana_reader`` on the
"high" database over each board's default time range (90 days, within the seeded year)
and returns rows.

Two replicas, one truth: "high" is served by two ``execmetrics serve`` processes (two
replicas over one database), and a second Prometheus scrapes only one of them. Every
figure of the overview is the same in both Prometheus servers: no panel counts a replica
twice. (Source events near the edges of the windows are removed first, so the two
replicas, whose instants T differ by seconds, compute the same numbers.)

Failures are collected and reported together, one line per board, panel and query.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import yaml

from dashboards.build import build_all
from dashboards.links import OVERVIEW_UID
from dashboards.variables import ALL_VALUE
from exporter.config import parse_config
from exporter.instant import month_back
from tests.board_queries import (
    PanelQuery,
    expand_sql_macros,
    login_as_reader,
    promql_queries,
    sample_values,
    sql_queries,
    substitute,
    variable_queries,
)
from tests.conftest import require_tool
from tests.stack import (
    PrometheusAPI,
    Server,
    console_script,
    environ,
    free_port,
    go_time,
    run_all_checked,
    run_checked,
    running,
    sample,
    samples,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
RULE_FILES = sorted((ROOT / "provisioning" / "prometheus" / "rules").glob("*.yml"))

DATASETS = ("high", "low")
# The exporters: two replicas of "high" over one database, one of "low".
REPLICAS = {"high": "high", "high-b": "high", "low": "low"}
# The second Prometheus scrapes one replica of each dataset.
ONE_REPLICA = ("high", "low")
GROUP_INTERVAL_SECONDS = 2
EXPORTER_CONFIG = {
    "groups": {
        name: {"interval_seconds": GROUP_INTERVAL_SECONDS}
        for name in ("revenue", "users", "viral", "engagement", "quality", "growth")
    },
    "refresh": {"interval_seconds": 5},
    # the optional targets, so that every pacing card of the overview has a value; low
    # enough to be reached, so that ExecMetricsTargetOffPace stays silent on a healthy stack
    "targets": {"mrr": 1, "paying_suppliers": 1},
}
VIRAL_WINDOW = 'window="30d"'

# Grafana's interval variables, as small durations: the queries are instant queries
# over a stack whose history is a few seconds long.
INTERVALS = {
    "__range": "1m",
    "__range_s": "60",
    "__range_ms": "60000",
    "__interval": "15s",
    "__interval_ms": "15000",
    "__rate_interval": "1m",
}
# Longer than the history this test builds: a query reading that far back may be empty.
HISTORY = timedelta(minutes=1)
_OFFSET = re.compile(r"\boffset\s+(-?)((?:\d+(?:ms|[smhdwy]))+)")
_DURATION_PART = re.compile(r"(\d+)(ms|[smhdwy])")
_UNIT = {
    "ms": 0.001,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "y": 365 * 86400,
}

_RELATIVE = re.compile(r"^now-(\d+)([mhdw])$")
DAY = timedelta(days=1)
_GRAFANA_UNIT = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}

# Remove the acceptance of every other invitation sent in the last 60 days: K halves.
LOW_UPDATE = """
UPDATE invitations SET accepted_at = NULL, couple_id = NULL
WHERE sent_at > %(end)s - interval '60 days' AND id %% 2 = 0
"""
# Accept the oldest unaccepted invitations of the last 25 days, an hour after sending.
ACCEPT_MORE = """
UPDATE invitations SET accepted_at = sent_at + interval '1 hour'
WHERE id IN (
    SELECT id FROM invitations
    WHERE accepted_at IS NULL
      AND sent_at > %(end)s - interval '25 days'
      AND sent_at <= %(end)s - interval '1 hour'
    ORDER BY id
    LIMIT %(n)s
)
"""

# Events this close to an edge of a window (T - 1d, 7d, 30d, M1 = T - one month, and T
# itself) are removed, so that every instant T within QUIET of now sees the same data.
QUIET = timedelta(minutes=20)
EDGES = (timedelta(0), timedelta(days=1), timedelta(days=7), timedelta(days=30))
QUIET_SQL = (
    "DELETE FROM user_sessions WHERE created_at BETWEEN %(lo)s AND %(hi)s",
    "DELETE FROM invitations WHERE sent_at BETWEEN %(lo)s AND %(hi)s"
    " OR accepted_at BETWEEN %(lo)s AND %(hi)s",
    "DELETE FROM subscriptions WHERE started_at BETWEEN %(lo)s AND %(hi)s"
    " OR trial_ends_at BETWEEN %(lo)s AND %(hi)s OR ended_at BETWEEN %(lo)s AND %(hi)s",
)


def quiet_window_edges(url: str, now: datetime) -> None:
    """Remove the source events within QUIET of an edge of a window ending near now."""
    m1_offset = now - month_back(now, parse_config(EXPORTER_CONFIG).reporting.zone)
    with psycopg.connect(url, autocommit=True) as conn:
        for offset in (*EDGES, m1_offset):
            edge = now - offset
            for statement in QUIET_SQL:
                conn.execute(statement, {"lo": edge - QUIET, "hi": edge + QUIET})


def figures(api: PrometheusAPI, expr: str, at: float) -> dict[tuple[tuple[str, str], ...], float]:
    """Labels -> value of an instant query's result (a scalar under no labels)."""
    data = api.query(expr, at)
    if data["resultType"] == "scalar":
        return {(): float(data["result"][1])}
    return {tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in data["result"]}


# SQL panels whose tables must list rows over the boards' default range (every SQL panel is
# checked for rows; these are named so a renamed panel fails loudly).
REQUIRED_SQL_PANELS = (
    "Suppliers who churned or contracted in the time range",
    "Top inviting suppliers in the time range",
    "Recent sign-ups",
)


# Record tables that list nothing when their card is 0: the suppliers at risk depend on
# the seed's quiet suppliers at the hour the test runs (the card may be 0).
EMPTY_WHEN_ZERO = {"Suppliers at risk now": "execmetrics_mrr_at_risk"}


def _seconds(duration: str) -> float:
    return sum(int(n) * _UNIT[u] for n, u in _DURATION_PART.findall(duration))


def long_offsets(expr: str) -> list[str]:
    """The ``offset`` durations in ``expr`` that reach back beyond the test's history."""
    return [m[2] for m in _OFFSET.finditer(expr) if not m[1] and _seconds(m[2]) > HISTORY.seconds]


def names_metric(expr: str, name: str) -> bool:
    """Whether ``expr`` selects the metric ``name`` (recorded names contain colons)."""
    return re.search(rf"(?<![\w:]){re.escape(name)}(?![\w:])", expr) is not None


def _one_line(expr: str) -> str:
    return " ".join(expr.split())


def _panel(q: PanelQuery, expr: str) -> str:
    """Where a panel query is, for a failure line: board, panel, ref id and expression."""
    return f"{q.board_uid} | {q.panel_title} [{q.ref_id}] | {_one_line(expr)}"


def _collect(execmetrics: str, config: Path, url: str) -> str:
    return run_checked(
        [execmetrics, "--config", str(config), "collect"],
        environ(EXECMETRICS_DATABASE_URL=url),
    )


def _viral_coefficient(exposition: str) -> float:
    return sample(exposition, "execmetrics_viral_coefficient", VIRAL_WINDOW)


def _raise_viral_coefficient(url: str, exposition: str, end: datetime, target: float) -> None:
    """Accept enough recent invitations that K over the window reaches ``target``."""
    accepted = sample(exposition, "execmetrics_invitations_accepted", VIRAL_WINDOW)
    sent = sample(exposition, "execmetrics_invitations_sent", VIRAL_WINDOW)
    per_supplier = sample(exposition, "execmetrics_invites_per_supplier", VIRAL_WINDOW)
    active = sent / per_supplier
    missing = math.ceil(target * active - accepted)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(ACCEPT_MORE, {"end": end, "n": missing})


def default_time_ranges(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    """Board uid -> the board's default time range (``now-<n><unit>`` to ``now``) at now.

    The SQL panels are run over the range a user sees on opening the board; it lies
    within the seeded year, as the per-supplier MRR changes need MRR at its start.
    """
    found = {}
    for text in build_all().values():
        board = json.loads(text)
        m = _RELATIVE.match(board["time"]["from"])
        assert m is not None and board["time"]["to"] == "now", board["time"]
        found[board["uid"]] = (now - int(m[1]) * _GRAFANA_UNIT[m[2]], now)
    return found


def _is_empty(data: dict[str, object]) -> bool:
    # A scalar or string result always holds a value; vectors and matrices may be empty.
    return data["resultType"] in ("vector", "matrix") and not data["result"]


def _datasets(api: PrometheusAPI, expr: str) -> set[str]:
    return {s["metric"].get("dataset", "") for s in api.vector(expr)}


def test_every_board_query_rule_and_alert_on_a_real_prometheus(
    make_database: Callable[[], str], tmp_path: Path
) -> None:
    started = time.monotonic()
    prometheus = require_tool("prometheus")
    promtool = require_tool("promtool")
    execmetrics = console_script("execmetrics")

    # ---- two seeded databases -------------------------------------------------------------
    config = tmp_path / "execmetrics.yml"
    config.write_text(yaml.safe_dump(EXPORTER_CONFIG))
    urls = {name: make_database() for name in DATASETS}
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for step in (
        ["migrate", "--create-source-tables"],
        ["seed", "--scale", "small", "--end", end.isoformat(), "--no-progress"],
    ):
        run_all_checked(
            [
                ([execmetrics, "--config", str(config), *step], environ(EXECMETRICS_DATABASE_URL=u))
                for u in urls.values()
            ]
        )

    for url in urls.values():
        quiet_window_edges(url, datetime.now(UTC))

    high = _collect(execmetrics, config, urls["high"])
    if _viral_coefficient(high) <= 1.0:
        _raise_viral_coefficient(urls["high"], high, end, target=1.2)
        high = _collect(execmetrics, config, urls["high"])
    k_high = _viral_coefficient(high)
    assert k_high > 1.0, f"K of the high dataset is {k_high}, not above 1"

    with psycopg.connect(urls["low"], autocommit=True) as conn:
        conn.execute(LOW_UPDATE, {"end": end})
    k_low = _viral_coefficient(_collect(execmetrics, config, urls["low"]))
    assert k_low < 0.9, f"K of the low dataset is {k_low}, not clearly below 1"

    with ExitStack() as stack:
        # ---- two exporters ---------------------------------------------------------------
        exporters = {}
        for name, dataset in REPLICAS.items():
            url = urls[dataset]
            port = free_port()
            exporters[name] = stack.enter_context(
                running(
                    f"execmetrics serve ({name})",
                    [
                        execmetrics,
                        "--config",
                        str(config),
                        "serve",
                        "--listen",
                        f"127.0.0.1:{port}",
                    ],
                    f"http://127.0.0.1:{port}",
                    tmp_path / f"exporter-{name}.log",
                    env=environ(EXECMETRICS_DATABASE_URL=url),
                )
            )

        # ---- Prometheus ------------------------------------------------------------------
        def start_prometheus(name: str, scraped: tuple[str, ...]) -> tuple[Server, PrometheusAPI]:
            prom_config = tmp_path / f"{name}.yml"
            prom_config.write_text(
                yaml.safe_dump(
                    {
                        "global": {
                            "scrape_interval": "1s",
                            "scrape_timeout": "1s",
                            "evaluation_interval": "1s",
                        },
                        "rule_files": [str(p) for p in RULE_FILES],
                        "scrape_configs": [
                            {
                                "job_name": "execmetrics",
                                "static_configs": [
                                    {
                                        "targets": [exporters[e].base_url.removeprefix("http://")],
                                        "labels": {"dataset": REPLICAS[e]},
                                    }
                                    for e in scraped
                                ],
                            }
                        ],
                    },
                    sort_keys=False,
                )
            )
            check = subprocess.run(
                [promtool, "check", "config", str(prom_config)],
                capture_output=True,
                text=True,
                check=False,
            )
            assert check.returncode == 0, f"promtool check config:\n{check.stdout}{check.stderr}"
            port = free_port()
            server = stack.enter_context(
                running(
                    name,
                    [
                        prometheus,
                        f"--config.file={prom_config}",
                        f"--storage.tsdb.path={tmp_path / f'tsdb-{name}'}",
                        f"--web.listen-address=127.0.0.1:{port}",
                    ],
                    f"http://127.0.0.1:{port}",
                    tmp_path / f"{name}.log",
                )
            )
            client = PrometheusAPI(server.base_url)
            stack.callback(client.close)
            return server, client

        server, api = start_prometheus("prometheus", tuple(REPLICAS))
        single_server, single = start_prometheus("prometheus-one-replica", ONE_REPLICA)

        # ---- wait: both targets up and scraped, then a rule evaluation after that ---------
        deadline = time.monotonic() + 60
        both = set(DATASETS)
        replicas_up = {"high": 2, "low": 1}
        try:
            for client, up in ((api, replicas_up), (single, {"high": 1, "low": 1})):
                client.wait_for(
                    f"up == 1 for every exporter ({up})",
                    lambda c=client, u=up: (
                        {
                            s["metric"]["dataset"]: int(float(s["value"][1]))
                            for s in c.vector('count by (dataset) (up{job="execmetrics"} == 1)')
                        }
                        == u
                    ),
                    deadline,
                )
                client.wait_for(
                    "metrics of both datasets",
                    lambda c=client: (
                        _datasets(c, "count by (dataset) (execmetrics_viral_coefficient)") == both
                    ),
                    deadline,
                )
            scraped = datetime.now(UTC)

            def evaluated(client: PrometheusAPI) -> bool:
                groups = client.rule_groups()
                return bool(groups) and all(
                    go_time(g["lastEvaluation"]) > scraped
                    and all(r["health"] != "unknown" for r in g["rules"])
                    for g in groups
                )

            for client in (api, single):
                client.wait_for(
                    "every rule group evaluated after every scrape",
                    lambda c=client: evaluated(c),
                    deadline,
                )
                client.wait_for(
                    "a value of the recording rule execmetrics:stickiness:ratio",
                    lambda c=client: bool(c.vector("execmetrics:stickiness:ratio")),
                    deadline,
                )
        except TimeoutError as exc:
            logs = "\n\n".join(s.describe() for s in [*exporters.values(), server, single_server])
            pytest.fail(f"{exc}\n\n{logs}")

        failures: list[str] = []
        notes: list[str] = []

        # ---- every panel's PromQL ----------------------------------------------------------
        panels = promql_queries()
        for q in panels:
            expr = q.expr  # until substituted
            try:
                expr = substitute(q.expr, INTERVALS)
                data = api.query(expr)
            except Exception as exc:
                failures.append(f"panel {_panel(q, expr)} | error: {type(exc).__name__}: {exc}")
                continue
            where = _panel(q, expr)
            if _is_empty(data):
                offsets = long_offsets(expr)
                if offsets:
                    notes.append(f"panel {where} | empty, offset {', '.join(offsets)} > history")
                else:
                    failures.append(f"panel {where} | empty result")

        # ---- every variable query ----------------------------------------------------------
        variables = variable_queries()
        samples_of = sample_values()
        for v in variables:
            where = f"{v.board_uid} | variable ${v.name} | {v.query}"
            try:
                match = substitute(v.match, INTERVALS)
                where = f"{where} (match[]={match})"
                values = api.label_values(v.label, match)
            except Exception as exc:
                failures.append(f"variable {where} | error: {type(exc).__name__}: {exc}")
                continue
            if not values:
                failures.append(f"variable {where} | no values")
            elif (
                samples_of.get(v.name, ALL_VALUE) != ALL_VALUE and samples_of[v.name] not in values
            ):
                # The value substituted into the panels' queries must be one the variable
                # offers (multi-value variables use the "All" regex instead).
                failures.append(
                    f"variable {where} | the sample value {samples_of[v.name]!r} used for "
                    f"the panels is not among {values}"
                )

        # ---- every rule --------------------------------------------------------------------
        recording = alerting = 0
        # Recording rules that read further back than this test's history, directly or
        # through another such rule (the weekday baselines): empty here by construction.
        needs_history: set[str] = set()
        for group in api.rule_groups():
            for rule in group["rules"]:
                where = f"{group['file']} | {group['name']} | {rule['name']}"
                if rule["health"] != "ok":
                    failures.append(
                        f"rule {where} | health {rule['health']}: {rule.get('lastError')}"
                    )
                offsets = long_offsets(rule["query"])
                for offset in offsets:
                    notes.append(
                        f"rule {where} | reads offset {offset}: it cannot become true "
                        "within this test's history"
                    )
                reads_old = bool(offsets) or any(
                    names_metric(rule["query"], name) for name in needs_history
                )
                if rule["type"] == "recording":
                    recording += 1
                    if reads_old:
                        needs_history.add(rule["name"])
                        notes.append(f"recording rule {where} | empty: needs a longer history")
                    elif not api.vector(rule["name"]):
                        failures.append(f"recording rule {where} | empty result")
                else:
                    alerting += 1

        # ---- the viral alert ---------------------------------------------------------------
        alert_cases = 0
        active = api.alerts()
        viral = [a for a in active if a["labels"]["alertname"] == "ViralCoefficientBelowTarget"]
        by_dataset = {
            name: [a for a in viral if a["labels"].get("dataset") == name] for name in DATASETS
        }
        alert_cases += 1
        low_states = sorted(a["state"] for a in by_dataset["low"])
        if not low_states or not set(low_states) <= {"pending", "firing"}:
            failures.append(
                f'alert ViralCoefficientBelowTarget{{dataset="low"}} (K={k_low:.3f}) | '
                f"expected pending or firing, got {low_states or 'no alert'}"
            )
        alert_cases += 1
        if by_dataset["high"]:
            failures.append(
                f'alert ViralCoefficientBelowTarget{{dataset="high"}} (K={k_high:.3f}) | '
                f"expected none, got {[a['state'] for a in by_dataset['high']]}"
            )
        alert_cases += 1
        others = [
            f"{a['labels']['alertname']}{{dataset={a['labels'].get('dataset')!r}}} {a['state']}"
            for a in active
            if a not in viral
        ]
        if others:
            failures.append(f"alerts on a healthy stack | expected none, got {others}")

        # ---- two replicas, one truth -------------------------------------------------------
        overview = [q for q in panels if q.board_uid == OVERVIEW_UID]
        compared = clock_readings = 0
        figure_lines: list[str] = []
        for q in overview:
            expr = substitute(q.expr, INTERVALS)
            if "time()" in expr:
                clock_readings += 1  # a data age: when each replica last computed differs
                continue
            # A recording rule over the slowest group may not have been evaluated yet on
            # the one-replica server: read both again until it has (or the wait is over).
            waited_until = time.monotonic() + 30
            while True:
                at = time.time() - 1
                two, one = figures(api, expr, at), figures(single, expr, at)
                if (two == one and one) or time.monotonic() > waited_until:
                    break
                time.sleep(1)
            compared += 1
            figure_lines.append(f"{q.panel_title} [{q.ref_id}]: {sorted(one.values())}")
            if two != one or not one:
                failures.append(
                    f"figure {q.panel_title} [{q.ref_id}] | {_one_line(expr)} | two replicas "
                    f"{two}, one replica {one}"
                )
        # The comparison can tell: a plain sum over the replicas differs.
        doubled = 'sum(execmetrics_mrr{currency="GBP"})'
        two_sum, one_sum = figures(api, doubled, at), figures(single, doubled, at)
        if two_sum == one_sum:
            failures.append(f"control {doubled} | expected to differ, both {one_sum}")

        # ---- the SQL panels, as grafana_reader ---------------------------------------------
        with psycopg.connect(urls["high"], autocommit=True) as conn:
            api.wait_for(
                "the exporter's first refresh of daily_metrics",
                lambda: (
                    conn.execute("SELECT count(*) FROM execmetrics.daily_metrics").fetchone()
                    != (0,)
                ),
                time.monotonic() + 20,
            )
        now = datetime.now(UTC)
        ranges = default_time_ranges(now)
        sql_panels = sql_queries()
        titles = {q.panel_title for q in sql_panels}
        for title in REQUIRED_SQL_PANELS:
            if title not in titles:
                failures.append(f"SQL panel {title!r} | not on any board")
        for q in sql_panels:
            where = f"{q.board_uid} | {q.panel_title} | {_one_line(q.sql)}"
            try:
                text = expand_sql_macros(q.sql, *ranges.get(q.board_uid, (now - 90 * DAY, now)))
                where = f"{q.board_uid} | {q.panel_title} | {_one_line(text)}"
                with psycopg.connect(urls["high"]) as conn:
                    login_as_reader(conn)
                    rows = conn.execute(text).fetchall()
                    conn.rollback()
            except (psycopg.Error, ValueError) as exc:
                failures.append(f"SQL {where} | error: {type(exc).__name__}: {exc}".strip())
                continue
            if not rows:
                # A table whose card is 0 in the exporter's own output lists no record.
                card = EMPTY_WHEN_ZERO.get(q.panel_title)
                if card is not None and sum(v for _, v in samples(high, card)) == 0:
                    continue
                failures.append(f"SQL {where} | no rows")

        seconds = time.monotonic() - started
        print(
            f"\nstack e2e: {len(panels)} panel queries "
            f"({len({q.expr for q in panels})} distinct), "
            f"{len(variables)} variable queries, {recording} recording rules, "
            f"{alerting} alerting rules, {alert_cases} alert cases, "
            f"{len(sql_panels)} SQL panel queries; K high {k_high:.3f}, low {k_low:.3f}; "
            f"{compared} overview figures equal with two replicas and one "
            f"({clock_readings} clock readings left out; control {doubled}: two replicas "
            f"{sorted(two_sum.values())}, one {sorted(one_sum.values())}); "
            f"{len(failures)} failures; {seconds:.0f}s"
        )
        for note in notes:
            print(f"note: {note}")
        for line in figure_lines:
            print(f"figure: {line}")

        assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)
