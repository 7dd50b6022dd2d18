"""The Grafana boards: build output, JSON schema, and the conventions of our own linter.

Grafana cannot run here, so everything Grafana would check, and more, is checked on the
JSON: the committed files equal the build, every board validates against Grafana's
dashboard JSON schema (tests/grafana-schema/, a copy of Grafana 11.6's), and every
panel, query and variable follows the house conventions below.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import promql_parser
import pytest
import yaml

from dashboards.__main__ import main as build_main
from dashboards.build import build_all
from dashboards.cards import QUALITY_BY_AREA
from dashboards.datasources import (
    PG_VAR,
    POSTGRES_TYPE,
    POSTGRES_UID,
    PROM_VAR,
    PROMETHEUS_TYPE,
    PROMETHEUS_UID,
)
from dashboards.links import AREAS, OVERVIEW_UID
from dashboards.options import BuildOptions
from dashboards.queries import RULES
from dashboards.reference import with_panel_reference
from dashboards.units import INTERVALS, MULTIPLIERS, currency_unit
from exporter import catalog
from exporter.vocabulary import Unit
from tests.board_queries import (
    promql_queries,
    sample_values,
    sql_queries,
    substitute,
    variable_queries,
)
from tests.promql import selectors

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = ROOT / "dashboards"
SCHEMAS = Path(__file__).resolve().parent / "grafana-schema"
RULES_DIR = ROOT / "provisioning" / "prometheus" / "rules"
GRAFANA_PROVISIONING = ROOT / "provisioning" / "grafana"

UIDS = {
    OVERVIEW_UID,
    "execmetrics-revenue",
    "execmetrics-users",
    "execmetrics-viral",
    "execmetrics-engagement",
    "execmetrics-growth",
}
OPTS = BuildOptions()
BUILT = build_all(OPTS)
BOARDS: dict[str, dict[str, Any]] = {
    d["uid"]: d for d in (json.loads(text) for text in BUILT.values())
}
PERSONAL = re.compile(r"e-?mail|\bname\b|first_name|last_name|full_name|phone", re.IGNORECASE)


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for p in board["panels"]:
        if p["type"] == "row":
            yield from p.get("panels", [])
        else:
            yield p


def all_panels() -> list[tuple[str, dict[str, Any]]]:
    return [(uid, p) for uid, b in BOARDS.items() for p in panels(b)]


def panel_id(item: tuple[str, dict[str, Any]]) -> str:
    return f"{item[0]}:{item[1].get('title', '?')}"


def parse(expr: str) -> promql_parser.Expr:
    return promql_parser.parse(substitute(expr, sample_values(OPTS)))


# --- the build --------------------------------------------------------------------------------


def test_every_board_is_built_with_its_fixed_uid() -> None:
    assert set(BOARDS) == UIDS
    assert set(BUILT) == {f"{uid}.json" for uid in UIDS}


def test_committed_json_equals_the_build() -> None:
    committed = {p.name for p in DASHBOARDS.glob("*.json")}
    assert committed == set(BUILT), "run: python -m dashboards"
    for name, text in BUILT.items():
        assert (DASHBOARDS / name).read_text(encoding="utf-8") == text, (
            f"dashboards/{name} differs from the build; run: python -m dashboards"
        )


def test_build_is_stable_and_formatted() -> None:
    assert build_all(OPTS) == BUILT
    for text in BUILT.values():
        assert text.endswith("}\n")
        data = json.loads(text)
        assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_build_command_writes_and_checks(tmp_path: Path) -> None:
    assert build_main(["--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == set(BUILT)
    assert build_main(["--out", str(tmp_path), "--check"]) == 0
    (tmp_path / f"{OVERVIEW_UID}.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "execmetrics-gone.json").write_text("{}\n", encoding="utf-8")
    assert build_main(["--out", str(tmp_path), "--check"]) == 1
    assert build_main(["--out", str(tmp_path)]) == 0
    assert not (tmp_path / "execmetrics-gone.json").exists()
    assert build_main(["--out", str(tmp_path), "--check"]) == 0
    assert build_main(["--currency", "pounds", "--out", str(tmp_path)]) == 2


def test_docs_panel_tables_are_current(tmp_path: Path) -> None:
    doc = ROOT / "docs" / "dashboards.md"
    text = doc.read_text(encoding="utf-8")
    assert with_panel_reference(text, OPTS) == text, (
        "run: python -m dashboards --docs docs/dashboards.md"
    )
    for uid in UIDS:
        assert f"(`{uid}`)" in text
    stale = tmp_path / "dashboards.md"
    stale.write_text(text.replace("| Revenue | MRR |", "| Revenue | Old |"), encoding="utf-8")
    assert build_main(["--out", str(DASHBOARDS), "--check", "--docs", str(stale)]) == 1
    (tmp_path / "none.md").write_text("no markers\n", encoding="utf-8")
    assert build_main(["--out", str(tmp_path), "--docs", str(tmp_path / "none.md")]) == 2


def test_build_options_change_currency_unit() -> None:
    other = build_all(BuildOptions(currency="EUR"))
    text = "".join(other.values())
    assert '"unit": "currencyEUR"' in text
    assert "currencyGBP" not in text
    assert currency_unit("XYZ") == "prefix:XYZ "


def test_sql_panels_name_no_schema() -> None:
    """The exporter schema is grafana_reader's search_path (set by migrate), so the same
    boards serve every exporter schema."""
    for q in sql_queries(OPTS):
        assert not re.search(r"\b[a-z_]+\.(grafana_|records_|daily_metrics)", q.sql), q.sql


def test_the_runtime_never_imports_the_builder() -> None:
    imports = re.compile(r"^\s*(?:from|import)\s+(dashboards|grafana_foundation_sdk)\b", re.M)
    for path in sorted((ROOT / "exporter").rglob("*.py")):
        assert not imports.search(path.read_text(encoding="utf-8")), path


def test_build_command_names_a_missing_extra_in_one_line() -> None:
    """Without the Grafana SDK (the dashboards extra), one line on stderr and exit 2."""
    hide = (
        "import runpy, sys; sys.modules['grafana_foundation_sdk'] = None; "
        "sys.argv = ['python -m dashboards', '--check']; "
        "runpy.run_module('dashboards', run_name='__main__', alter_sys=True)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", hide], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert "grafana_foundation_sdk" in line and "'dashboards' extra" in line, line
    assert "Traceback" not in proc.stderr


# --- JSON schema ------------------------------------------------------------------------------


def _validator(name: str) -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMAS / f"{name}.jsonschema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("uid", sorted(UIDS))
def test_board_validates_against_the_dashboard_schema(uid: str) -> None:
    errors = sorted(_validator("dashboard").iter_errors(BOARDS[uid]), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_stat_options_and_prometheus_targets_validate_against_their_schemas() -> None:
    stat_schema = json.loads((SCHEMAS / "stat.jsonschema.json").read_text(encoding="utf-8"))
    stat_options = jsonschema.Draft7Validator({**stat_schema, "$ref": "#/definitions/Options"})
    target = _validator("prometheus")
    checked = 0
    for item in all_panels():
        _, panel = item
        if panel["type"] == "stat":
            errors = list(stat_options.iter_errors(panel["options"]))
            assert not errors, f"{panel_id(item)}: {errors[0].message}"
        for t in panel["targets"]:
            if t["datasource"]["type"] == PROMETHEUS_TYPE:
                errors = list(target.iter_errors(t))
                assert not errors, f"{panel_id(item)}: {errors[0].message}"
                checked += 1
    assert checked == len(promql_queries(OPTS))


# --- the linter --------------------------------------------------------------------------------


@pytest.mark.parametrize("uid", sorted(UIDS))
def test_board_settings(uid: str) -> None:
    board = BOARDS[uid]
    assert board["editable"] is False
    assert board["refresh"] == ("10s" if uid == OVERVIEW_UID else "1m")
    assert board["refresh"] in board["timepicker"]["refresh_intervals"]
    assert board["time"] == {"from": "now-90d", "to": "now"}
    assert board["title"] and board["description"]
    assert "execmetrics" in board["tags"]


@pytest.mark.parametrize("uid", sorted(UIDS))
def test_one_prometheus_datasource_variable_named_datasource(uid: str) -> None:
    variables = BOARDS[uid]["templating"]["list"]
    ds = [v for v in variables if v["type"] == "datasource"]
    prom = [v for v in ds if v["query"] == PROMETHEUS_TYPE]
    assert [v["name"] for v in prom] == [PROM_VAR]
    assert prom[0]["current"]["value"] == PROMETHEUS_UID
    others = [v for v in ds if v["query"] != PROMETHEUS_TYPE]
    uses_pg = any(p["datasource"]["type"] == POSTGRES_TYPE for p in panels(BOARDS[uid]))
    if uses_pg:
        assert [(v["name"], v["query"]) for v in others] == [(PG_VAR, POSTGRES_TYPE)]
        assert others[0]["current"]["value"] == POSTGRES_UID
    else:
        assert others == []
    names = [v["name"] for v in variables]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("uid", sorted(UIDS))
def test_query_variables_refresh_on_time_range_change(uid: str) -> None:
    for v in BOARDS[uid]["templating"]["list"]:
        if v["type"] == "query":
            assert v["refresh"] == 2, v["name"]
            assert v["datasource"] == {"type": PROMETHEUS_TYPE, "uid": f"${{{PROM_VAR}}}"}
            assert v.get("description"), v["name"]


@pytest.mark.parametrize("item", all_panels(), ids=panel_id)
def test_panel_has_title_description_unit_and_target(item: tuple[str, dict[str, Any]]) -> None:
    _, panel = item
    assert panel.get("title", "").strip()
    assert len(panel.get("description", "").strip()) >= 20
    assert panel["fieldConfig"]["defaults"].get("unit")
    assert panel.get("targets")
    ds = panel["datasource"]
    assert ds in (
        {"type": PROMETHEUS_TYPE, "uid": f"${{{PROM_VAR}}}"},
        {"type": POSTGRES_TYPE, "uid": f"${{{PG_VAR}}}"},
    ), "panels reach datasources through the datasource variables"
    for t in panel["targets"]:
        assert t["datasource"] == ds
    ref_ids = [t["refId"] for t in panel["targets"]]
    assert len(set(ref_ids)) == len(ref_ids) and all(ref_ids)


def _expected_unit(exprs: list[str]) -> str:
    """The unit a Prometheus panel must have, from what its queries read."""
    if any("time() -" in e for e in exprs):
        # a group's data age, in multiples of its interval
        assert all("/ max by (group) (execmetrics_group_interval_seconds" in e for e in exprs)
        return INTERVALS
    kinds = set()
    for e in exprs:
        names = {s.name for s in selectors(parse(e))}
        for n in names:
            if n in MULTIPLIERS:
                kinds.add("multiplier")
            elif n in RULES:
                kinds.add("ratio")
            else:
                kinds.add(catalog.BY_NAME[n].unit)
        if kinds == {"count"} and re.search(r"\)\s*/\s*\(", e):
            kinds = {"ratio"}  # counts divided by counts
    assert len(kinds) == 1, f"one unit per panel, got {kinds} from {exprs}"
    return {
        "currency": currency_unit(OPTS.currency),
        "ratio": "percentunit",
        "count": "short",
        "seconds": "s",
        "multiplier": "none",
    }[kinds.pop()]


@pytest.mark.parametrize("item", all_panels(), ids=panel_id)
def test_prometheus_panel_unit_follows_the_catalog(item: tuple[str, dict[str, Any]]) -> None:
    _, panel = item
    if panel["datasource"]["type"] != PROMETHEUS_TYPE:
        return
    exprs = [t["expr"] for t in panel["targets"]]
    assert panel["fieldConfig"]["defaults"]["unit"] == _expected_unit(exprs)


def test_every_promql_expression_parses_and_reads_declared_metrics() -> None:
    queries = promql_queries(OPTS)
    assert len(queries) >= 60
    for q in queries:
        try:
            tree = parse(q.expr)
        except ValueError as exc:
            pytest.fail(f"{q.board_uid}: {q.panel_title}: {q.expr}: {exc}")
        found = list(selectors(tree))
        assert found, q.expr
        for s in found:
            if s.name in RULES:
                labels = RULES[s.name]
            else:
                assert s.name in catalog.BY_NAME, f"{q.panel_title}: unknown metric {s.name}"
                labels = catalog.BY_NAME[s.name].labels
            for m in s.matchers.matchers:
                assert m.name in labels, f"{q.panel_title}: {s.name} has no label {m.name}"


def test_variable_queries_are_label_values_over_declared_labels() -> None:
    found = variable_queries(OPTS)
    assert {(v.board_uid, v.name) for v in found} >= {
        (OVERVIEW_UID, "currency"),
        (OVERVIEW_UID, "viral_window"),
    }
    for v in found:
        tree = parse(v.match)
        (s,) = selectors(tree)
        assert v.label in catalog.BY_NAME[s.name].labels


def test_substitute_replaces_every_grafana_variable_form() -> None:
    expr = 'rate(x{a="$currency", b=~"${plan}", c="${viral_window:raw}"}[$__rate_interval])'
    assert substitute(expr) == 'rate(x{a="GBP", b=~".*", c="30d"}[4m])'
    assert substitute("[[currency]] $__range", {"currency": "EUR"}) == "EUR 1h"
    with pytest.raises(KeyError):
        substitute("$nope")


def test_promql_inventory_covers_every_prometheus_panel() -> None:
    listed = {(q.board_uid, q.panel_title) for q in promql_queries(OPTS)}
    expected = {
        (uid, p["title"]) for uid, p in all_panels() if p["datasource"]["type"] == PROMETHEUS_TYPE
    }
    assert listed == expected
    sql_listed = {(q.board_uid, q.panel_title) for q in sql_queries(OPTS)}
    assert sql_listed == {
        (uid, p["title"]) for uid, p in all_panels() if p["datasource"]["type"] == POSTGRES_TYPE
    }


@pytest.mark.parametrize("uid", sorted(UIDS))
def test_panel_ids_unique_and_grid_without_overlap(uid: str) -> None:
    items = BOARDS[uid]["panels"]
    ids = [p["id"] for p in items]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for p in items:
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24, p.get("title")
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p.get('title')} overlaps another panel"
                cells.add((x, y))


# --- two replicas, one truth ------------------------------------------------------------------


def _unparen(node: object) -> object:
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    return node


def replica_unsafe(node: object) -> list[str]:
    """Aggregations of ``node`` that would count a series once per scraped replica: a
    ``sum`` (or ``count``/``avg``/``quantile``) over catalog series not first reduced to one
    series per value of the metric's own labels (``max by (<catalog labels>)``). Recording
    rules are one series per value already, so any aggregation over them alone is safe."""
    found: list[str] = []
    node = _unparen(node)
    if isinstance(node, promql_parser.AggregateExpr):
        op = str(node.op)
        inner = _unparen(node.expr)
        names = {s.name for s in selectors(inner)}
        rules_only = names <= set(RULES) or all(":" in n for n in names)
        if op == "sum":
            ok = rules_only or (
                isinstance(inner, promql_parser.AggregateExpr)
                and str(inner.op) == "max"
                and inner.modifier is not None
                and "By" in str(inner.modifier.type)
                and len(names) == 1
                and set(inner.modifier.labels) == set(catalog.BY_NAME[names.pop()].labels)
            )
            if not ok:
                found.append(str(node))
        elif op not in ("max", "min") and not rules_only:
            found.append(str(node))
    for child in ("expr", "lhs", "rhs"):
        if hasattr(node, child):
            found += replica_unsafe(getattr(node, child))
    if isinstance(node, promql_parser.Call):
        for arg in node.args:
            found += replica_unsafe(arg)
    return found


def test_replica_check_finds_a_doubled_sum() -> None:
    assert replica_unsafe(promql_parser.parse("sum(execmetrics_mrr)"))
    assert replica_unsafe(promql_parser.parse("sum by (user_type) (execmetrics_active_users)"))
    assert replica_unsafe(promql_parser.parse("sum(max by (window) (execmetrics_active_users))"))
    assert not replica_unsafe(
        promql_parser.parse("sum(max by (user_type, window) (execmetrics_active_users))")
    )
    assert replica_unsafe(promql_parser.parse("count by (check) (execmetrics_data_quality_issues)"))
    assert not replica_unsafe(
        promql_parser.parse("quantile without (weeks_ago) (0.5, execmetrics:x:weekday_samples4w)")
    )


def test_no_panel_query_counts_a_replica_twice() -> None:
    for q in promql_queries(OPTS):
        assert not replica_unsafe(parse(q.expr)), f"{q.board_uid}: {q.panel_title}: {q.expr}"


def test_no_rule_counts_a_replica_twice() -> None:
    checked = 0
    for f in sorted(RULES_DIR.glob("*.yml")):
        for g in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("groups", []):
            for r in g.get("rules", []):
                if "record" in r:
                    checked += 1
                    unsafe = replica_unsafe(promql_parser.parse(r["expr"]))
                    assert not unsafe, f"{f.name}: {r['record']}: {unsafe}"
    assert checked >= len(RULES)


def sums(node: object) -> Iterator[promql_parser.AggregateExpr]:
    """Every ``sum`` aggregation in ``node``."""
    node = _unparen(node)
    if isinstance(node, promql_parser.AggregateExpr) and str(node.op) == "sum":
        yield node
    for child in ("expr", "lhs", "rhs"):
        if hasattr(node, child):
            yield from sums(getattr(node, child))
    if isinstance(node, promql_parser.Call):
        for arg in node.args:
            yield from sums(arg)


def test_only_money_and_counts_are_summed() -> None:
    """Ratios, durations and instants of several label values do not add up."""
    summed = 0
    for q in promql_queries(OPTS):
        for node in sums(parse(q.expr)):
            for s in selectors(node):
                if s.name in catalog.BY_NAME:
                    summed += 1
                    assert Unit(catalog.BY_NAME[s.name].unit).additive, q.expr
    assert summed


# --- drill-down -----------------------------------------------------------------------------


def test_every_overview_card_links_to_its_detail_board_with_time_and_variables() -> None:
    detail_uids = {a.uid for a in AREAS.values()}
    for panel in panels(BOARDS[OVERVIEW_UID]):
        links = panel["fieldConfig"]["defaults"].get("links", [])
        assert links, f"{panel['title']}: no drill-down link"
        for link in links:
            m = re.fullmatch(r"/d/([a-z-]+)\?(.*)", link["url"])
            assert m, link["url"]
            assert m[1] in detail_uids
            assert "${__url_time_range}" in m[2] and "${__all_variables}" in m[2]
            assert link["title"]


RECORDS_SQL = (ROOT / "sql" / "views" / "60_grafana_records.sql").read_text(encoding="utf-8")


def _records_functions() -> dict[str, list[tuple[str, bool]]]:
    """records_ function -> its parameters (name, has a default), from the SQL file."""
    found = {}
    for m in re.finditer(r"CREATE FUNCTION (records_\w+)\((.*?)\)\s*RETURNS", RECORDS_SQL, re.S):
        params = [p.split() for p in m[2].split(",")]
        found[m[1]] = [(p[0], "DEFAULT" in p) for p in params]
    return found


def _split_args(text: str) -> list[str]:
    """The arguments of a call, split at the commas outside parentheses and quotes."""
    args, depth, quoted, current = [], 0, False, ""
    for ch in text:
        quoted ^= ch == "'"
        if not quoted:
            depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0 and not quoted:
            args.append(current.strip())
            current = ""
        else:
            current += ch
    return [*args, current.strip()]


def _calls(sql: str) -> list[tuple[str, list[str]]]:
    """(function, arguments) of every records_ call of a query."""
    out = []
    for m in re.finditer(r"\b(records_\w+)\(", sql):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            i += 1
        out.append((m[1], _split_args(sql[m.end() : i - 1])))
    return out


def _panel(uid: str, panel_id: int) -> dict[str, Any] | None:
    return next((p for p in panels(BOARDS[uid]) if p["id"] == panel_id), None)


def test_every_overview_card_opens_the_records_behind_its_number() -> None:
    from dashboards.cards import ENGAGEMENT_CARDS, REVENUE_CARDS, USER_CARDS, VIRAL_CARDS
    from dashboards.growth import GROWTH_CARDS
    from dashboards.records import RECORDS

    cards = (*REVENUE_CARDS, *USER_CARDS, *VIRAL_CARDS, *ENGAGEMENT_CARDS, *GROWTH_CARDS)
    assert [c.title for c in cards if not c.records] == []
    by_title = {p["title"]: p for p in panels(BOARDS[OVERVIEW_UID])}
    for card in cards:
        links = by_title[card.title]["fieldConfig"]["defaults"]["links"]
        opened = [link for link in links if "viewPanel=" in link["url"]]
        (link,) = opened
        m = re.fullmatch(r"/d/([a-z-]+)\?(.*)&viewPanel=panel-(\d+)", link["url"])
        assert m, link["url"]
        assert "${__url_time_range}" in m[2] and "${__all_variables}" in m[2]
        assert link["keepTime"] and link["includeVars"]
        target = _panel(m[1], int(m[3])) if m[1] in BOARDS else None
        assert target is not None, f"{card.title}: {link['url']} opens no panel"
        assert target["type"] == "table" and target["datasource"]["type"] == POSTGRES_TYPE
        assert target["title"] == link["title"] == RECORDS[card.records].title
        assert _calls(target["targets"][0]["rawSql"]), target["title"]


def test_every_area_board_has_a_collapsed_records_row() -> None:
    from dashboards.records import RECORDS

    for area in AREAS.values():
        rows = [p for p in BOARDS[area.uid]["panels"] if p["title"] == "Records"]
        assert len(rows) == 1 and rows[0]["type"] == "row" and rows[0]["collapsed"], area.uid
        (row,) = rows
        assert row is BOARDS[area.uid]["panels"][-1], "the Records row comes last"
        tables = {p["title"] for p in row["panels"]}
        assert tables == {r.title for r in RECORDS.values() if r.group == area.group}
        assert tables, area.uid
    ids = [
        p["id"]
        for uid in UIDS
        for p in panels(BOARDS[uid])
        if p["title"] in {r.title for r in RECORDS.values()}
    ]
    assert sorted(ids) == [r.panel_id for r in RECORDS.values()]


def test_every_records_table_calls_its_function_with_the_right_arguments() -> None:
    from dashboards.records import MAX_ROWS, RECORDS
    from exporter.vocabulary import TARGETS

    functions = _records_functions()
    expected = {
        "at": "$__timeTo()",
        "window_to": "$__timeTo()",
        "max_rows": str(MAX_ROWS),
        "viral_window": "'$viral_window'::interval",
        "quiet": f"interval '{TARGETS.at_risk_quiet_period.days} days'",
        "engagement_window": "interval '168 hours'",
        "session_cap": "14400",
    }
    for r in RECORDS.values():
        table = _panel(AREAS[r.group].uid, r.panel_id)
        assert table is not None and table["title"] == r.title
        ((function, args),) = _calls(table["targets"][0]["rawSql"])
        assert function == r.function and function in functions, function
        params = functions[function]
        required = sum(1 for _, default in params if not default)
        assert required <= len(args) <= len(params), (function, args)
        for (name, _), arg in zip(params, args, strict=False):
            if name == "window_from":
                assert arg.startswith("$__timeTo()::timestamptz - "), (r.key, arg)
            else:
                assert arg == expected[name], (r.key, name, arg)
        # the row limit is passed, never left to a default the function may change
        assert str(MAX_ROWS) in args, r.key


def test_drill_down_targets_define_the_variables_they_receive() -> None:
    """Each detail board reads the overview variables its panels use under the same name."""
    overview_vars = {v["name"] for v in BOARDS[OVERVIEW_UID]["templating"]["list"]}
    for area in AREAS.values():
        text = json.dumps(BOARDS[area.uid]["panels"])
        own = {v["name"] for v in BOARDS[area.uid]["templating"]["list"]}
        used = set(re.findall(r"\$\{?([a-z_]+)", text)) - {"__timeFrom", "__timeTo"}
        used = {u for u in used if not u.startswith("__")}
        assert used <= own, f"{area.uid} uses undefined variables {used - own}"
        assert PROM_VAR in own and PROM_VAR in overview_vars


# --- coverage of the catalog ---------------------------------------------------------------


def _metrics_on(uid: str) -> set[str]:
    return {
        s.name for q in promql_queries(OPTS) if q.board_uid == uid for s in selectors(parse(q.expr))
    }


def test_overview_shows_every_spec_metric() -> None:
    missing = {m.name for m in catalog.CONTRACT} - _metrics_on(OVERVIEW_UID)
    assert not missing


def test_detail_boards_show_every_breakdown_metric() -> None:
    shown = set().union(*(_metrics_on(a.uid) for a in AREAS.values()))
    assert not {m.name for m in catalog.BREAKDOWNS} - shown


def test_every_data_quality_check_belongs_to_an_area() -> None:
    assert set().union(*map(set, QUALITY_BY_AREA.values())) == set(catalog.QUALITY_CHECKS)
    assert set(QUALITY_BY_AREA) == set(AREAS)


def test_recording_rules_used_by_the_boards_are_defined() -> None:
    files = sorted(RULES_DIR.glob("*.yml"))
    assert files, f"no Prometheus rule files in {RULES_DIR}"
    recorded = {
        r["record"]
        for f in files
        for g in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("groups", [])
        for r in g.get("rules", [])
        if "record" in r
    }
    used = {s.name for q in promql_queries(OPTS) for s in selectors(parse(q.expr))} & set(RULES)
    assert used <= recorded


# --- SQL panels -------------------------------------------------------------------------------


def test_sql_panels_read_only_the_grafana_reader_objects() -> None:
    allowed = re.compile(r"^((?:grafana|records)_[a-z_]+|daily_metrics)$")
    queries = sql_queries(OPTS)
    assert len(queries) >= 6
    for q in queries:
        relations = re.findall(r"\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_.]*)", q.sql, re.IGNORECASE)
        assert relations, q.sql
        for r in relations:
            assert allowed.match(r), f"{q.panel_title}: reads {r}"
        aliases = re.findall(r'AS\s+"([^"]+)"', q.sql)
        for a in aliases:
            assert not PERSONAL.search(a), f"{q.panel_title}: column {a!r}"
        assert not PERSONAL.search(q.sql)


# --- provisioning ------------------------------------------------------------------------------


def test_datasource_provisioning() -> None:
    data = yaml.safe_load(
        (GRAFANA_PROVISIONING / "datasources" / "datasources.yml").read_text(encoding="utf-8")
    )
    assert data["apiVersion"] == 1
    by_uid = {d["uid"]: d for d in data["datasources"]}
    assert set(by_uid) == {PROMETHEUS_UID, POSTGRES_UID}
    prom = by_uid[PROMETHEUS_UID]
    assert (prom["type"], prom["url"]) == (PROMETHEUS_TYPE, "http://prometheus:9090")
    pg = by_uid[POSTGRES_UID]
    assert pg["type"] == POSTGRES_TYPE
    assert pg["url"] == "postgres:5432"
    assert pg["user"] == "grafana_reader"
    assert pg["jsonData"]["sslmode"] == "disable"
    assert pg["secureJsonData"]["password"] == "$GRAFANA_READER_PASSWORD"
    assert "password" not in pg and "password" not in pg["jsonData"]
    assert all(d["editable"] is False for d in data["datasources"])


def test_dashboard_provider() -> None:
    data = yaml.safe_load(
        (GRAFANA_PROVISIONING / "dashboards" / "dashboards.yml").read_text(encoding="utf-8")
    )
    (provider,) = data["providers"]
    assert provider["type"] == "file"
    assert provider["folder"] == "Executive metrics"
    assert provider["allowUiUpdates"] is False
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_held_reads_each_instant_selector_over_the_history_window() -> None:
    from dashboards.queries import HISTORY_WINDOW, held

    w = HISTORY_WINDOW
    assert held('max by (plan) (execmetrics_mrr_by_plan{plan=~"a|b"})') == (
        f'max by (plan) (last_over_time(execmetrics_mrr_by_plan{{plan=~"a|b"}}[{w}]))'
    )
    assert (
        held("-execmetrics:stickiness:ratio")
        == f"-last_over_time(execmetrics:stickiness:ratio[{w}])"
    )
    # A range selector, a quoted name, a brace inside a quoted value stay as they are.
    assert held("rate(execmetrics_x[5m])") == "rate(execmetrics_x[5m])"
    assert held('label_replace(vector(1), "a", "execmetrics_mrr", "", "")').count("last_") == 0
    assert (
        held('execmetrics_mrr{currency="}"}')
        == f'last_over_time(execmetrics_mrr{{currency="}}"}}[{w}])'
    )
    with pytest.raises(ValueError):
        held("execmetrics_mrr offset 1d")
