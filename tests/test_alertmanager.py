"""Alertmanager: config check, routes, inhibitions and the webhook-secret entrypoint.

``amtool`` (Debian's ``prometheus-alertmanager`` package) checks the config and resolves
routes; the inhibitions are checked on a real Alertmanager started for the test; the
entrypoint that writes the webhook URLs from secret files is run with ``sh``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[1]
AM_DIR = ROOT / "provisioning" / "alertmanager"
AM_CONFIG = AM_DIR / "alertmanager.yml"
ENTRYPOINT = AM_DIR / "entrypoint.sh"
RULE_FILES = sorted((ROOT / "provisioning" / "prometheus" / "rules").glob("*.yml"))

# (labels of an alert, the receiver it must reach)
ROUTE_CASES: list[tuple[dict[str, str], str]] = [
    (
        {
            "alertname": "ViralCoefficientBelowTarget",
            "severity": "critical",
            "team": "oncall",
            "window": "30d",
        },
        "oncall",
    ),
    ({"alertname": "ViralCoefficientBelowTarget", "severity": "critical"}, "oncall"),
    (
        {"alertname": "ExecMetricsExporterDown", "severity": "critical", "job": "execmetrics"},
        "oncall",
    ),
    ({"alertname": "SomethingElseCritical", "severity": "critical"}, "oncall"),
    ({"alertname": "SomethingForOncall", "severity": "warning", "team": "oncall"}, "oncall"),
    ({"alertname": "ExecMetricsStale", "severity": "warning", "group": "viral"}, "team"),
    ({"alertname": "ExecMetricsGroupFailing", "severity": "warning", "group": "users"}, "team"),
    ({"alertname": "ExecMetricsMRRSharpDrop", "severity": "warning", "currency": "GBP"}, "team"),
    ({"alertname": "ExecMetricsDataQualityIssuesRising", "severity": "warning"}, "team"),
    ({"alertname": "WithoutSeverity"}, "team"),
    # The seasonal anomaly alerts: the team channel, never the pager ...
    (
        {
            "alertname": "ExecMetricsSignupsOffBaseline",
            "severity": "warning",
            "user_type": "couple",
        },
        "team",
    ),
    (
        {
            "alertname": "ExecMetricsDailyActiveUsersOffBaseline",
            "severity": "warning",
            "user_type": "supplier",
        },
        "team",
    ),
    (
        {
            "alertname": "ExecMetricsInvitationsSentOffBaseline",
            "severity": "warning",
            "window": "30d",
        },
        "team",
    ),
    (
        {
            "alertname": "ExecMetricsChurnedMRRAboveBaseline",
            "severity": "warning",
            "currency": "GBP",
        },
        "team",
    ),
    # ... except a data-quality jump: the numbers may be wrong.
    (
        {
            "alertname": "ExecMetricsDataQualityJump",
            "severity": "critical",
            "team": "oncall",
            "check": "timestamp_in_future",
        },
        "oncall",
    ),
]


def _case_id(case: tuple[dict[str, str], str]) -> str:
    labels, receiver = case
    return f"{labels['alertname']}-{labels.get('severity', 'none')}-{receiver}"


def _run(args: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kw)


def _assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, (
        f"{' '.join(map(str, result.args))} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )


def _route(amtool: str, config: Path, labels: dict[str, str], expect: str | None = None) -> str:
    args = [amtool, "config", "routes", "test", f"--config.file={config}"]
    if expect is not None:
        args.append(f"--verify.receivers={expect}")
    result = _run(args + [f"{k}={v}" for k, v in labels.items()])
    _assert_ok(result)
    return result.stdout.strip()


# --------------------------------------------------------------------------- amtool


def test_amtool_check_config() -> None:
    amtool = require_tool("amtool")
    _assert_ok(_run([amtool, "check-config", str(AM_CONFIG)]))


@pytest.mark.parametrize("case", ROUTE_CASES, ids=[_case_id(c) for c in ROUTE_CASES])
def test_route(case: tuple[dict[str, str], str]) -> None:
    amtool = require_tool("amtool")
    labels, receiver = case
    assert _route(amtool, AM_CONFIG, labels, expect=receiver) == receiver


def test_a_wrong_expectation_fails() -> None:
    """--verify.receivers really verifies: the viral alert never reaches the team only."""
    amtool = require_tool("amtool")
    result = _run(
        [
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={AM_CONFIG}",
            "--verify.receivers=team",
            "alertname=ViralCoefficientBelowTarget",
            "severity=critical",
        ]
    )
    assert result.returncode != 0


def _alert_rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


@pytest.mark.parametrize("rule", _alert_rules(), ids=[r["alert"] for r in _alert_rules()])
def test_every_alert_reaches_the_receiver_its_severity_implies(rule: dict[str, Any]) -> None:
    amtool = require_tool("amtool")
    labels = {"alertname": rule["alert"], **rule["labels"]}
    paging = labels["severity"] == "critical" or labels.get("team") == "oncall"
    expect = "oncall" if paging else "team"
    assert _route(amtool, AM_CONFIG, labels, expect=expect) == expect


def test_no_webhook_url_is_committed() -> None:
    config = yaml.safe_load(AM_CONFIG.read_text(encoding="utf-8"))
    urls = [
        hook["url"]
        for receiver in config["receivers"]
        for hook in receiver.get("webhook_configs", [])
    ]
    assert urls
    for url in urls:
        assert url.startswith("http://") and url.endswith("-webhook-url.invalid/"), url
    assert {r["name"] for r in config["receivers"]} == {"oncall", "team"}


def test_inhibit_rules_name_existing_alerts() -> None:
    names = {rule["alert"] for rule in _alert_rules()}
    config = yaml.safe_load(AM_CONFIG.read_text(encoding="utf-8"))
    for rule in config["inhibit_rules"]:
        for matcher in rule["source_matchers"] + rule["target_matchers"]:
            key, _, value = matcher.partition("=")
            if key == "alertname":
                value = value.lstrip("~").strip('"')
                assert set(value.split("|")) <= names, matcher


# --------------------------------------------------------------------------- a live Alertmanager


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http(url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json"},
        method="POST" if data else "GET",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read().decode()
    return json.loads(text) if text.strip().startswith(("[", "{")) else text


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    binary = require_tool("prometheus-alertmanager")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "alertmanager.log").open("w")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={AM_CONFIG}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                _http(f"{base}/-/ready")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        "Alertmanager did not start:\n"
                        + (tmp_path / "alertmanager.log").read_text()
                    )
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _alert(**labels: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": labels,
        "annotations": {"summary": "test"},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
    }


def test_inhibitions_on_a_running_alertmanager(alertmanager: str) -> None:
    a = {"job": "execmetrics-a", "instance": "exporter-a:9560"}
    b = {"job": "execmetrics-b", "instance": "exporter-b:9560"}
    sent = [
        # Exporter A is down: its stale and failing groups are consequences.
        _alert(alertname="ExecMetricsExporterDown", severity="critical", **a),
        _alert(alertname="ExecMetricsStale", severity="warning", group="viral", **a),
        _alert(alertname="ExecMetricsGroupFailing", severity="warning", group="revenue", **a),
        # The business page is never muted by the exporter's own alerts.
        _alert(
            alertname="ViralCoefficientBelowTarget",
            severity="critical",
            team="oncall",
            window="30d",
            **a,
        ),
        # Exporter B: one group fails (and is stale), another is only stale.
        _alert(alertname="ExecMetricsGroupFailing", severity="warning", group="users", **b),
        _alert(alertname="ExecMetricsStale", severity="warning", group="users", **b),
        _alert(alertname="ExecMetricsStale", severity="warning", group="engagement", **b),
    ]
    _http(f"{alertmanager}/api/v2/alerts", sent)

    expected = {
        ("execmetrics-a", "ExecMetricsExporterDown", None): "active",
        ("execmetrics-a", "ExecMetricsStale", "viral"): "suppressed",
        ("execmetrics-a", "ExecMetricsGroupFailing", "revenue"): "suppressed",
        ("execmetrics-a", "ViralCoefficientBelowTarget", None): "active",
        ("execmetrics-b", "ExecMetricsGroupFailing", "users"): "active",
        ("execmetrics-b", "ExecMetricsStale", "users"): "suppressed",
        ("execmetrics-b", "ExecMetricsStale", "engagement"): "active",
    }
    deadline = time.monotonic() + 15
    while True:
        alerts = _http(f"{alertmanager}/api/v2/alerts")
        states = {
            (x["labels"]["job"], x["labels"]["alertname"], x["labels"].get("group")): x
            for x in alerts
        }
        got = {key: states[key]["status"]["state"] for key in states}
        if got == expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert got == expected
    for key, state in expected.items():
        inhibited_by = states[key]["status"]["inhibitedBy"]
        assert bool(inhibited_by) == (state == "suppressed"), key
    viral = states[("execmetrics-a", "ViralCoefficientBelowTarget", None)]
    assert [r["name"] for r in viral["receivers"]] == ["oncall"]


def test_seasonal_anomalies_never_reach_the_pager() -> None:
    """--verify.receivers=oncall fails for each business anomaly alert."""
    amtool = require_tool("amtool")
    business = [
        rule
        for rule in _alert_rules()
        if "weekday_median4w" in rule["expr"] and rule["labels"]["severity"] == "warning"
    ]
    assert len(business) >= 4
    for rule in business:
        labels = {"alertname": rule["alert"], **rule["labels"]}
        args = [amtool, "config", "routes", "test", f"--config.file={AM_CONFIG}"]
        result = _run(
            [*args, "--verify.receivers=oncall", *(f"{k}={v}" for k, v in labels.items())]
        )
        assert result.returncode != 0, rule["alert"]


def test_a_data_quality_jump_mutes_the_rising_warning_of_its_check(alertmanager: str) -> None:
    exporter = {"job": "execmetrics", "instance": "exporter:9560"}
    sent = [
        _alert(
            alertname="ExecMetricsDataQualityJump",
            severity="critical",
            team="oncall",
            check="timestamp_in_future",
        ),
        _alert(
            alertname="ExecMetricsDataQualityIssuesRising",
            severity="warning",
            check="timestamp_in_future",
            **exporter,
        ),
        _alert(
            alertname="ExecMetricsDataQualityIssuesRising",
            severity="warning",
            check="fx_rate_invalid",
            **exporter,
        ),
        _alert(alertname="ExecMetricsSignupsOffBaseline", severity="warning", user_type="supplier"),
    ]
    _http(f"{alertmanager}/api/v2/alerts", sent)
    expected = {
        ("ExecMetricsDataQualityJump", "timestamp_in_future"): "active",
        ("ExecMetricsDataQualityIssuesRising", "timestamp_in_future"): "suppressed",
        ("ExecMetricsDataQualityIssuesRising", "fx_rate_invalid"): "active",
        ("ExecMetricsSignupsOffBaseline", None): "active",
    }
    deadline = time.monotonic() + 15
    while True:
        states = {
            (x["labels"]["alertname"], x["labels"].get("check")): x
            for x in _http(f"{alertmanager}/api/v2/alerts")
        }
        got = {key: alert["status"]["state"] for key, alert in states.items()}
        if got == expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert got == expected
    receivers = {key: [r["name"] for r in alert["receivers"]] for key, alert in states.items()}
    assert receivers[("ExecMetricsDataQualityJump", "timestamp_in_future")] == ["oncall"]
    assert receivers[("ExecMetricsSignupsOffBaseline", None)] == ["team"]


# --------------------------------------------------------------------------- entrypoint.sh

ONCALL_URL = "https://hooks.example.com/v1/pager/a&b?key=x|y%2F$HOME#frag"
TEAM_URL = "http://chat.example.com/hooks/team"


@pytest.fixture
def fake_alertmanager(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in binary that records its arguments instead of starting a server."""
    record = tmp_path / "args.txt"
    binary = tmp_path / "fake-alertmanager"
    binary.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n')
    binary.chmod(0o755)
    return binary, record


def _entrypoint(
    tmp_path: Path, binary: Path, secrets: dict[str, str | None], *args: str
) -> subprocess.CompletedProcess[str]:
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir(exist_ok=True)
    for name, value in secrets.items():
        if value is not None:
            (secrets_dir / name).write_text(value)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ALERTMANAGER_CONFIG": str(AM_CONFIG),
        "ALERTMANAGER_SECRETS_DIR": str(secrets_dir),
        "ALERTMANAGER_RENDERED_DIR": str(tmp_path / "rendered"),
        "ALERTMANAGER_BIN": str(binary),
    }
    return _run(["sh", str(ENTRYPOINT), *args], env=env)


def test_entrypoint_writes_the_secret_urls(
    tmp_path: Path, fake_alertmanager: tuple[Path, Path]
) -> None:
    amtool = require_tool("amtool")
    binary, record = fake_alertmanager
    result = _entrypoint(
        tmp_path,
        binary,
        # The team secret ends in a newline, as a file written by hand does.
        {"oncall_webhook_url": ONCALL_URL, "team_webhook_url": TEAM_URL + "\n"},
        "--storage.path=/alertmanager",
    )
    _assert_ok(result)
    rendered = tmp_path / "rendered" / "alertmanager.yml"
    assert record.read_text().splitlines() == [
        f"--config.file={rendered}",
        "--storage.path=/alertmanager",
    ]
    assert rendered.stat().st_mode & 0o077 == 0, "the rendered config is private"
    config = yaml.safe_load(rendered.read_text())
    urls = {
        receiver["name"]: [hook["url"] for hook in receiver["webhook_configs"]]
        for receiver in config["receivers"]
    }
    assert urls == {"oncall": [ONCALL_URL], "team": [TEAM_URL]}
    # Apart from the URLs, the rendered file is the committed one.
    source = AM_CONFIG.read_text()
    expected = source.replace("http://oncall-webhook-url.invalid/", ONCALL_URL).replace(
        "http://team-webhook-url.invalid/", TEAM_URL
    )
    assert rendered.read_text() == expected
    _assert_ok(_run([amtool, "check-config", str(rendered)]))
    viral = {"alertname": "ViralCoefficientBelowTarget", "severity": "critical"}
    assert _route(amtool, rendered, viral, expect="oncall") == "oncall"


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({"oncall_webhook_url": None, "team_webhook_url": TEAM_URL}, "ONCALL_WEBHOOK_URL"),
        ({"oncall_webhook_url": "", "team_webhook_url": TEAM_URL}, "ONCALL_WEBHOOK_URL"),
        ({"oncall_webhook_url": ONCALL_URL, "team_webhook_url": None}, "TEAM_WEBHOOK_URL"),
        (
            {"oncall_webhook_url": "hooks.example.com/x", "team_webhook_url": TEAM_URL},
            "ONCALL_WEBHOOK_URL is not an http",
        ),
        (
            {"oncall_webhook_url": ONCALL_URL, "team_webhook_url": 'http://x/"y'},
            "TEAM_WEBHOOK_URL must not contain",
        ),
    ],
    ids=["oncall-missing", "oncall-empty", "team-missing", "not-a-url", "quote"],
)
def test_entrypoint_refuses_bad_secrets(
    tmp_path: Path,
    fake_alertmanager: tuple[Path, Path],
    secrets: dict[str, str | None],
    message: str,
) -> None:
    binary, record = fake_alertmanager
    result = _entrypoint(tmp_path, binary, secrets)
    assert result.returncode != 0
    assert message in result.stderr
    assert result.stderr.count("\n") == 1, "one line naming the problem"
    assert not record.exists(), "Alertmanager must not start"
