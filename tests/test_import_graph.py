"""The layout of exporter/: the data's path as floors, each importing only what lies
below it or on its own floor, and no import circle.

Every import counts, a lazy one inside a function too: a circle that only closes at
run time is still a circle. Run ``python -m tests.test_import_graph`` to print the
measure (modules, imports, circles, imports that run back up).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "exporter"

# Bottom first. A module's floor is that of the longest entry that prefixes its name.
FLOORS: tuple[tuple[str, ...], ...] = (
    # words: no exporter import but each other
    (
        "exporter.errors",
        "exporter.redaction",
        "exporter.vocabulary",
        "exporter.atomic",
        "exporter.sqlfiles",
        "exporter.instant",
        "exporter.contract",
    ),
    ("exporter.config",),
    # the database, the catalog of metrics, immutable snapshots
    ("exporter.db", "exporter.catalog", "exporter.snapshot"),
    # the schema, the groups' SQL and bindings, the store of latest snapshots, the rollups
    ("exporter.migrate", "exporter.groups", "exporter.store", "exporter.refresh"),
    # evaluation at one instant or many
    ("exporter.engine",),
    # forecasts: fitted on the engine's history (the report and serve read them)
    ("exporter.forecast",),
    # the wings, each over the foundation
    ("exporter.seed",),
    ("exporter.grafana",),
    ("exporter.history",),
    ("exporter.serve",),
    # the entry points
    ("exporter.devdb", "exporter.demo", "exporter.cli", "exporter.__main__"),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, name: str, known: set[str]) -> Iterator[str]:
    """The exporter modules ``path`` imports (a package's ``__init__`` counts for it)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from exporter import catalog`` imports the module exporter.catalog
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != "exporter" and target != name:
                yield target


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: set(imports(path, name, known)) for name, path in mods.items()}


def floor(name: str) -> int:
    if name == "exporter":  # the package's own __init__: the bottom
        return 0
    best = (-1, -1)
    for level, prefixes in enumerate(FLOORS):
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + "."):
                best = max(best, (len(prefix), level))
    if best[1] < 0:
        raise AssertionError(f"{name} has no floor in FLOORS: place it")
    return best[1]


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def upward(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports of a module on a higher floor than the importer's."""
    return sorted((a, b) for a, targets in edges.items() for b in targets if floor(b) > floor(a))


def test_every_module_has_a_floor() -> None:
    for name in modules():
        floor(name)


def test_no_import_circle() -> None:
    assert circles(graph()) == []


def test_no_import_runs_back_up() -> None:
    assert upward(graph()) == []


def test_the_wings_are_folders() -> None:
    for wing in ("serve", "history", "grafana", "seed", "groups"):
        assert (PACKAGE / wing / "__init__.py").is_file(), wing


def test_the_measure_sees_a_circle_and_an_upward_import() -> None:
    """The checks can fail: a planted circle and an upward import are both found."""
    edges = graph()
    edges["exporter.engine"] = edges["exporter.engine"] | {"exporter.serve.service"}
    assert any("exporter.engine" in c for c in circles(edges))
    assert ("exporter.engine", "exporter.serve.service") in upward(edges)


def test_lazy_and_relative_imports_are_seen(tmp_path: Path) -> None:
    source = tmp_path / "exporter" / "history" / "report" / "x.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        "def f():\n    from exporter.serve import http\n    from ..backfill import History\n",
        encoding="utf-8",
    )
    known = {"exporter.serve.http", "exporter.serve", "exporter.history.backfill"}
    found = set(imports(source, "exporter.history.report.x", known))
    assert found == {"exporter.serve.http", "exporter.history.backfill"}


if __name__ == "__main__":
    g = graph()
    print(
        f"{len(g)} modules, {sum(map(len, g.values()))} imports between them, "
        f"{len(circles(g))} circles, {len(upward(g))} imports running back up"
    )
    for c in circles(g):
        print("circle:", " <-> ".join(c))
    for a, b in upward(g):
        print(f"upward: {a} (floor {floor(a)}) imports {b} (floor {floor(b)})")
