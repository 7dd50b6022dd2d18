"""Walks over a PromQL expression parsed by ``promql_parser``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import promql_parser

_ONE_CHILD = promql_parser.ParenExpr | promql_parser.UnaryExpr | promql_parser.SubqueryExpr


def nodes(node: Any) -> Iterator[Any]:
    """Every node of a parsed expression, each before its children."""
    yield node
    if isinstance(node, promql_parser.MatrixSelector):
        yield from nodes(node.vector_selector)
    elif isinstance(node, promql_parser.BinaryExpr):
        yield from nodes(node.lhs)
        yield from nodes(node.rhs)
    elif isinstance(node, promql_parser.AggregateExpr):
        yield from nodes(node.expr)
        if node.param is not None:
            yield from nodes(node.param)
    elif isinstance(node, promql_parser.Call):
        for arg in node.args:
            yield from nodes(arg)
    elif isinstance(node, _ONE_CHILD):
        yield from nodes(node.expr)


def selectors(node: Any) -> Iterator[promql_parser.VectorSelector]:
    """Every vector selector (a range selector's too) of a parsed expression."""
    return (n for n in nodes(node) if isinstance(n, promql_parser.VectorSelector))


def aggregations(node: Any) -> Iterator[promql_parser.AggregateExpr]:
    """Every aggregation (sum, max, topk...) of a parsed expression, outermost first."""
    return (n for n in nodes(node) if isinstance(n, promql_parser.AggregateExpr))
