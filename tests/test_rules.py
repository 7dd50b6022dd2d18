"""Prometheus config, recording rules and alerts: promtool, conventions, and the catalog.

promtool (Debian's ``prometheus`` package) checks the config and the rules and runs the
unit tests in ``provisioning/prometheus/tests``. The rest reads the YAML: every alert
follows the monitoring-mixin conventions and has a runbook, every alert has a firing
and a silent promtool case, and every metric a rule names is declared in
``exporter.catalog`` with the labels the rule uses (so a rename breaks this build).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from exporter import catalog
from exporter.vocabulary import TARGETS, GroupName
from tests.conftest import require_tool
from tests.promql import aggregations, nodes, selectors

ROOT = Path(__file__).resolve().parents[1]
PROM_DIR = ROOT / "provisioning" / "prometheus"
CONFIG = PROM_DIR / "prometheus.yml"
RULE_FILES = sorted((PROM_DIR / "rules").glob("*.yml"))
TEST_FILES = sorted((PROM_DIR / "tests").glob("*.yml"))
RUNBOOKS = ROOT / "docs" / "runbooks"
ALERTS_DOC = ROOT / "docs" / "alerts.md"

# Labels Prometheus attaches to every scraped series.
TARGET_LABELS = {"job", "instance"}
# Metrics that come from Prometheus itself rather than from the exporter.
PROMETHEUS_METRICS = {"up"}
# Label values the exporter can export, per label name (SPEC §4).
KNOWN_VALUES: dict[str, set[str]] = {
    "movement": set(catalog.MOVEMENTS),
    "user_type": set(catalog.USER_TYPES),
    "check": set(catalog.QUALITY_CHECKS),
    "group": set(GroupName),
}
# Only the active-user windows are fixed; viral and invitation windows are configurable.
WINDOW_METRICS = {"execmetrics_active_users": set(catalog.ACTIVE_WINDOWS)}

CAMEL_CASE = re.compile(r"^[A-Z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$")
RECORD_NAME = re.compile(r"^[a-z_][a-z0-9_]*:[a-z0-9_]+:[a-z0-9_]+$")


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)


def _assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, (
        f"{' '.join(result.args)} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )


@cache
def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _rules() -> list[dict[str, Any]]:
    return [
        rule for path in RULE_FILES for group in _load(path)["groups"] for rule in group["rules"]
    ]


def _alerts() -> list[dict[str, Any]]:
    return [rule for rule in _rules() if "alert" in rule]


def _records() -> list[dict[str, Any]]:
    return [rule for rule in _rules() if "record" in rule]


def _alert_ids() -> list[str]:
    return [rule["alert"] for rule in _alerts()]


# --------------------------------------------------------------------------- promtool


def test_files_are_present() -> None:
    assert CONFIG.is_file()
    assert RULE_FILES, "no rule files in provisioning/prometheus/rules"
    assert TEST_FILES, "no promtool tests in provisioning/prometheus/tests"
    assert _alerts() and _records()


def test_promtool_check_config() -> None:
    promtool = require_tool("promtool")
    _assert_ok(_run([promtool, "check", "config", str(CONFIG)]))


def test_promtool_check_rules() -> None:
    promtool = require_tool("promtool")
    _assert_ok(_run([promtool, "check", "rules", *map(str, RULE_FILES)]))


def test_promtool_test_rules() -> None:
    promtool = require_tool("promtool")
    _assert_ok(_run([promtool, "test", "rules", *map(str, TEST_FILES)]))


def test_config_loads_every_rule_file_and_scrapes_the_exporter() -> None:
    config = _load(CONFIG)
    loaded = {p for pattern in config["rule_files"] for p in PROM_DIR.glob(pattern)}
    assert set(RULE_FILES) <= loaded
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = [t for sc in jobs["execmetrics"]["static_configs"] for t in sc["targets"]]
    assert targets == ["exporter:9560"]
    assert jobs["execmetrics"].get("scrape_interval", config["global"]["scrape_interval"]) == (
        "10s"
    )
    managers = [
        t
        for am in config["alerting"]["alertmanagers"]
        for sc in am["static_configs"]
        for t in sc["targets"]
    ]
    assert managers == ["alertmanager:9093"]


# --------------------------------------------------------------------------- conventions


@pytest.mark.parametrize("alert", _alerts(), ids=_alert_ids())
def test_alert_follows_mixin_conventions(alert: dict[str, Any]) -> None:
    name = alert["alert"]
    assert CAMEL_CASE.match(name), f"{name}: alert names are CamelCase"
    labels = alert.get("labels", {})
    assert labels.get("severity") in ("critical", "warning"), f"{name}: severity label"
    annotations = alert.get("annotations", {})
    for key in ("summary", "description", "runbook_url"):
        assert str(annotations.get(key, "")).strip(), f"{name}: missing annotation {key}"
    assert "{{" in annotations["description"], f"{name}: description carries no value"


@pytest.mark.parametrize("alert", _alerts(), ids=_alert_ids())
def test_alert_has_a_runbook(alert: dict[str, Any]) -> None:
    name = alert["alert"]
    url = alert["annotations"]["runbook_url"]
    suffix = f"/docs/runbooks/{name}.md"
    assert url.startswith("https://") and url.endswith(suffix), f"{name}: {url}"
    runbook = RUNBOOKS / f"{name}.md"
    assert runbook.is_file(), f"{name}: {runbook.relative_to(ROOT)} does not exist"
    text = runbook.read_text(encoding="utf-8")
    assert name in text
    for heading in ("## Meaning", "## How to check", "## What to do"):
        assert heading in text, f"{runbook.relative_to(ROOT)}: no '{heading}' section"
    assert f"runbooks/{name}.md" in ALERTS_DOC.read_text(encoding="utf-8")


def test_data_quality_runbook_lists_every_check() -> None:
    text = (RUNBOOKS / "ExecMetricsDataQualityIssuesRising.md").read_text(encoding="utf-8")
    missing = [check for check in catalog.QUALITY_CHECKS if f"| `{check}` |" not in text]
    assert not missing, f"checks missing from the runbook's table: {missing}"


def test_runbook_urls_share_one_base() -> None:
    bases = {
        rule["annotations"]["runbook_url"].removesuffix(f"{rule['alert']}.md") for rule in _alerts()
    }
    assert len(bases) == 1, bases


def test_no_orphan_runbooks() -> None:
    names = set(_alert_ids())
    orphans = [p.name for p in RUNBOOKS.glob("*.md") if p.stem not in names]
    assert not orphans, f"runbooks without an alert: {orphans}"


def test_alert_names_are_unique() -> None:
    names = _alert_ids()
    assert len(names) == len(set(names))


def test_viral_alert_pages_oncall() -> None:
    (viral,) = [a for a in _alerts() if a["alert"] == "ViralCoefficientBelowTarget"]
    assert viral["labels"]["severity"] == "critical"
    assert viral["labels"]["team"] == "oncall"
    expr = " ".join(viral["expr"].split())
    assert expr.startswith("execmetrics_viral_coefficient < 1 and on (job, instance)")
    # Only on fresh data: the viral group's last success within three intervals.
    assert 'execmetrics_group_last_success_timestamp_seconds{group="viral"}' in expr
    assert f"< on (job, instance, group) {TARGETS.stale_after_intervals} *" in expr
    assert "for" in viral


def test_viral_staleness_pages_oncall_too() -> None:
    (stale,) = [a for a in _alerts() if a["alert"] == "ViralCoefficientStale"]
    assert stale["labels"] == {"severity": "critical", "team": "oncall"}
    assert f"{TARGETS.stale_after_intervals} * execmetrics_group_interval_seconds" in stale["expr"]


def test_record_names_follow_level_metric_operation() -> None:
    for rule in _records():
        assert RECORD_NAME.match(rule["record"]), rule["record"]


def test_required_recording_rules_exist() -> None:
    names = {rule["record"] for rule in _records()}
    assert {
        "execmetrics:stickiness:ratio",
        "execmetrics:stickiness_by_user_type:ratio",
        "execmetrics:mrr_quick_ratio:ratio",
        "execmetrics:net_mrr_churn:ratio",
    } <= names


# --------------------------------------------------------------------------- seasonal baselines

SEASONAL_RULES = PROM_DIR / "rules" / "execmetrics.seasonal.yml"
# Each business series with a weekday baseline (execmetrics:<series>:weekday_*) and the
# catalog metric it reads.
BASELINES = {
    "signups_today": "execmetrics_signups_today",
    "active_users_1d": "execmetrics_active_users",
    "invitations_sent": "execmetrics_invitations_sent",
    "mrr_churn": "execmetrics_mrr_movement",
    "data_quality_issues": "execmetrics_data_quality_issues",
}
# The one seasonal alert that pages: wrong numbers are on-call's business.
PAGING_SEASONAL = {"ExecMetricsDataQualityJump"}


def _seasonal_alerts() -> list[dict[str, Any]]:
    groups = _load(SEASONAL_RULES)["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _hours(duration: str) -> float:
    units = {"d": 24.0, "h": 1.0, "m": 1 / 60, "s": 1 / 3600}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([dhms])", duration))


def test_every_baseline_has_samples_median_and_spread() -> None:
    names = {rule["record"] for rule in _records()}
    for series in BASELINES:
        for operation in ("weekday_samples4w", "weekday_median4w", "weekday_mad4w"):
            assert f"execmetrics:{series}:{operation}" in names


@pytest.mark.parametrize("series", list(BASELINES))
def test_a_baseline_reads_the_same_weekday_of_the_last_four_weeks(series: str) -> None:
    (rule,) = [r for r in _records() if r["record"] == f"execmetrics:{series}:weekday_samples4w"]
    expr = promql_parser.parse(rule["expr"])
    found = list(selectors(expr))
    assert {s.name for s in found} == {BASELINES[series]}
    assert sorted(s.offset for s in found) == [timedelta(weeks=k) for k in (1, 2, 3, 4)]
    assert _label_replace_targets(expr) == {"weeks_ago"}


def test_seasonal_alerts_go_to_the_team_and_a_data_quality_jump_pages() -> None:
    alerts = _seasonal_alerts()
    assert {a["alert"] for a in alerts} >= PAGING_SEASONAL
    assert len(alerts) > len(PAGING_SEASONAL)
    for alert in alerts:
        name = alert["alert"]
        if name in PAGING_SEASONAL:
            assert alert["labels"] == {"severity": "critical", "team": "oncall"}, name
        else:
            # Never the pager (alertmanager.yml: warnings go to the team channel), and
            # sustained: a business series outside its band for hours, not minutes.
            assert alert["labels"] == {"severity": "warning"}, name
            assert _hours(alert["for"]) >= 1, name
        assert ":weekday_median4w" in alert["expr"], name


# --------------------------------------------------------------------------- test coverage


def _test_cases() -> Iterator[dict[str, Any]]:
    for path in TEST_FILES:
        yield from _load(path).get("tests", [])


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for case in _test_cases():
        for check in case.get("alert_rule_test", []):
            (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    names = set(_alert_ids())
    assert names - firing == set(), "alerts without a firing promtool case"
    assert names - silent == set(), "alerts without a case where they must not fire"
    assert (firing | silent) - names == set(), "promtool cases for unknown alerts"


def test_every_recording_rule_has_an_expression_test() -> None:
    tested = {
        check["expr"].strip()
        for case in _test_cases()
        for check in case.get("promql_expr_test", [])
    }
    untested = {rule["record"] for rule in _records()} - tested
    assert not untested, f"recording rules without a promql_expr_test: {untested}"


def test_promtool_tests_load_every_rule_file() -> None:
    loaded = {
        (path.parent / rule_file).resolve()
        for path in TEST_FILES
        for rule_file in _load(path)["rule_files"]
    }
    assert loaded == {p.resolve() for p in RULE_FILES}


# --------------------------------------------------------------------------- catalog


def _label_replace_targets(expr: Any) -> set[str]:
    """The labels ``label_replace`` calls in ``expr`` write."""
    return {
        node.args[1].val
        for node in nodes(expr)
        if isinstance(node, promql_parser.Call) and node.func.name == "label_replace"
    }


@cache
def _recorded_labels() -> dict[str, frozenset[str]]:
    """The labels a recording rule's series may carry: those of the metrics it selects
    (a recorded metric's in turn) and those its ``label_replace`` calls add."""
    labels: dict[str, frozenset[str]] = {}
    for rule in _records():
        expr = promql_parser.parse(rule["expr"])
        found = _label_replace_targets(expr)
        for selector in selectors(expr):
            if selector.name in labels:
                found |= labels[selector.name]
            elif selector.name in catalog.BY_NAME:
                found |= set(catalog.BY_NAME[selector.name].labels)
        labels[rule["record"]] = frozenset(found)
    return labels


def _rule_ids() -> list[str]:
    return [rule.get("alert") or rule["record"] for rule in _rules()]


@pytest.mark.parametrize("rule", _rules(), ids=_rule_ids())
def test_rule_names_only_declared_metrics_and_labels(rule: dict[str, Any]) -> None:
    recorded = {r["record"] for r in _records()}
    name = rule.get("alert") or rule["record"]
    expr = promql_parser.parse(rule["expr"])
    found = list(selectors(expr))
    assert found, f"{name}: no metric in the expression"
    used_labels: set[str] = set(TARGET_LABELS) | _label_replace_targets(expr)
    for selector in found:
        metric = selector.name
        assert metric, f"{name}: selector without a metric name"
        if metric in recorded:
            used_labels |= _recorded_labels().get(metric, frozenset())
            continue
        if metric in PROMETHEUS_METRICS:
            continue
        assert metric in catalog.BY_NAME, f"{name}: {metric} is not declared in exporter/catalog.py"
        declared = set(catalog.BY_NAME[metric].labels)
        used_labels |= declared
        for matcher in selector.matchers.matchers:
            assert matcher.name in declared | TARGET_LABELS, (
                f"{name}: {metric} has no label {matcher.name!r} (declared: {sorted(declared)})"
            )
            allowed = KNOWN_VALUES.get(matcher.name)
            if matcher.name == "window":
                allowed = WINDOW_METRICS.get(metric)
            if allowed is None:
                continue
            regex = matcher.op in (promql_parser.MatchOp.Re, promql_parser.MatchOp.NotRe)
            values = matcher.value.split("|") if regex else [matcher.value]
            unknown = set(values) - allowed
            assert not unknown, f"{name}: {metric}{{{matcher.name}}} never takes {unknown}"
    for aggregation in aggregations(expr):
        if aggregation.modifier is None:
            continue
        unknown = set(aggregation.modifier.labels) - used_labels
        assert not unknown, f"{name}: aggregates by labels no selected metric has: {unknown}"


# --------------------------------------------------------------------------- docs


def test_alerts_doc_lists_every_alert_and_recording_rule() -> None:
    text = ALERTS_DOC.read_text(encoding="utf-8")
    for name in _alert_ids():
        assert f"`{name}`" in text, f"docs/alerts.md does not describe {name}"
    for rule in _records():
        assert f"`{rule['record']}`" in text, f"docs/alerts.md does not describe {rule['record']}"
