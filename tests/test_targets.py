"""The alert and recording rules, and the boards' colours, use the targets of
exporter.vocabulary.TARGETS.

The rules are YAML for Prometheus, so they cannot import the targets; this test reads
their expressions and compares each threshold with the one home of the number, and
reads the committed board JSON for the colours that must agree with an alert.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import promql_parser
import yaml

from exporter.vocabulary import TARGETS

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "provisioning" / "prometheus" / "rules"
REVENUE_BOARD = ROOT / "dashboards" / "execmetrics-revenue.json"


def rules() -> dict[str, dict[str, Any]]:
    """Every alert and recording rule by name."""
    out: dict[str, dict[str, Any]] = {}
    paths = sorted(RULES.glob("*.yml"))
    assert paths, f"no rule files in {RULES}"
    for path in paths:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                out[rule.get("alert") or rule["record"]] = rule
    return out


def comparison(name: str) -> Any:
    """The rule's threshold comparison: the left side of a freshness guard (``and``) or
    of an absent-series arm (``or``) when the rule has one."""
    expr = promql_parser.parse(rules()[name]["expr"])
    assert isinstance(expr, promql_parser.BinaryExpr), (name, expr)
    while str(expr.op) in ("and", "or"):
        expr = expr.lhs
        assert isinstance(expr, promql_parser.BinaryExpr), (name, expr)
    return expr


def test_viral_alert_fires_below_the_k_target() -> None:
    expr = comparison("ViralCoefficientBelowTarget")
    assert str(expr.op) == "<"
    assert isinstance(expr.lhs, promql_parser.VectorSelector)
    assert expr.lhs.name == "execmetrics_viral_coefficient"
    assert isinstance(expr.rhs, promql_parser.NumberLiteral)
    assert expr.rhs.val == TARGETS.viral_coefficient
    annotations = rules()["ViralCoefficientBelowTarget"]["annotations"]
    assert f"{TARGETS.viral_coefficient:.1f} target" in annotations["summary"]


def test_stale_alert_waits_the_target_number_of_intervals() -> None:
    expr = comparison("ExecMetricsStale")
    assert str(expr.op) == ">"
    threshold = expr.rhs
    assert isinstance(threshold, promql_parser.BinaryExpr) and str(threshold.op) == "*"
    assert isinstance(threshold.lhs, promql_parser.NumberLiteral)
    assert threshold.lhs.val == TARGETS.stale_after_intervals
    assert isinstance(threshold.rhs, promql_parser.VectorSelector)
    assert threshold.rhs.name == "execmetrics_group_interval_seconds"


def test_no_rule_hard_codes_a_stale_threshold_in_seconds() -> None:
    for path in sorted(RULES.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        assert "900" not in text, f"{path.name}: a fixed 900 s threshold"


def test_books_alert_fires_above_the_tolerance() -> None:
    expr = comparison("ExecMetricsBooksUnbalanced")
    assert str(expr.op) == ">"
    assert isinstance(expr.rhs, promql_parser.NumberLiteral)
    assert expr.rhs.val == TARGETS.books_tolerance
    description = rules()["ExecMetricsBooksUnbalanced"]["annotations"]["description"]
    assert f"(threshold {TARGETS.books_tolerance:.2f})" in description


def test_books_balance_stat_turns_red_where_the_alert_fires() -> None:
    """Grafana colours a step from its value up: red must start just above the tolerance,
    so that a residual the alert tolerates stays green and one it fires on is red."""
    board = json.loads(REVENUE_BOARD.read_text(encoding="utf-8"))
    (panel,) = [p for p in board["panels"] if p.get("title") == "Books balance"]
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [s["color"] for s in steps] == ["green", "red"]
    red = steps[1]["value"]
    assert red > TARGETS.books_tolerance
    assert math.nextafter(red, -math.inf) == TARGETS.books_tolerance
