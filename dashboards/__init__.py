"""The Grafana boards of the executive metrics, built as code beside the JSON they produce.

``python -m dashboards [--docs docs/dashboards.md]`` (from the repository root, with the
``dashboards`` extra installed) writes one JSON file per board into this folder; the
files are committed so that Grafana provisions them, and a test fails when they differ
from the build. The package is a build tool: it is not part of the ``execmetrics`` wheel
and the exporter never imports it.

One module per concept: :mod:`.datasources` and :mod:`.variables` (what a board reads
from), :mod:`.queries` (PromQL and SQL from the catalog, replica-safe), :mod:`.units` and
:mod:`.thresholds` (how a value is shown), :mod:`.specs` (the panel declarations and
their named sizes), :mod:`.panels` (the SDK builders), :mod:`.layout` (a board and its
grid), :mod:`.cards` (the panels several boards share), :mod:`.common` (panels declared
by their catalog metric, and the frame of every detail board), one module per board,
and :mod:`.build` / :mod:`.reference` (the JSON files and the docs tables).

This file imports nothing, so that ``python -m dashboards`` can name a missing extra.
"""
