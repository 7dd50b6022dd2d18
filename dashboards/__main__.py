"""``python -m dashboards``: write (or check) the dashboard JSON files.

Run from the repository root. The builder needs the ``dashboards`` extra (the Grafana
foundation SDK); without it the command says so in one line and exits 2.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

PROG = "python -m dashboards"
HERE = Path(__file__).resolve().parent
SDK = "grafana_foundation_sdk"
INSTALL = "pip install -e '.[dashboards]'"


def _sdk_missing() -> bool:
    """Whether the Grafana foundation SDK (the one dependency beyond the standard library
    and the repository's own ``exporter`` package) is not installed."""
    try:
        return importlib.util.find_spec(SDK) is None
    except (ImportError, ValueError):
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Build the execmetrics Grafana dashboards as JSON files."
    )
    parser.add_argument(
        "--out", type=Path, default=HERE, help="directory (default: this package's, dashboards/)"
    )
    parser.add_argument(
        "--currency", default="GBP", help="reporting currency, for the money unit (default GBP)"
    )
    parser.add_argument(
        "--docs",
        type=Path,
        help="also refresh the generated panel tables of this Markdown file (docs/dashboards.md)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when a file in --out differs from the build",
    )
    args = parser.parse_args(argv)

    if _sdk_missing():
        print(
            f"{PROG}: error: module {SDK!r} is not installed; install the 'dashboards' "
            f"extra: {INSTALL}",
            file=sys.stderr,
        )
        return 2

    from dashboards.build import build_all
    from dashboards.options import BuildOptions
    from dashboards.reference import COMMAND, with_panel_reference

    try:
        opts = BuildOptions(currency=args.currency)
    except ValueError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2

    built = build_all(opts)
    out: Path = args.out
    stale = (
        sorted(p.name for p in out.glob("execmetrics-*.json") if p.name not in built)
        if out.is_dir()
        else []
    )

    doc: Path | None = args.docs
    doc_text = doc_new = ""
    if doc is not None:
        try:
            doc_text = doc.read_text(encoding="utf-8")
            doc_new = with_panel_reference(doc_text, opts)
        except (OSError, ValueError) as exc:
            print(f"{PROG}: error: {doc}: {exc}", file=sys.stderr)
            return 2

    if args.check:
        differ = [
            str(out / name)
            for name, text in built.items()
            if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != text
        ]
        differ += [str(out / name) for name in stale]
        if doc is not None and doc_new != doc_text:
            differ.append(str(doc))
        for name in differ:
            print(f"{name}: differs from the build", file=sys.stderr)
        if differ:
            print(f"run: {COMMAND}", file=sys.stderr)
            return 1
        return 0

    out.mkdir(parents=True, exist_ok=True)
    for name, text in built.items():
        (out / name).write_text(text, encoding="utf-8")
        print(out / name)
    for name in stale:
        (out / name).unlink()
        print(f"{out / name} (removed)")
    if doc is not None and doc_new != doc_text:
        doc.write_text(doc_new, encoding="utf-8")
        print(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
