"""The README's metrics reference is generated from the catalog and cannot drift."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from exporter import catalog
from tools.docs import END, START, current_block, main, metrics_reference, replace_block

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SPEC = ROOT / "docs" / "spec.md"


def spec_metric_names() -> list[str]:
    """The metric names of the table in section 4 of docs/spec.md."""
    assert SPEC.is_file(), f"{SPEC} is missing"
    text = SPEC.read_text(encoding="utf-8")
    m = re.search(r"^## 4\..*?$(?P<body>.*?)(?=^## )", text, re.M | re.S)
    assert m is not None, f"{SPEC}: no section 4"
    names = re.findall(r"^\|\s*(execmetrics_[a-z0-9_]+)\s*\|", m["body"], re.M)
    assert names, f"{SPEC}: no metric table in section 4"
    return names


def test_spec_table_is_parsed() -> None:
    names = spec_metric_names()
    assert "execmetrics_mrr" in names
    assert "execmetrics_data_quality_issues" in names
    assert len(names) == len(set(names)) >= 20


def test_reference_lists_every_catalog_metric_with_its_labels() -> None:
    ref = metrics_reference()
    rows = {
        m["name"]: m
        for m in re.finditer(
            r"^\| `(?P<name>execmetrics_[a-z0-9_]+)` \| (?P<kind>\w+) \| (?P<labels>[^|]*) \|",
            ref,
            re.M,
        )
    }
    for metric in catalog.ALL:
        assert metric.name in rows, metric.name
        row = rows[metric.name]
        assert row["kind"] == metric.kind
        labels = re.findall(r"`([a-z_]+)`", row["labels"])
        assert tuple(labels) == metric.labels, metric.name
    assert set(rows) == {m.name for m in catalog.ALL}


def test_reference_holds_every_spec_metric_and_definition() -> None:
    ref = metrics_reference()
    for name in spec_metric_names():
        assert f"`{name}`" in ref, f"SPEC §4 metric {name} missing from the reference"
        assert name in catalog.BY_NAME, f"SPEC §4 metric {name} missing from the catalog"
    for metric in catalog.ALL:
        # Every definition appears (whitespace-normalised) on the metric's own row.
        definition = " ".join(metric.definition.split()).replace("|", "\\|")
        assert definition in ref, metric.name


def test_reference_lists_every_quality_check() -> None:
    ref = metrics_reference()
    for check in catalog.QUALITY_CHECKS:
        assert re.search(rf"^\| `{check}` \|", ref, re.M), check


def test_readme_block_equals_the_generated_reference() -> None:
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text, "README.md lacks the metrics-reference markers"
    assert current_block(text) == metrics_reference(), (
        "README.md's metrics reference is out of date: run `python -m tools.docs`"
    )


def test_generator_rewrites_only_the_block_and_check_flags_drift(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n\n{START}\nstale\n{END}\n\nafter\n", encoding="utf-8")
    assert main(["--readme", str(readme), "--check"]) == 1
    assert "stale" in readme.read_text(encoding="utf-8")  # --check never writes
    assert main(["--readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nbefore\n\n")
    assert text.endswith(f"{END}\n\nafter\n")
    assert current_block(text) == metrics_reference()
    assert main(["--readme", str(readme), "--check"]) == 0
    # Idempotent: a second run changes nothing.
    assert replace_block(text, metrics_reference()) == text


def test_generator_without_markers_is_a_one_line_error(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "tools.docs", "--check", "--readme", str(readme)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "markers" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert readme.read_text(encoding="utf-8") == "# no markers\n"


def test_every_declared_name_carries_the_prefix() -> None:
    assert [m.name for m in catalog.ALL if not m.name.startswith("execmetrics_")] == []
