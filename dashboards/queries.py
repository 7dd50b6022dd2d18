"""PromQL from the catalog, replica-safe, and the SQL of the PostgreSQL panels.

Every selector is made by :func:`sel` from the declarations in :mod:`exporter.catalog`
(or :func:`rule` for the Prometheus recording rules), so a renamed metric or label fails
the build instead of leaving a blank panel.

Every aggregation is made by :func:`agg`, which is where replicas are taken care of: two
exporters scraped side by side export the same series under two ``instance`` labels (and
whatever other labels the scrape adds), so the series of a metric are first reduced to
one per value of the metric's own labels (``max by (<catalog labels>)``) and only then
summed. Money and counts are summed over the labels a panel does not keep; ratios,
durations and instants are never summed (their unit decides, see
:attr:`exporter.vocabulary.Unit.additive`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from exporter import catalog
from exporter.sqlfiles import read_sql
from exporter.vocabulary import Unit


class Re(str):
    """A regex matcher value (``=~``) for :func:`sel`."""


def _matchers(labels: Sequence[str], owner: str, matchers: Mapping[str, str]) -> str:
    unknown = sorted(set(matchers) - set(labels))
    if unknown:
        raise KeyError(f"{owner} has no label {', '.join(unknown)} (labels: {labels})")
    parts = []
    for label, value in matchers.items():
        op = "=~" if isinstance(value, Re) else "="
        parts.append(f'{label}{op}"{value}"')
    return "{" + ", ".join(parts) + "}" if parts else ""


def sel(name: str, **matchers: str) -> str:
    """A selector for a catalog metric; a name or label the catalog lacks raises."""
    metric = catalog.BY_NAME[name]
    return metric.name + _matchers(metric.labels, metric.name, matchers)


def _aggregate(op: str, labels: Sequence[str], inner: str) -> str:
    return f"{op} by ({', '.join(labels)}) ({inner})" if labels else f"{op}({inner})"


def one_per_series(name: str, **matchers: str) -> str:
    """The metric's series, one per value of its catalog labels, whatever the number of
    replicas scraped (they export the same values)."""
    return _aggregate("max", catalog.BY_NAME[name].labels, sel(name, **matchers))


def agg(name: str, by: Sequence[str] = (), **matchers: str) -> str:
    """The metric aggregated to the labels ``by``, counting every replica once.

    Labels pinned by an equality matcher hold one value and need no sum; when the unit is
    additive and other labels remain, the replicas are reduced first, then summed.
    """
    metric = catalog.BY_NAME[name]
    unknown = sorted(set(by) - set(metric.labels))
    if unknown:
        raise KeyError(f"{name} has no label {', '.join(unknown)} (labels: {metric.labels})")
    pinned = {label for label, value in matchers.items() if not isinstance(value, Re)}
    summed = [label for label in metric.labels if label not in by and label not in pinned]
    if Unit(metric.unit).additive and summed:
        return _aggregate("sum", by, one_per_series(name, **matchers))
    return _aggregate("max", by, sel(name, **matchers))


# Recording rules defined in provisioning/prometheus/rules/ and the labels they keep.
RULES: dict[str, tuple[str, ...]] = {
    "execmetrics:stickiness:ratio": (),
    "execmetrics:stickiness_by_user_type:ratio": ("user_type",),
    "execmetrics:mrr_quick_ratio:ratio": (),
    "execmetrics:net_mrr_churn:ratio": (),
    "execmetrics:user_quick_ratio:ratio": ("user_type",),
}


def rule(name: str, **matchers: str) -> str:
    """A selector for a recording rule the dashboards may use (already one series per
    value of its labels: the rules aggregate replicas away)."""
    return name + _matchers(RULES[name], name, matchers)


def metric_names(expr: str) -> set[str]:
    """Catalog metrics and recording rules that an expression reads."""
    found = set(re.findall(r"\bexecmetrics(?:_[a-z0-9_]+|:[a-z0-9_:]+)", expr))
    return {n for n in found if n in catalog.BY_NAME or n in RULES}


def panel_sql(name: str) -> str:
    """A SQL panel's query from ``sql/grafana/<name>.sql``, its leading comment dropped.

    The queries name the grafana_ and records_ functions and daily_metrics unqualified: grafana_reader's search_path (set by
    ``migrate``, sql/views/50_grafana_reader.sql) finds them in the exporter's schema.
    """
    lines = read_sql(f"grafana/{name}.sql").splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip()


# The longest gap between two backfilled samples (`execmetrics backfill` writes one per
# local midnight): a local day, 25 hours on the day the clocks go back.
HISTORY_WINDOW = "25h"
_NAME = re.compile(r"execmetrics(?:_[a-z0-9_]+|:[a-z0-9_:]+)")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_:]")


def _string_end(expr: str, i: int) -> int:
    """The index just past the quoted string that starts at ``expr[i]``."""
    quote, j = expr[i], i + 1
    while j < len(expr) and expr[j] != quote:
        j += 2 if expr[j] == "\\" else 1
    return j + 1


def _matchers_end(expr: str, i: int) -> int:
    """The index just past the ``{...}`` that starts at ``expr[i]`` (quotes respected)."""
    j = i + 1
    while j < len(expr) and expr[j] != "}":
        j = _string_end(expr, j) if expr[j] in "\"'`" else j + 1
    return j + 1


def held(expr: str, window: str = HISTORY_WINDOW) -> str:
    """``expr`` with every instant selector of a metric or rule read as its latest sample
    within ``window`` (``last_over_time(<selector>[window])``).

    A plain selector finds a sample only within Prometheus's lookback (5 minutes) before
    each instant, so backfilled history, one sample a day, would draw as dots a day apart;
    held, each day's value lasts until the next one. Live series, scraped every 30 s,
    draw as before, except that a series that stops lasts ``window`` longer.
    """
    out: list[str] = []
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch in "\"'`":
            j = _string_end(expr, i)
            out.append(expr[i:j])
            i = j
            continue
        m = _NAME.match(expr, i)
        if m is None or (i > 0 and _NAME_CHAR.match(expr[i - 1])):
            out.append(ch)
            i += 1
            continue
        j = m.end()
        if j < len(expr) and expr[j] == "{":
            j = _matchers_end(expr, j)
        rest = expr[j:].lstrip()
        if rest.startswith("["):  # already a range selector
            out.append(expr[i:j])
        elif rest.startswith(("offset", "@")):
            raise ValueError(f"held: an offset or @ selector is not supported: {expr}")
        else:
            out.append(f"last_over_time({expr[i:j]}[{window}])")
        i = j
    return "".join(out)
