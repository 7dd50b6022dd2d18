"""The wheel carries every SQL file and the template, and an installed copy works on
its own: outside the repository, SQL and templates come from inside the package."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    wheels = list(out.glob("execmetrics-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed (without dependencies) into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return target


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[Path]:
    """A working directory outside the repository."""
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    yield cwd


def run_installed(
    target: Path, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The project's interpreter with only the installed copy and the dependencies.

    ``-S`` skips site-packages' .pth files, so the repository's editable install is not
    on the path; the dependencies come from site-packages named explicitly, after the
    installed copy. Nothing can fall back to the repository's files.
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith("EXECMETRICS_")}
    base.update(env or {})
    paths = sysconfig.get_paths()
    site = dict.fromkeys([str(target), paths["purelib"], paths["platlib"]])
    base["PYTHONPATH"] = os.pathsep.join(site)
    base["PYTHONSAFEPATH"] = "1"  # never the cwd or a script folder ahead of the target
    return subprocess.run(
        [sys.executable, "-S", *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_wheel_contains_the_sql_and_the_template(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = zf.read(entry_points).decode()
    for required in (
        "exporter/sql/groups/revenue/summary.sql",
        "exporter/sql/migrations/V001__settings.sql",
        "exporter/sql/reference/source_tables.sql",
        "exporter/serve/templates/index.html",
        "exporter/history/report/templates/report.html",
        "exporter/serve/static/live.js",
        "exporter/cli.py",
    ):
        assert required in names, required
    views = {n for n in names if n.startswith("exporter/sql/views/") and n.endswith(".sql")}
    repo_views = {f"exporter/sql/views/{p.name}" for p in (ROOT / "sql" / "views").glob("*.sql")}
    assert repo_views and views == repo_views
    repo_sql = {
        "exporter/sql/" + p.relative_to(ROOT / "sql").as_posix()
        for p in (ROOT / "sql").rglob("*.sql")
    }
    assert repo_sql <= names, sorted(repo_sql - names)
    assert "execmetrics = exporter.cli:main" in scripts
    assert not any(n.startswith("tests/") for n in names)
    # The boards builder is a build tool beside its JSON (dashboards/), not in the wheel.
    assert not any(n.startswith(("dashboards/", "exporter/dashboards/")) for n in names)


def test_wheel_holds_no_build_time_tool(wheel: Path) -> None:
    """The docs generator and the marker helper are maintainer tools, not runtime code."""
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert (ROOT / "tools" / "docs.py").is_file()
    assert not any(n.startswith("tools/") for n in names), sorted(names)
    assert "exporter/docs.py" not in names
    assert not any(n.endswith(("/docs.py", "/markers.py")) for n in names), sorted(names)


def test_installed_copy_reads_sql_and_templates_from_the_package(
    installed: Path, outside: Path
) -> None:
    code = (
        "import exporter.sqlfiles\n"
        "from exporter.sqlfiles import sql_root, read_sql\n"
        "from exporter.serve.landing import render_landing\n"
        "from exporter.store import Store\n"
        "from exporter.config import Config\n"
        "import exporter\n"
        f"assert {str(ROOT / 'exporter')!r} not in list(exporter.__path__)\n"
        "print(exporter.sqlfiles.__file__)\n"
        "print(sql_root())\n"
        "assert 'SELECT' in read_sql('groups/revenue/summary.sql').upper()\n"
        "assert 'card-mrr' in render_landing(Store(('revenue',)).current, Config())\n"
    )
    proc = run_installed(installed, outside, "-c", code)
    assert proc.returncode == 0, proc.stderr
    package_file, root = (Path(line) for line in proc.stdout.split())
    assert package_file.is_relative_to(installed), package_file
    assert root.is_relative_to(installed), root
    assert root == installed / "exporter" / "sql"


def test_installed_copy_migrates_and_collects(installed: Path, outside: Path, db_url: str) -> None:
    env = {"EXECMETRICS_DATABASE_URL": db_url}
    migrate = run_installed(
        installed, outside, "-m", "exporter.cli", "migrate", "--create-source-tables", env=env
    )
    assert migrate.returncode == 0, migrate.stderr
    assert "created the reference source tables" in migrate.stdout

    from tests.cli_support import EXPECTED_MRR, load_small_dataset

    load_small_dataset(db_url)
    proc = run_installed(
        installed,
        outside,
        "-m",
        "exporter.cli",
        "collect",
        "--at",
        "2024-06-15T12:00:00Z",
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(proc.stdout)
        for s in f.samples
    }
    assert values[("execmetrics_mrr", (("currency", "GBP"),))] == pytest.approx(EXPECTED_MRR)
    assert values[("execmetrics_group_last_run_success", (("group", "quality"),))] == 1.0
